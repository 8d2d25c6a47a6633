"""One small form per checkout action: shape and range of the input; business rules stay in services."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms

from inventory.models import Product, Store
from loyalty.models import Customer
from sales.exceptions import InvalidLine
from sales.models import CashMovement, PaymentMethod
from sales.refunds import ReturnLine


class LocalDecimalField(forms.DecimalField):
    """Accept a decimal comma too: cashiers type "12,50" as often as "12.50"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


class ScanForm(forms.Form):
    code = forms.CharField(max_length=64, error_messages={"required": "Scan a barcode or type a SKU."})


class AddProductForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.active(), error_messages={"invalid_choice": "That product is no longer for sale."}
    )


class QuantityForm(forms.Form):
    quantity = LocalDecimalField(
        max_digits=12,
        decimal_places=3,
        error_messages={
            "required": "Enter a quantity.",
            "invalid": "Enter a quantity.",
            "max_digits": "Too many digits.",
        },
    )


class PriceForm(forms.Form):
    unit_price = LocalDecimalField(
        max_digits=14,
        decimal_places=3,
        error_messages={
            "required": "Enter the price to charge.",
            "invalid": "Enter the price to charge.",
            "max_digits": "Too many digits.",
        },
    )


class DiscountForm(forms.Form):
    discount_percent = LocalDecimalField(
        max_digits=5,
        decimal_places=2,
        error_messages={
            "required": "Enter a discount in percent.",
            "invalid": "Enter a discount in percent.",
            "max_digits": "Discount must be between 0 and 100 %.",
        },
    )


class SaleForm(forms.Form):
    """Names the sale the page was showing, so a stale or double submission cannot hit the next one."""

    sale_id = forms.UUIDField()


class TenderForm(SaleForm):
    payment_id = forms.UUIDField()
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    amount = LocalDecimalField(
        max_digits=12, decimal_places=3, error_messages={"required": "Enter an amount.", "invalid": "Enter an amount."}
    )
    # Amount rules (positive, the currency's precision, card/mobile at most what is due) are the
    # service's: ``services.add_cart_payment`` checks them under the cart lock.
    reference = forms.CharField(max_length=100, required=False)


class CustomerForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.filter(anonymised=False),
        error_messages={"invalid_choice": "That customer no longer exists.", "required": "Pick a customer."},
    )


class NewCustomerForm(forms.Form):
    customer_id = forms.UUIDField(required=False)  # the register's own, when it has one (offline)
    name = forms.CharField(max_length=200, error_messages={"required": "Enter the customer's name."})
    phone = forms.CharField(max_length=32, required=False)
    email = forms.EmailField(required=False, error_messages={"invalid": "Enter a valid e-mail address."})
    marketing_consent = forms.BooleanField(required=False)


class RefundForm(forms.Form):
    """A return with receipt as the Return mode posts it: ``qty-<sale line id>`` per line to give back."""

    refund_id = forms.UUIDField()
    sale = forms.UUIDField()
    tender = forms.ChoiceField(choices=[("cash", "Cash"), ("original", "Original tender")], required=False)
    reason = forms.CharField(max_length=200, required=False)

    def clean_tender(self):
        return self.cleaned_data["tender"] or "cash"

    def quantities(self, lines) -> dict[int, Decimal]:
        """The quantity typed for each line of the sale (blank: none); ``InvalidLine`` for what is no number."""
        field = LocalDecimalField(max_digits=12, decimal_places=3, required=False)
        quantities = {}
        for item in lines:
            try:
                quantities[item.line.pk] = field.clean(self.data.get(f"qty-{item.line.pk}", "")) or Decimal("0")
            except forms.ValidationError:
                raise InvalidLine(f"Enter the quantity of {item.line.name} to return as a number.") from None
        return quantities


@dataclass(frozen=True)
class NoReceiptRow:
    """A product scanned for a return without receipt, with its quantity as typed (shown again as typed)."""

    product: Product
    quantity: str


