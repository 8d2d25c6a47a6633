"""The receipt as a versioned JSON document: what the print agent renders to ESC/POS and the
receipt pages render to HTML (``templates/sales/partials/receipt-paper.html``).

Built from a completed sale by reading it, nothing else: the same sale gives the same document.
Times are in the store's time zone (what the customer's clock says), with their UTC offset.

Version 1 is extended compatibly: a sale with a loyalty customer has a ``loyalty`` object (card
number, points earned and redeemed, the balance right after the sale); readers that do not know
it print the rest as before.
"""

from zoneinfo import ZoneInfo

from loyalty.selectors import sale_points
from retailpos.money import quantize_money
from sales.models import PaymentMethod, Sale

RECEIPT_DOCUMENT_VERSION = 1
FOOTER = "Thank you for shopping with us!"


def receipt_document(sale: Sale, *, copy: bool = False) -> dict:
    """The receipt of ``sale``; ``copy`` marks a reprint (which never opens the drawer)."""
    store, register, cashier = sale.store, sale.register, sale.cashier
    payments = list(sale.payments.all())

    def money(amount) -> str:
        return str(quantize_money(amount, sale.currency))

    document = {
        "version": RECEIPT_DOCUMENT_VERSION,
        "copy": copy,
        "sale_id": str(sale.pk),
        "receipt_number": sale.receipt_number,
        "offline": sale.offline,
        "store": {"code": store.code, "name": store.name, "address": store.address},
        "register": {"code": register.code, "name": register.name},
        "cashier": cashier.get_full_name() or cashier.get_username(),
        "created_at": sale.created_at.astimezone(ZoneInfo(store.timezone)).isoformat(),
        "currency": sale.currency,
        "prices_include_tax": sale.prices_include_tax,
        "lines": [
            {
                "name": line.name,
                "sku": line.sku,
                "quantity": _number(line.quantity),
                "unit_price": money(line.unit_price),
                "discount_percent": _number(line.discount_percent),
                "discount_amount": money(line.discount_amount),
                "amount": money(line.amount),
                "tax_code": line.tax_code,
            }
            for line in sale.lines.all()
        ],
        "subtotal": money(sale.subtotal),
        "discount_total": money(sale.discount_total),
        "taxes": [
            {
                "code": tax.code,
                "rate": _number(tax.rate),
                "net": money(tax.net),
                "tax": money(tax.tax),
                "gross": money(tax.gross),
            }
            for tax in sale.taxes.all()
        ],
        "tax_total": money(sale.tax_total),
        "total": money(sale.total),
        "payments": [
            {"method": p.method, "label": p.get_method_display(), "amount": money(p.amount), "reference": p.reference}
            for p in payments
        ],
        "paid_total": money(sale.paid_total),
        "change": money(sale.change),
        # Scanned back at the counter (returns, reprints): the sale's id, as a QR code.
        "qr": str(sale.pk),
        "footer": FOOTER,
        "open_drawer": not copy and any(p.method == PaymentMethod.CASH for p in payments),
    }
    if sale.customer_id:
        document["loyalty"] = loyalty_section(sale)
    return document


def loyalty_section(sale: Sale) -> dict:
    points = sale_points(sale.pk, sale.customer_id)
    customer = sale.customer
    return {
        # The card's last digits only: a receipt lies around, the customer's name need not be on it.
        "card": f"…{customer.card_number[-4:]}",
        "points_earned": points.earned,
        "points_redeemed": points.redeemed,
        "points_balance": points.balance,
    }


def _number(value) -> str:
    return format(value.normalize(), "f")
