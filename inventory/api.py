from drf_spectacular.utils import extend_schema
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from inventory.selectors import product_list
from inventory.serializers import ProductListFilterSerializer, ProductOutputSerializer


class CanViewProducts(BasePermission):
    message = "Viewing the catalogue needs the permission inventory.view_product."

    def has_permission(self, request, view):
        return request.user.has_perm("inventory.view_product")


class ProductPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class ProductListApi(APIView):
    permission_classes = [IsAuthenticated, CanViewProducts]
    pagination_class = ProductPagination

    @extend_schema(
        operation_id="products_list",
        summary="Find products, with stock on hand in one store",
        parameters=[ProductListFilterSerializer],
        responses=ProductOutputSerializer(many=True),
    )
    def get(self, request):
        filters = ProductListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        store = filters.validated_data["store"]
        products = product_list(
            store=store, search=filters.validated_data["search"], barcode=filters.validated_data["barcode"]
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(products, request, view=self)
        return paginator.get_paginated_response(
            ProductOutputSerializer(page, many=True, context={"currency": store.currency}).data
        )
