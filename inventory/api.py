from rest_framework.views import APIView


class ProductListApi(APIView):
    pass
