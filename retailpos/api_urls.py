"""Version 1 of the HTTP API: one view per operation, each calling one service or selector."""

from django.urls import path

from audit import api as audit_api
from devices import api as devices_api
from inventory import api as inventory_api
from loyalty import api as loyalty_api
from retailpos.health import HealthApi
from sales import api as sales_api
from sales import shift_api

urlpatterns = [
    path("audit-entries/", audit_api.AuditEntryListApi.as_view(), name="api-audit-entries"),
    path("customers/", loyalty_api.CustomerApi.as_view(), name="api-customers"),
    path("devices/pair/", devices_api.PairDeviceApi.as_view(), name="api-device-pair"),
    path("health/", HealthApi.as_view(), name="api-health"),
    path("products/", inventory_api.ProductListApi.as_view(), name="api-product-list"),
    path("registers/<slug:code>/catalog/", inventory_api.RegisterCatalogApi.as_view(), name="api-register-catalog"),
    path("sales/", sales_api.SaleCreateApi.as_view(), name="api-sale-create"),
    path("shifts/", shift_api.ShiftOpenApi.as_view(), name="api-shift-open"),
    path("shifts/cash-movements/", shift_api.CashMovementApi.as_view(), name="api-cash-movement"),
    path("shifts/<uuid:shift_id>/close/", shift_api.ShiftCloseApi.as_view(), name="api-shift-close"),
    path("shifts/<uuid:shift_id>/sign-off/", shift_api.ShiftSignOffApi.as_view(), name="api-shift-sign-off"),
    path("refunds/", sales_api.RefundCreateApi.as_view(), name="api-refund-create"),
]
