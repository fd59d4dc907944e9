"""The M-Pesa phone number a customer pays from."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.payment.mpesa.phone import InvalidPhoneNumber, normalise_phone


class MpesaPhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("M-Pesa phone number"),
        max_length=32,
        help_text=_("The Safaricom number that will get the payment prompt, e.g. 0712 345 678."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": "0712 345 678",
                "data-mpesa-phone": "true",
            }
        ),
    )

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc
