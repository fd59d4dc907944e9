"""Prompt limits: how many PIN prompts one phone, browser session, order or address may
cause in a window.

Nobody may use the shop to flood a stranger's phone with prompts, nor to block a
stranger's payments by asking for prompts that are never sent. So the limits count
prompts, not requests: a slot is taken only once the order and the attempt are known to
be valid (in the transaction that records the attempt), and given back when Daraja
refuses the push (no prompt went out). A push whose outcome is unknown keeps its slot:
the prompt may be on the phone.

Counts live in the database (``MpesaPromptCount``), where no cache eviction can reset
them. Each slot is taken with one conditional ``UPDATE … SET count = count + 1 WHERE
count < limit``: PostgreSQL re-checks the condition on the row a concurrent writer just
committed, SQLite has one writer, so two requests can never both take the last slot.
Rows are locked in a fixed order, so two requests cannot deadlock.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from apps.payment.models import MpesaPromptCount

from .errors import MpesaPaymentError

logger = logging.getLogger(__name__)

Kind = MpesaPromptCount.Kind


class PromptLimitReached(MpesaPaymentError):
    """A prompt limit is used up for this window; the text is for people."""

    def __init__(self, message: str, kind: str, wait_seconds: int):
        super().__init__(message)
        self.kind = kind
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class Requester:
    """Who asks for a prompt: the browser session and the client address (either may be
    unknown, and then that limit does not apply)."""

    session_key: str | None = None
    address: str | None = None


@dataclass
class Reservation:
    """The slots one prompt took; ``release`` gives them back when no prompt went out."""

    window: int
    slots: list[tuple[str, str]] = field(default_factory=list)
    released: bool = False

    def release(self) -> None:
        if self.released or not self.slots:
            return
        self.released = True
        with transaction.atomic():
            for kind, key in self.slots:
                MpesaPromptCount.objects.filter(
                    kind=kind, key=key, window=self.window, count__gt=0
                ).update(count=F("count") - 1)


def window_seconds() -> int:
    return max(1, settings.MPESA_PROMPT_RATE_WINDOW_SECONDS)


def current_window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // window_seconds())


def limit_key(kind: str, value: str) -> str:
    """A keyed hash of the value: the table never holds a session key in clear."""
    return salted_hmac(f"mpesa-prompt-limit:{kind}", value, algorithm="sha256").hexdigest()


def _limits(*, phone: str, order_number: str, requester: Requester) -> list[tuple[str, str, int]]:
    values = [
        (Kind.PHONE, phone, settings.MPESA_PROMPTS_PER_PHONE),
        (Kind.ORDER, order_number, settings.MPESA_PROMPTS_PER_ORDER),
        (Kind.SESSION, requester.session_key, settings.MPESA_PROMPTS_PER_SESSION),
        (Kind.ADDRESS, requester.address, settings.MPESA_PROMPTS_PER_ADDRESS),
    ]
    # A fixed order of rows: concurrent reservations lock them in the same order.
    return sorted(
        (str(kind), limit_key(kind, str(value)), limit) for kind, value, limit in values if value
    )


def reserve(*, phone: str, order_number: str, requester: Requester) -> Reservation:
    """Take one slot under every limit, or raise ``PromptLimitReached`` taking none.

    Call it inside the transaction that records the attempt: when any limit is used up,
    the error rolls the whole transaction back, attempt and slots alike.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve() must run inside the attempt's transaction")
    window = current_window()
    limits = _limits(phone=phone, order_number=order_number, requester=requester)
    MpesaPromptCount.objects.bulk_create(
        [MpesaPromptCount(kind=kind, key=key, window=window) for kind, key, _limit in limits],
        ignore_conflicts=True,
    )
    reservation = Reservation(window=window)
    for kind, key, limit in limits:
        taken = MpesaPromptCount.objects.filter(
            kind=kind, key=key, window=window, count__lt=limit
        ).update(count=F("count") + 1)
        if not taken:
            wait = math.ceil((window + 1) * window_seconds() - time.time())
            logger.warning("Prompt limit reached (%s)", kind)
            raise PromptLimitReached(
                _(
                    "Too many payment prompts have been sent just now. Please wait "
                    "%(minutes)s minute(s) and try again, or pay by Paybill."
                )
                % {"minutes": max(1, math.ceil(wait / 60))},
                kind=kind,
                wait_seconds=max(1, wait),
            )
        reservation.slots.append((kind, key))
    return reservation


def purge_ended_windows() -> int:
    """Delete the counts of windows that have ended; returns how many rows went."""
    deleted, _by_model = MpesaPromptCount.objects.filter(window__lt=current_window()).delete()
    return deleted
