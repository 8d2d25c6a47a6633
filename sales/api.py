from rest_framework.views import APIView


class SaleCreateApi(APIView):
    pass
