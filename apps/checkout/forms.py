"""Checkout forms for Kenyan shoppers.

The shipping address form changes and the gateway's email field says what it holds;
Oscar's loader falls back to
``oscar.apps.checkout.forms`` for every other checkout form.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from oscar.apps.checkout.forms import GatewayForm as CoreGatewayForm
from oscar.apps.checkout.forms import ShippingAddressForm as CoreShippingAddressForm
from phonenumber_field.phonenumber import PhoneNumber

from apps.common.kenya import COUNTY_CHOICES

KENYA_COUNTRY_CALLING_CODE = 254


class ShippingAddressForm(CoreShippingAddressForm):
    """A delivery address as a Kenyan shopper gives it.

    Riders find a customer by town, county, a street or building and a phone call,
    so the phone number is required and the postcode is optional (most shoppers
    don't know theirs; one that is given is still checked against Kenya's format).
    """

    state = forms.ChoiceField(
        label=_("County"),
        choices=[("", _("Choose your county"))] + COUNTY_CHOICES,
    )

    field_labels = {
        "line1": _("Street / building"),
        "line2": _("Estate, floor or house number"),
        "line4": _("Town"),
        "postcode": _("Postal code (optional)"),
        "phone_number": _("Phone number"),
        "notes": _("Directions for the rider"),
    }

    #: What each field holds, for the browser's autofill (WCAG 2.1 "Identify Input Purpose").
    autocomplete = {
        "first_name": "given-name",
        "last_name": "family-name",
        "line1": "address-line1",
        "line2": "address-line2",
        "line4": "address-level2",
        "state": "address-level1",
        "postcode": "postal-code",
        "country": "country",
        "phone_number": "tel",
    }

    class Meta(CoreShippingAddressForm.Meta):
        fields = [
            "first_name",
            "last_name",
            "line1",
            "line2",
            "line4",
            "state",
            "postcode",
            "country",
            "phone_number",
            "notes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in self.field_labels.items():
            if name in self.fields:
                self.fields[name].label = label
        for name, purpose in self.autocomplete.items():
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("autocomplete", purpose)
        self.fields["state"].required = True
        phone = self.fields["phone_number"]
        phone.required = True
        phone.help_text = _("The rider calls this number, e.g. 0712 345 678.")
        phone.widget.attrs.setdefault("inputmode", "tel")

    def clean_phone_number_field(self, field_name: str) -> Any:
        """Accept only Kenyan numbers: the rider and M-Pesa both need one."""
        number = super().clean_phone_number_field(field_name)
        if (
            isinstance(number, PhoneNumber)
            and number.country_code != KENYA_COUNTRY_CALLING_CODE
            and field_name not in self.errors
        ):
            self.add_error(field_name, _("Please give a Kenyan phone number, e.g. 0712 345 678."))
        return number


class GatewayForm(CoreGatewayForm):
    """Oscar's first checkout step: the email field tells the browser it holds an email
    address, so autofill offers the shopper's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.setdefault("autocomplete", "email")
