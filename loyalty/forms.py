"""Back-office forms: a customer's details (phone normalised), a manual points adjustment."""

from django import forms

from loyalty import rules
from loyalty.models import Customer


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "card_number", "marketing_consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card_number"].required = False
        self.fields["card_number"].help_text = "Leave empty for a new card number (with its check digit)."

    def clean_phone(self):
        phone = rules.normalise_phone(self.cleaned_data["phone"])
        if phone and Customer.objects.filter(phone=phone).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"Phone {phone} already belongs to another customer.")
        return phone


class AdjustPointsForm(forms.Form):
    points = forms.IntegerField(help_text="Positive adds points, negative takes them away.")
    reason = forms.CharField(max_length=200, help_text="Why: shown in the points history and the audit log.")


class CustomerImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: name, phone, email, card_number, marketing_consent, points.")
    dry_run = forms.BooleanField(required=False, initial=True, help_text="Check the file, write nothing.")
    keep_valid = forms.BooleanField(required=False, help_text="Import the valid rows even when others have errors.")