class NoReceiptForm(forms.Form):
    """A return without receipt as the Return mode posts it: ``sku-<n>`` and ``qty-<n>`` per product scanned
    so far (numbered, not repeated names: the approval modal posts every field again, one value per name),
    and ``code``, the barcode or SKU just scanned."""

    MAX_LINES = 100

    refund_id = forms.UUIDField()
    code = forms.CharField(max_length=64, required=False)
    reason = forms.CharField(max_length=200, required=False)

    def rows(self) -> list[NoReceiptRow]:
        """The products listed, in order; a line whose quantity was cleared is dropped (how a line is removed)."""
        numbers = sorted(int(key[4:]) for key in self.data if key.startswith("sku-") and key[4:].isdigit())
        typed = [(self.data[f"sku-{n}"].strip(), self.data.get(f"qty-{n}", "").strip()) for n in numbers]
        if len(typed) > self.MAX_LINES:
            raise InvalidLine(f"At most {self.MAX_LINES} products per return.", field="lines")
        products = Product.objects.in_bulk_by_sku(sku for sku, _ in typed)
        rows = []
        for sku, quantity in typed:
            if sku not in products:
                raise InvalidLine(f"Unknown SKU “{sku}”: scan the product again.", field="lines")
            if quantity:
                rows.append(NoReceiptRow(products[sku], quantity))
        return rows

    @staticmethod
    def return_lines(rows: list[NoReceiptRow]) -> list[ReturnLine]:
        """The rows as the refund service takes them; ``InvalidLine`` naming the product for a bad quantity."""
        if not rows:
            raise InvalidLine("Scan or type at least one product to return.", field="lines")
        field = LocalDecimalField(max_digits=12, decimal_places=3)
        lines = []
        for row in rows:
            try:
                quantity = field.clean(row.quantity)
            except forms.ValidationError:
                raise InvalidLine(f"Enter the quantity of {row.product.name} to return as a number.") from None
            if quantity <= 0:
                raise InvalidLine(f"The quantity of {row.product.name} to return must be greater than zero.")
            lines.append(ReturnLine(quantity=quantity, product=row.product))
        return lines


class VoidForm(forms.Form):
    void_id = forms.UUIDField()
    sale = forms.UUIDField()
    reason = forms.CharField(max_length=200, error_messages={"required": "Say why the sale is voided."})


def first_error(form: forms.Form) -> str:
    """The one line to show the cashier for an invalid form."""
    return next(iter(form.errors.values()))[0] if form.errors else ""


class ShiftForm(forms.Form):
    """Open or close: the client id of the action; the counts come as ``count-<denomination>`` fields."""

    id = forms.UUIDField(error_messages={"required": "Reload the page and count again.", "invalid": "Reload the page."})


class CashMovementForm(forms.Form):
    id = forms.UUIDField(error_messages={"required": "Reload the page and try again.", "invalid": "Reload the page."})
    kind = forms.ChoiceField(choices=CashMovement.Kind.choices)
    amount = LocalDecimalField(
        max_digits=14,
        decimal_places=3,
        required=False,
        error_messages={"invalid": "Enter an amount.", "max_digits": "Too many digits."},
    )
    reason = forms.CharField(max_length=200, required=False)


def denomination_counts(data) -> dict[str, str]:
    """The ``count-<denomination>`` fields of a posted count, as the shift services take them."""
    return {name.removeprefix("count-"): value for name, value in data.items() if name.startswith("count-")}


MAX_REPORT_DAYS = 400


class DashboardForm(forms.Form):
    """The dashboard's store (or all) and local dates, both inclusive."""

    store = forms.ModelChoiceField(
        queryset=Store.objects.order_by("code"),
        required=False,
        empty_label="All stores",
        error_messages={"invalid_choice": "That store does not exist."},
    )
    date_from = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to:
            if date_to < date_from:
                self.add_error("date_to", "The end date is before the start date.")
            elif (date_to - date_from).days >= MAX_REPORT_DAYS:
                self.add_error("date_to", f"Pick at most {MAX_REPORT_DAYS} days.")
        return data
