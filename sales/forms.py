"""One small form per checkout action: shape and range of the input; business rules stay in services."""

from django import forms

from inventory.models import Product
from retailpos.money import currency_exponent, quantize_money
from sales.models import PaymentMethod
from sales.selectors import CheckoutState


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
    reference = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, state: CheckoutState, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = state

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("Amount must be greater than zero.")
        if amount != amount.quantize(currency_exponent(self.state.currency)):
            raise forms.ValidationError(f"Amount has more decimals than {self.state.currency} allows.")
        return amount

    def clean(self):
        data = super().clean()
        if data.get("sale_id") != self.state.sale_id:
            return data  # Not the open sale: the service tells a replay from a stale page.
        if not self.state.lines:
            raise forms.ValidationError("Nothing to pay yet: scan an item first.")
        method, amount, due = data.get("method"), data.get("amount"), self.state.settlement.remaining
        if method and method != PaymentMethod.CASH and amount is not None and amount > due:
            # Checked before recording: such a tender would only block the sale at completion.
            due = quantize_money(due, self.state.currency)
            raise forms.ValidationError(
                f"{PaymentMethod(method).label} can pay at most the {due} {self.state.currency} due; "
                "only cash can be given back as change."
            )
        return data


def first_error(form: forms.Form) -> str:
    """The one line to show the cashier for an invalid form."""
    return next(iter(form.errors.values()))[0] if form.errors else ""
