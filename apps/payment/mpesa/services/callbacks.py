"""STK callbacks: stored raw first, then applied to their attempt through ``settle``."""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare

from apps.payment.models import (
    MpesaAttemptEvent,
    MpesaAttemptStatus,
    MpesaCallback,
    MpesaPaymentAttempt,
)

from .. import gateway
from ..callbacks import CallbackParseError, StkCallback, parse_stk_callback
from . import common
from .common import (
    callback_token_digest,
)
from .push import (
    attempt_flag,
)
from .settle import (
    SettleInput,
    SettleResult,
    _attempt_locked,
    _log_settled,
    _settle_locked,
    _settle_retrying,
)

logger = logging.getLogger(__name__)


Status = MpesaAttemptStatus


def stk_callback_store(*, token: str, body: bytes, remote_addr: str | None) -> MpesaCallback:
    """Keep the raw body before anything else can go wrong. Bytes that are not UTF-8 are
    kept as U+FFFD; a NUL (which PostgreSQL text cannot hold) as the six characters of its
    JSON escape, which the parser refuses as it would have refused the NUL."""
    return MpesaCallback.objects.create(
        token=callback_token_digest(token),
        body=body.decode("utf-8", errors="replace").replace("\x00", "\\u0000"),
        remote_addr=stored_address(remote_addr),
    )


def stored_address(address: str | None) -> str | None:
    """The caller's address as the log keeps addresses (an IP address), else None. Behind
    a wrong MPESA_TRUSTED_PROXY_COUNT the address read is what the caller wrote in
    X-Forwarded-For ("unknown", say), which PostgreSQL refused: a 500, the body lost."""
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


def _callback_settle_input(parsed: StkCallback) -> SettleInput:
    return SettleInput(
        success=parsed.is_success,
        result_code=parsed.result_code,
        result_desc=parsed.result_desc,
        receipt_number=parsed.receipt_number,
        amount_paid=parsed.amount,
        phone=parsed.phone or "",
        checkout_request_id=parsed.checkout_request_id,
        via="callback",
    )


CALLBACK_OUTCOMES = {
    SettleResult.APPLIED: MpesaCallback.Outcome.APPLIED,
    SettleResult.REVIEW: MpesaCallback.Outcome.APPLIED,
    SettleResult.DUPLICATE: MpesaCallback.Outcome.DUPLICATE,
    SettleResult.IGNORED: MpesaCallback.Outcome.IGNORED,
    SettleResult.MISMATCH: MpesaCallback.Outcome.REJECTED,
}


def stk_callback_process(*, callback: MpesaCallback) -> str:
    """Apply a stored callback to its attempt. Returns the callback's outcome.

    One transaction finds the attempt by its token and locks it, settles it and writes the
    callback's outcome (the body itself was committed before, on its own).
    """
    try:
        parsed: StkCallback = parse_stk_callback(callback.body)
    except CallbackParseError as exc:
        return _callback_reject_unreadable(callback, str(exc))
    # A success that does not say what was paid (no amount, no receipt) is taken on
    # Daraja's word only, whatever MPESA_VERIFY_BEFORE_FULFIL says.
    incomplete = parsed.amount is None or not parsed.receipt_number
    if parsed.is_success and (settings.MPESA_VERIFY_BEFORE_FULFIL or incomplete):
        held_back = _callback_verify(callback, parsed)
        if held_back is not None:
            return held_back
    outcome = _callback_settle_input(parsed)

    def settle() -> str:
        with transaction.atomic():
            attempt = _attempt_locked(outcome=outcome, callback_token=callback.token)
            if attempt is None or not constant_time_compare(attempt.callback_token, callback.token):
                return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, "unknown token")
            callback.attempt_id = attempt.pk
            result = _settle_locked(attempt, outcome, actor=None)
            _callback_outcome(callback, CALLBACK_OUTCOMES[result], result)
        _log_settled(attempt, outcome, result)
        return callback.outcome

    return _settle_retrying(settle)


def _attempt_for_token(token: str) -> MpesaPaymentAttempt | None:
    """The attempt a callback token belongs to, read without a lock."""
    attempt = (
        MpesaPaymentAttempt.objects.filter(callback_token=token)
        .only("pk", "callback_token", "checkout_request_id", "status")
        .first()
    )
    if attempt is None or not constant_time_compare(attempt.callback_token, token):
        return None
    return attempt


def _callback_reject_unreadable(callback: MpesaCallback, error: str) -> str:
    attempt = _attempt_for_token(callback.token)
    if attempt is None:
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, "unknown token")
    callback.attempt_id = attempt.pk
    return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, error)


def _callback_verify(callback: MpesaCallback, parsed: StkCallback) -> str | None:
    """ "Verify before fulfil": ask Daraja before a success callback may pay an open attempt.

    Returns the callback's outcome when it must not be applied now, None when it may (the
    query confirmed it, or there is nothing to verify: a duplicate, a mismatch). Runs before
    the attempt is locked: no lock is held while Daraja answers.
    """
    attempt = _attempt_for_token(callback.token)
    if attempt is None:
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, "unknown token")
    same_request = attempt.checkout_request_id in (None, "", parsed.checkout_request_id)
    if not same_request or attempt.status in (Status.SUCCEEDED, Status.REVIEW):
        return None
    callback.attempt_id = attempt.pk
    verdict = _verify_success_with_daraja(attempt.pk, parsed.checkout_request_id)
    if verdict is None:
        # Daraja cannot confirm yet: the callback waits, reconciliation applies it.
        return _callback_outcome(
            callback, MpesaCallback.Outcome.UNVERIFIED, "awaiting confirmation by query"
        )
    if verdict != "success":
        attempt_flag(
            attempt=attempt, reason="A success callback that Daraja's query does not confirm"
        )
        return _callback_outcome(callback, MpesaCallback.Outcome.REJECTED, f"query says {verdict}")
    return None


def _verify_success_with_daraja(attempt_id: int, checkout_request_id: str) -> str | None:
    """ "Verify before fulfil": Daraja's own word on a success callback, or None if unknown."""
    try:
        answer = common.daraja_client().stk_query(checkout_request_id=checkout_request_id)
    except gateway.DarajaError as exc:
        logger.warning("Could not verify a success callback: %s", exc)
        return None
    MpesaAttemptEvent.objects.create(
        attempt_id=attempt_id,
        kind="verify",
        message=f"query {answer.state} {answer.result_code or ''}"[:255],
        data=answer.raw,
    )
    if answer.state == "pending":
        return None
    return str(answer.state)


def _unverified_success_callback(attempt: MpesaPaymentAttempt) -> StkCallback | None:
    """A success callback kept back for verification, now that Daraja has confirmed it."""
    for body in attempt.callbacks.filter(outcome=MpesaCallback.Outcome.UNVERIFIED).values_list(
        "body", flat=True
    ):
        try:
            parsed = parse_stk_callback(body)
        except CallbackParseError:
            continue
        if parsed.is_success:
            return parsed
    return None


def _callback_outcome(callback: MpesaCallback, outcome: str, detail: str) -> str:
    callback.outcome = outcome
    callback.detail = detail[:255]
    callback.save(update_fields=["attempt", "outcome", "detail"])
    return outcome
