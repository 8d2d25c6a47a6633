from django.urls import path

from sales import shift_views, views

app_name = "pos"

urlpatterns = [
    path("", views.register_list, name="register-list"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("<slug:code>/", views.checkout, name="checkout"),
    path("<slug:code>/display/", views.customer_display, name="customer-display"),
    path("<slug:code>/scan/", views.scan, name="scan"),
    path("<slug:code>/search/", views.search, name="search"),
    path("<slug:code>/add/", views.add_product, name="add-product"),
    path("<slug:code>/lines/<int:line_id>/quantity/", views.set_quantity, name="line-quantity"),
    path("<slug:code>/lines/<int:line_id>/discount/", views.set_discount, name="line-discount"),
    path("<slug:code>/lines/<int:line_id>/price/", views.override_price, name="line-price"),
    path("<slug:code>/lines/<int:line_id>/remove/", views.remove_line, name="line-remove"),
    path("<slug:code>/tender/", views.tender, name="tender"),
    path("<slug:code>/customers/", views.customer_search, name="customer-search"),
    path("<slug:code>/customer/", views.attach_customer, name="customer-attach"),
    path("<slug:code>/customer/remove/", views.detach_customer, name="customer-detach"),
    path("<slug:code>/customer/new/", views.new_customer, name="customer-new"),
    path("<slug:code>/payments/<uuid:payment_id>/remove/", views.remove_payment, name="payment-remove"),
    path("<slug:code>/complete/", views.complete, name="complete"),
    path("<slug:code>/cancel/", views.cancel, name="cancel"),
    path("<slug:code>/receipts/<uuid:sale_id>/", views.receipt, name="receipt"),
    path("<slug:code>/shift/", shift_views.shift_page, name="shift"),
    path("<slug:code>/shift/open/", shift_views.open_shift, name="shift-open"),
    path("<slug:code>/shift/cash/", shift_views.cash_movement, name="shift-cash"),
    path("<slug:code>/shift/close/", shift_views.close_shift, name="shift-close"),
    path("<slug:code>/shift/x-report/", shift_views.x_report, name="x-report"),
    path("<slug:code>/shifts/<uuid:shift_id>/z-report/", shift_views.z_report, name="z-report"),
    path("<slug:code>/returns/", views.returns, name="returns"),
    path("<slug:code>/returns/refund/", views.refund, name="refund"),
    path("<slug:code>/returns/void/", views.void, name="void"),
    path("<slug:code>/returns/no-receipt/", views.no_receipt, name="no-receipt"),
    path("<slug:code>/returns/no-receipt/refund/", views.refund_without_receipt, name="no-receipt-refund"),
]
