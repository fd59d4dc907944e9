"""How the M-Pesa records read to people: timeline events in words, a status that says
what happened, amounts as ``KSh 3,150`` and one way of showing a phone number whatever
M-Pesa sent.

Shared by the dashboard's M-Pesa pages and the Django admin, so staff read the same
words in both. Nothing here queries the database.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from apps.common.money import ksh
from apps.payment.models import MpesaAttemptStatus, MpesaPaymentAttempt

from .phone import InvalidPhoneNumber, mask_phone, normalise_phone

# What each timeline event (MpesaAttemptEvent.kind, written by the services) means.
EVENT_LABELS = {
    "created": _("Prompt sent"),
    "accepted": _("Daraja accepted the prompt"),
    "unconfirmed": _("Daraja did not answer in time"),
    "refused": _("Daraja refused the prompt"),
    "superseded": _("Replaced by a new prompt"),
    "test_prompt": _("Test prompt sent from the dashboard"),
    "query": _("Asked M-Pesa for the status"),
    "query_error": _("Asking M-Pesa for the status failed"),
    "expired": _("Expired without an answer"),
    "succeeded": _("Payment received"),
    "failed": _("Payment failed"),
    "receipt": _("Receipt recorded"),
    "order_paid": _("Order marked paid"),
    "part_payment": _("Part payment recorded on the order"),
    "overpaid": _("Paid more than the amount due"),
    "balance_overdue": _("Order still part-paid when it expired"),
    "refund_flagged": _("Flagged for a refund"),
    "review": _("Money received, held for staff review"),
    "needs_attention": _("Needs staff attention"),
    "mismatch": _("Answer for another prompt ignored"),
    "duplicate": _("Repeated answer ignored"),
    "ignored": _("Late failure ignored (already paid)"),
    "c2b_confirmation": _("Paybill payment confirmed by Safaricom"),
    "staff_check": _("Staff asked M-Pesa for the status"),
    "staff_match": _("Matched to an order by staff"),
    "staff_resolve": _("Resolved by staff"),
    "refund_requested": _("Refund requested"),
    "refund_accepted": _("M-Pesa accepted the refund"),
    "refund_unconfirmed": _("M-Pesa did not answer about the refund in time"),
    "refund_completed": _("Money sent back to the customer"),
    "refund_failed": _("Refund failed: no money sent"),
    "refund_duplicate": _("Repeated refund result ignored"),
    "refund_ignored": _("Late refund failure ignored (already sent)"),
    "refund_mismatch": _("Refund result for another request ignored"),
    "refund_queue_timeout": _("M-Pesa's queue timed out on the refund"),
    "refund_status_asked": _("Asked M-Pesa for the refund's status"),
    "refund_status": _("M-Pesa's answer about the refund"),
    "refund_status_error": _("Asking M-Pesa about the refund failed"),
}

# A REVIEW attempt staff have dealt with: the money is still "received", not "to review".
RESOLVED_REVIEW_LABEL = _("Money received, resolved by staff")

# Safaricom's masked C2B numbers: "2547 ***** 126", "2547****126" (digits, stars, digits).
_MASKED = re.compile(r"^\s*(\d*)[\s*xX]*\*[\s*xX]*(\d*)\s*$")
_FULL_LENGTH = 12  # 2547XXXXXXXX

# "KES 1250", "KES 1250.00", "KES 1,250" in text the services wrote (timeline entries,
# attention reasons, refusals), including entries written before amounts read "KSh".
_KES_AMOUNT = re.compile(r"\bKES\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")


def event_label(kind: str) -> str:
    """A timeline event in words; a kind added later without a label reads as words too
    ("new_kind" -> "New kind") rather than as a code name."""
    label = EVENT_LABELS.get(kind)
    if label is not None:
        return str(label)
    return (kind or "").replace("_", " ").strip().capitalize() or str(_("Event"))


def amounts_shown(text: str) -> str:
    """Text with every "KES 1250.00" in it as people read amounts: "KSh 1,250"."""
    return _KES_AMOUNT.sub(lambda match: ksh(match.group(1).replace(",", "")), text or "")


def attempt_status_label(attempt: MpesaPaymentAttempt) -> str:
    """The attempt's status as staff read it: an item staff resolved no longer says it
    needs their review."""
    if (
        attempt.status == MpesaAttemptStatus.REVIEW
        and attempt.resolved_at is not None
        and not attempt.needs_attention
    ):
        return str(RESOLVED_REVIEW_LABEL)
    return str(attempt.get_status_display())


def phone_shown(phone: str | None) -> str:
    """One way to show a phone, for an STK push (a full ``2547XXXXXXXX``) and a Paybill
    payment (whatever Safaricom sent: a number, a masked one, or a hash):

    - a number: ``2547****5678``;
    - Safaricom's masked ``2547 ***** 126``: ``2547*****126`` (what it kept, the same width);
    - anything else (a hash): ``hidden by Safaricom``;
    - nothing: an empty string.
    """
    text = str(phone or "").strip()
    if not text:
        return ""
    try:
        return mask_phone(normalise_phone(text))
    except InvalidPhoneNumber:
        pass
    masked = _MASKED.match(text)
    if masked:
        head, tail = masked.groups()
        stars = max(_FULL_LENGTH - len(head) - len(tail), 1)
        return f"{head}{'*' * stars}{tail}"
    return str(_("hidden by Safaricom"))
