"""Forms of the dashboard's M-Pesa section: the log's filters and the staff actions."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.payment.models import MpesaAttemptStatus, MpesaChannel
from apps.payment.mpesa.phone import InvalidPhoneNumber, normalise_phone
from apps.payment.mpesa.selectors import AttemptFilters

# M-Pesa receipts are ten capital letters and digits (e.g. NLJ7RT61SV); the services accept
# 8 to 32 of them. Checked here too so a typo is shown next to the field.
RECEIPT_PATTERN = re.compile(r"^[A-Z0-9]{8,32}$")

YES_NO = [("", _("All")), ("yes", _("Yes")), ("no", _("No"))]

# The test prompt moves real money in production: keep it small.
TEST_PROMPT_MAX_KES = 100


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class TransactionFilterForm(forms.Form):
    query = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _(
                    "Receipt, phone, order number, CheckoutRequestID, email or payer name"
                ),
                "size": 40,
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + MpesaAttemptStatus.choices
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All"))] + MpesaChannel.choices
    )
    is_test = forms.ChoiceField(label=_("Test payments"), required=False, choices=YES_NO)
    needs_attention = forms.ChoiceField(label=_("Needs attention"), required=False, choices=YES_NO)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error(
                "date_to",
                _("The To date (%(to)s) is before the From date (%(from)s).")
                % {"to": date_to.isoformat(), "from": date_from.isoformat()},
            )
        return data

    def filters(self) -> AttemptFilters:
        """The filters to apply; an invalid form filters nothing rather than failing."""
        if not self.is_valid():
            return AttemptFilters()
        data = self.cleaned_data
        return AttemptFilters(
            status=data["status"],
            channel=data["channel"],
            is_test=_yes_no(data["is_test"]),
            needs_attention=_yes_no(data["needs_attention"]),
            date_from=data["date_from"],
            date_to=data["date_to"],
            query=data["query"].strip(),
        )


class MarkPaidForm(forms.Form):
    receipt_number = forms.CharField(
        label=_("M-Pesa receipt number"),
        max_length=32,
        help_text=_("As on the M-Pesa statement or the customer's SMS, e.g. NLJ7RT61SV."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The confirmation step, in the form itself so that it holds without JavaScript: the
    # order is paid exactly as by M-Pesa's own answer, on staff's word alone.
    confirmed = forms.BooleanField(
        label=_("I checked this receipt on the M-Pesa statement: the amount and the payer match."),
        error_messages={
            "required": _(
                'Tick "I checked this receipt on the M-Pesa statement" to mark the order paid.'
            )
        },
    )

    def clean_receipt_number(self) -> str:
        receipt = self.cleaned_data["receipt_number"].strip().upper()
        if not RECEIPT_PATTERN.match(receipt):
            raise forms.ValidationError(
                _("An M-Pesa receipt number is 8 to 32 letters and digits, e.g. NLJ7RT61SV.")
            )
        return receipt


class MatchOrderForm(forms.Form):
    order_number = forms.CharField(label=_("Order number"), max_length=128)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_order_number(self) -> str:
        return self.cleaned_data["order_number"].strip().lstrip("#").strip()


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=1000,
        help_text=_("Required, e.g. 'Refunded from the M-Pesa portal on 3 May'."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("Say what was done with this payment."))
        return note


class RefundForm(forms.Form):
    """What staff send back from one payment; the services check it against what the
    payment still holds."""

    amount = forms.DecimalField(
        label=_("Amount (KSh)"), min_value=1, max_digits=12, decimal_places=0
    )
    phone = forms.CharField(
        label=_("Customer's M-Pesa number"),
        required=False,
        max_length=32,
        help_text=_("Only for part of a Paybill payment: M-Pesa sends the payer's number masked."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. out of stock, paid twice")}),
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        try:
            return normalise_phone(phone)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc


class RefundConfirmForm(RefundForm):
    """The same, confirmed: with the key that makes one refund of however many presses."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class RefundOutcomeForm(forms.Form):
    """How a refund M-Pesa never told the shop about ended, read in the M-Pesa portal."""

    sent = forms.TypedChoiceField(
        label=_("In the M-Pesa portal the refund"),
        choices=[("yes", _("was sent")), ("no", _("was not sent"))],
        coerce=lambda value: value == "yes",
    )
    receipt_number = forms.CharField(label=_("Its M-Pesa receipt"), required=False, max_length=32)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class OrderRefundConfirmForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class TestPromptForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_("The Safaricom number to prompt, e.g. 0712 345 678."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    amount = forms.IntegerField(
        label=_("Amount (KES)"),
        initial=1,
        min_value=1,
        max_value=TEST_PROMPT_MAX_KES,
        help_text=_("Real money in production: it is not refunded automatically."),
    )

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc
