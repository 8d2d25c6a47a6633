from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.services import InsufficientStock
from retailpos.api import DecimalJSONParser, field_errors
from sales import access
from sales.exceptions import RefundConflict, SaleConflict, SaleError
from sales.refunds import refund_sale
from sales.serializers import (
    RefundInputSerializer,
    RefundOutputSerializer,
    SaleInputSerializer,
    SaleOutputSerializer,
    SaleReceipt,
)
from sales.services import complete_sale


class CanRecordSales(BasePermission):
    message = "Recording sales needs the permission sales.add_sale (cashier, supervisor or manager)."

    def has_permission(self, request, view):
        return request.user.has_perm("sales.add_sale")


ERROR_DESCRIPTION = (
    "Errors by field, nested like the request (list items keyed by their index); "
    "each leaf is a list of messages. Nothing was written."
)


class SaleCreateApi(APIView):
    permission_classes = [IsAuthenticated, CanRecordSales]
    parser_classes = [DecimalJSONParser]

    @extend_schema(
        operation_id="sales_create",
        summary="Complete a sale",
        description=(
            "Books a complete sale exactly once. Decimals may be JSON strings or numbers; money in the answer "
            "is a string in the store's currency. Sending the same sale (same id and content) again answers 200 "
            "with the original receipt and books nothing; the same id with other content answers 409. "
            "A register draining its offline outbox sends each sale with `offline_receipt_number` (and "
            "`created_at`, its clock, and each line's charged `unit_price`): such a sale is accepted as charged "
            "and its differences are reported, never refused for stock, price or an inactive product."
        ),
        request=SaleInputSerializer,
        responses={
            201: OpenApiResponse(SaleOutputSerializer, description="Booked."),
            200: OpenApiResponse(SaleOutputSerializer, description="Already booked: the original receipt."),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=ERROR_DESCRIPTION,
                examples=[
                    OpenApiExample(
                        "Unknown SKU on the second line", {"lines": {"1": {"sku": ["Unknown SKU 'NOPE'."]}}}
                    ),
                    OpenApiExample("Underpaid", {"payments": ["Underpaid: 1.19 EUR still due of 2.38 EUR."]}),
                    OpenApiExample(
                        "Offline receipt number outside the register's series",
                        {
                            "offline_receipt_number": [
                                "An offline receipt number of register B01 starts with B01-OFF- "
                                "(e.g. B01-OFF-3fa2c91e-000042); got 'B01-000042'."
                            ]
                        },
                    ),
                ],
            ),
            403: OpenApiResponse(OpenApiTypes.OBJECT, description="Not logged in, no CSRF token, or no permission."),
            409: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=(
                    "The id was already used for a different sale, the offline receipt number by another sale, "
                    "or (online sales only) the store does not allow negative stock and a line asks for more than "
                    "is on hand. " + ERROR_DESCRIPTION
                ),
                examples=[
                    OpenApiExample("Id reused", {"id": ["Sale … was already booked with different content."]}),
                    OpenApiExample(
                        "Offline receipt number reused",
                        {
                            "offline_receipt_number": [
                                "Receipt number B01-OFF-3fa2c91e-000042 was already used by another sale."
                            ]
                        },
                    ),
                    OpenApiExample(
                        "Out of stock", {"lines": {"0": {"quantity": ["Only 1 of MILK on hand at main; 2 requested."]}}}
                    ),
                ],
            ),
        },
    )
    def post(self, request):
        serializer = SaleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not access.may_work_at(request.user, data["register"]):
            access.record_refusal(
                user=request.user, register_code=data["register"].code, what="POST /api/v1/sales/", request=request
            )
            raise PermissionDenied(f"You do not work at the registers of {data['register'].store.name}.")
        lines, payments = serializer.line_requests(), serializer.payment_requests()
        try:
            result = complete_sale(
                register=data["register"],
                cashier=request.user,
                sale_id=data["id"],
                lines=lines,
                payments=payments,
                created_at=data["created_at"],
                offline_receipt_number=data["offline_receipt_number"],
                customer_id=data["customer"],
            )
        except SaleConflict as error:
            return Response(field_errors([(error.field, error.message)]), status.HTTP_409_CONFLICT)
        except SaleError as error:
            raise ValidationError(field_errors([(error.field, error.message)])) from error
        except InsufficientStock as error:
            return Response(shortage_errors(error, lines, data["register"].store), status.HTTP_409_CONFLICT)

        sale = result.sale
        if result.created:
            receipt = SaleReceipt.from_booking(sale, lines, payments, result.totals)
        else:
            receipt = SaleReceipt.from_database(sale)
        return Response(
            SaleOutputSerializer(receipt, context={"currency": sale.currency}).data,
            status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


def shortage_errors(error: InsufficientStock, lines, store) -> dict:
    """Put each shortage on the quantity of every line selling that product."""
    shortages = {shortage.product_id: shortage for shortage in error.shortages}
    return field_errors(
        (
            f"lines[{index}].quantity",
            f"Only {shortage.on_hand.normalize():f} of {line.product.sku} on hand at {store.code}; "
            f"{shortage.requested.normalize():f} requested.",
        )
        for index, line in enumerate(lines)
        if (shortage := shortages.get(line.product.pk))
    )


class CanRecordRefunds(BasePermission):
    message = "Refunds need the permission sales.add_refund (cashier, supervisor or manager)."

    def has_permission(self, request, view):
        return request.user.has_perm("sales.add_refund")


class RefundCreateApi(APIView):
    permission_classes = [IsAuthenticated, CanRecordRefunds]
    parser_classes = [DecimalJSONParser]

    @extend_schema(
        operation_id="refunds_create",
        summary="Refund a return",
        description=(
            "Books a return exactly once. With a receipt (`receipt`: its number or scanned code) each line names the "
            "original's line by `position`; no line gives back more than was sold minus already returned. Without a "
            "receipt (`receipt`: null) lines name products by `sku`, the money goes back in cash and `approval` must "
            "be a supervisor's approval of `return_without_receipt`. The same request again answers 200 with the "
            "original refund; the same `id` with other content answers 409."
        ),
        request=RefundInputSerializer,
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="Booked."),
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Already booked: the original refund."),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=ERROR_DESCRIPTION,
                examples=[
                    OpenApiExample(
                        "More than sold",
                        {
                            "lines": {
                                "0": {"quantity": ["Only 1 of Milk can be returned (2 sold, 1 already returned)…"]}
                            }
                        },
                    ),
                    OpenApiExample(
                        "No receipt, no approval",
                        {"approval": ["A return without receipt needs a supervisor's approval: …"]},
                    ),
                ],
            ),
            403: OpenApiResponse(OpenApiTypes.OBJECT, description="Not logged in, no CSRF token, or no permission."),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="The id was already used for a different refund."),
        },
    )
    def post(self, request):
        serializer = RefundInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not access.may_work_at(request.user, data["register"]):
            access.record_refusal(
                user=request.user, register_code=data["register"].code, what="POST /api/v1/refunds/", request=request
            )
            raise PermissionDenied(f"You do not work at the registers of {data['register'].store.name}.")
        try:
            result = refund_sale(
                refund_id=data["id"],
                register=data["register"],
                cashier=request.user,
                sale=data["sale"],
                lines=data["return_lines"],
                payments=serializer.payment_requests(),
                reason=data["reason"],
                approval_id=data["approval"],
                request=request,
            )
        except RefundConflict as error:
            return Response(field_errors([(error.field, error.message)]), status.HTTP_409_CONFLICT)
        except SaleError as error:
            raise ValidationError(field_errors([(error.field, error.message)])) from error
        return Response(
            RefundOutputSerializer(result.refund).data,
            status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
