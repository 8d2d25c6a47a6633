from django.db.models import Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from inventory.selectors import catalog_cursor, format_cursor
from loyalty import selectors, services
from loyalty.exceptions import CustomerConflict, LoyaltyError
from loyalty.models import Customer
from loyalty.serializers import CustomerInputSerializer, CustomerOutputSerializer, RegisterCustomersQuerySerializer
from retailpos.api import field_errors


def _customer_data(customer_id) -> dict:
    customer = Customer.objects.annotate(points_balance=Sum("points_entries__points", default=0)).get(pk=customer_id)
    return CustomerOutputSerializer(customer).data


class CanAddCustomers(BasePermission):
    message = "Adding customers needs the permission loyalty.add_customer (cashier, supervisor or manager)."

    def has_permission(self, request, view):
        return request.user.has_perm("loyalty.add_customer" if request.method == "POST" else "loyalty.view_customer")


class CustomerApi(APIView):
    permission_classes = [IsAuthenticated, CanAddCustomers]

    @extend_schema(
        operation_id="customers_create",
        summary="Add a loyalty customer",
        description=(
            "Adds a customer exactly once under the register's id (a customer added offline is synced later). "
            "The same id and content again answers 200 with the customer; the same id with other content, or a "
            "phone number that already belongs to another customer, answers 409 naming the field; for a phone, "
            "`existing_customer` is its owner (never duplicated: a register that added the customer offline "
            "books their sales for the owner)."
        ),
        request=CustomerInputSerializer,
        responses={
            201: CustomerOutputSerializer,
            200: OpenApiResponse(CustomerOutputSerializer, description="Already added: the customer."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Errors by field."),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="Id reused, or phone/card of another customer."),
        },
    )
    def post(self, request):
        serializer = CustomerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = services.create_customer(customer_id=data.pop("id"), **data)
        except CustomerConflict as error:
            body = field_errors([(error.field, error.message)])
            if error.existing is not None:
                body["existing_customer"] = _customer_data(error.existing.pk)
            return Response(body, status.HTTP_409_CONFLICT)
        except LoyaltyError as error:
            raise ValidationError(field_errors([(error.field, error.message)])) from error
        return Response(
            _customer_data(result.customer.pk), status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )

    @extend_schema(
        operation_id="customers_list",
        summary="Customers for a register's offline lookup, or what changed since a cursor",
        description=(
            "Without `since`: every customer (not anonymised) with `points_balance`. With `since`: the customers "
            "whose details or points changed since that cursor, anonymised ones included (drop them). Pages in id "
            "order; follow `next` until null, then keep `cursor` for the next fetch."
        ),
        parameters=[RegisterCustomersQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        query = RegisterCustomersQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        limit = data["limit"]
        cursor = data.get("cursor") or catalog_cursor()
        customers = list(selectors.register_customers(since=data.get("since"), after_id=data.get("after"))[: limit + 1])
        next_url = None
        if len(customers) > limit:
            customers = customers[:limit]
            next_url = request.build_absolute_uri()
            for name, value in {"after": customers[-1].pk, "limit": limit, "cursor": format_cursor(cursor)}.items():
                next_url = replace_query_param(next_url, name, value)
        return Response(
            {
                "customers": CustomerOutputSerializer(customers, many=True).data,
                "next": next_url,
                "cursor": format_cursor(cursor),
            }
        )
