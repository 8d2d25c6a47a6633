from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from devices.models import Register
from inventory.selectors import catalog_cursor, format_cursor, product_list, register_catalog
from inventory.serializers import (
    ProductListFilterSerializer,
    ProductOutputSerializer,
    RegisterCatalogPageSerializer,
    RegisterCatalogProductSerializer,
    RegisterCatalogQuerySerializer,
)


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


class RegisterCatalogApi(APIView):
    permission_classes = [IsAuthenticated, CanViewProducts]

    @extend_schema(
        operation_id="registers_catalog",
        summary="A register's catalogue, or what changed in it since a cursor",
        description=(
            "Without `since`: every active product with `on_hand` in the register's store. With `since`: the "
            "products (active or not) whose price, name, barcode, tax, active flag or stock in the store changed "
            "since that cursor; windows overlap, so a product may come again: keep the latest by `id`. Pages "
            "in id order; follow `next` until it is null, then keep `cursor` for the next fetch. Use it on "
            "(re)connecting the register's websocket and on a `catalog.changed` message."
        ),
        parameters=[RegisterCatalogQuerySerializer],
        responses=RegisterCatalogPageSerializer,
    )
    def get(self, request, code):
        register = get_object_or_404(Register.objects.select_related("store"), code=code, active=True)
        query = RegisterCatalogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since, after, limit = (
            query.validated_data.get("since"),
            query.validated_data["after"],
            query.validated_data["limit"],
        )
        # Taken before the read, and kept across pages: nothing committed meanwhile is skipped.
        cursor = query.validated_data.get("cursor") or catalog_cursor()
        products = list(register_catalog(store=register.store, since=since, after_id=after)[: limit + 1])
        next_url = None
        if len(products) > limit:
            products = products[:limit]
            next_url = request.build_absolute_uri()
            for name, value in {"after": products[-1].pk, "limit": limit, "cursor": format_cursor(cursor)}.items():
                next_url = replace_query_param(next_url, name, value)
        context = {"currency": register.store.currency}
        return Response(
            {
                "products": RegisterCatalogProductSerializer(products, many=True, context=context).data,
                "next": next_url,
                "cursor": format_cursor(cursor),
            }
        )
