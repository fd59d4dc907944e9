"""The life of a simulated STK push and of a simulated Paybill payment.

A push is decided either by its test number (the outcome takes effect ``DARAJA_SIMULATOR_
CALLBACK_DELAY`` seconds after the push, and a thread then POSTs the callback) or by a person
on the virtual phone page. An unanswered prompt ends as 1037 after ``DARAJA_SIMULATOR_PROMPT_
TIMEOUT`` seconds: a timer thread does it, and anything that looks at the push (STK Query, the
phone page, the JSON list, a new push to the same phone) does it too if the timer did not run
(e.g. after a restart). Every change of state is a conditional UPDATE of a pending row, so
exactly one of them wins and sends the callback, whichever worker it runs in.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from . import delivery, outcomes, protocol
from .models import C2BPayment, C2BRegistration, CallbackDelivery, StkPush

logger = logging.getLogger(__name__)


def callback_delay() -> float:
    return float(getattr(settings, "DARAJA_SIMULATOR_CALLBACK_DELAY", 3.0))


def prompt_timeout() -> float:
    return float(getattr(settings, "DARAJA_SIMULATOR_PROMPT_TIMEOUT", 60.0))


# --- STK push ---------------------------------------------------------------------------------


def accept_push(fields: dict) -> StkPush:
    """Record an accepted push and schedule what happens next."""
    phone = fields["phone"]
    outcome = outcomes.outcome_for(phone)
    if outcome.refused:
        raise protocol.DarajaFault(*outcome.refused)
    if not _party_b_matches(
        fields["transaction_type"], fields["business_shortcode"], fields["party_b"]
    ):
        outcome = outcomes.MISCONFIGURED
    now = timezone.now()
    if outcome.interactive:
        for open_push in StkPush.objects.filter(phone=phone, state=StkPush.State.PENDING):
            refresh(open_push)
        if StkPush.objects.filter(phone=phone, state=StkPush.State.PENDING).exists():
            raise protocol.SUBSCRIBER_LOCKED
    push = StkPush.objects.create(
        checkout_request_id=protocol.checkout_request_id(),
        merchant_request_id=protocol.merchant_request_id(),
        scenario=outcome.scenario,
        planned_result_code=outcome.result_code,
        decides_at=None if outcome.interactive else now + timedelta(seconds=callback_delay()),
        expires_at=now + timedelta(seconds=prompt_timeout()) if outcome.interactive else None,
        **fields,
    )
    if outcome.interactive:
        delivery.run_later(prompt_timeout(), _expire_prompt, push.pk)
    else:
        delivery.run_later(callback_delay(), _decide_and_deliver, push.pk, outcome.deliveries)
    logger.info(
        "Daraja simulator accepted push %s (%s)", push.checkout_request_id, outcome.scenario
    )
    return push


def _party_b_matches(transaction_type: str, shortcode: str, party_b: str) -> bool:
    if transaction_type == "CustomerPayBillOnline":
        return party_b == shortcode
    till = str(getattr(settings, "MPESA_TILL_NUMBER", "") or "")
    return not till or party_b == till


def refresh(push: StkPush) -> StkPush:
    """Bring a pending push up to date with the clock (see the module docstring)."""
    if push.state != StkPush.State.PENDING:
        return push
    now = timezone.now()
    if push.decides_at is not None and now >= push.decides_at:
        _settle(push, push.planned_result_code)
    elif push.expires_at is not None and now >= push.expires_at:
        if _settle(push, outcomes.PROMPT_TIMEOUT_CODE):
            delivery.run_later(0, _deliver, push.pk, 1)
    push.refresh_from_db()
    return push


def answer_prompt(push: StkPush, *, pay: bool) -> bool:
    """The person on the virtual phone paid (any 4-digit PIN) or declined."""
    refresh(push)
    if not _settle(push, 0 if pay else outcomes.DECLINED_CODE):
        return False
    delivery.run_later(callback_delay(), _deliver, push.pk, 1)
    return True


def _settle(push: StkPush, result_code: int) -> bool:
    """Move a PENDING push to its result; False if someone else already did."""
    now = timezone.now()
    changes = {
        "state": StkPush.State.SUCCEEDED if result_code == 0 else StkPush.State.FAILED,
        "result_code": result_code,
        "result_desc": outcomes.callback_description(result_code),
        "resolved_at": now,
    }
    if result_code == 0:
        changes["receipt_number"] = protocol.receipt_number()
        changes["transaction_date"] = protocol.nairobi_stamp(now)
    won = StkPush.objects.filter(pk=push.pk, state=StkPush.State.PENDING).update(**changes) == 1
    if won:
        logger.info("Daraja simulator push %s ended with %s", push.checkout_request_id, result_code)
    return won


def _decide_and_deliver(push_id: int, deliveries: int) -> None:
    """The scheduled outcome is due now (a query may already have applied it)."""
    push = StkPush.objects.get(pk=push_id)
    if push.state == StkPush.State.PENDING:
        _settle(push, push.planned_result_code)
    _deliver(push_id, deliveries)


def _expire_prompt(push_id: int) -> None:
    push = StkPush.objects.filter(pk=push_id).first()
    if push is not None:
        refresh(push)


def _deliver(push_id: int, deliveries: int) -> None:
    push = StkPush.objects.get(pk=push_id)
    body = protocol.stk_callback_json(push)
    for _ in range(deliveries):
        delivery.post(
            CallbackDelivery.Kind.STK_CALLBACK, push.checkout_request_id, push.callback_url, body
        )


def describe(push: StkPush) -> dict:
    """What ``GET /daraja-sim/stk/`` shows about a push."""
    return {
        "CheckoutRequestID": push.checkout_request_id,
        "MerchantRequestID": push.merchant_request_id,
        "phone": push.phone,
        "amount": push.amount,
        "AccountReference": push.account_reference,
        "CallBackURL": push.callback_url,
        "scenario": push.scenario,
        "state": push.state,
        "result_code": push.result_code,
        "result_desc": push.result_desc,
        "receipt_number": push.receipt_number,
        "created_at": push.created_at.isoformat(),
        "callbacks": [
            {"status_code": d.status_code, "error": d.error, "sent_at": d.sent_at.isoformat()}
            for d in CallbackDelivery.objects.filter(
                kind=CallbackDelivery.Kind.STK_CALLBACK, reference=push.checkout_request_id
            )
        ],
    }


# --- C2B ----------------------------------------------------------------------------------------


def accept_c2b_payment(fields: dict) -> C2BPayment:
    payment = C2BPayment.objects.create(
        trans_id=protocol.receipt_number(), trans_time=protocol.nairobi_stamp(), **fields
    )
    delivery.run_later(callback_delay(), _deliver_c2b, payment.pk)
    return payment


def _deliver_c2b(payment_id: int) -> None:
    """Validation first (if a URL is registered), then confirmation unless validation refused.

    If validation cannot be reached, the registered ResponseType decides: ``Completed`` goes on
    to confirmation, ``Cancelled`` stops.
    """
    payment = C2BPayment.objects.get(pk=payment_id)
    registration = C2BRegistration.objects.filter(shortcode=payment.shortcode).first()
    if registration is None:
        logger.warning(
            "C2B payment %s: no URLs registered for %s", payment.trans_id, payment.shortcode
        )
        _set_c2b_state(payment, C2BPayment.State.UNDELIVERED, "no URLs registered")
        return
    balance = C2BPayment.objects.filter(shortcode=payment.shortcode, pk__lte=payment.pk).aggregate(
        total=Sum("amount")
    )["total"]
    body = protocol.c2b_json(payment, balance or 0)
    note = "no validation URL"
    if registration.validation_url:
        answer = delivery.post(
            CallbackDelivery.Kind.C2B_VALIDATION,
            payment.trans_id,
            registration.validation_url,
            body,
        )
        verdict = _validation_verdict(answer)
        if verdict is None and registration.response_type == "Cancelled":
            _set_c2b_state(payment, C2BPayment.State.REJECTED, "validation unreachable; Cancelled")
            return
        if verdict is not None and verdict != "0":
            _set_c2b_state(payment, C2BPayment.State.REJECTED, f"ResultCode {verdict}")
            return
        note = "validation unreachable; Completed" if verdict is None else "validated"
    answer = delivery.post(
        CallbackDelivery.Kind.C2B_CONFIRMATION,
        payment.trans_id,
        registration.confirmation_url,
        body,
    )
    confirmed = answer is not None and answer.status_code == 200
    _set_c2b_state(
        payment,
        C2BPayment.State.CONFIRMED if confirmed else C2BPayment.State.UNDELIVERED,
        note,
    )


def _validation_verdict(answer) -> str | None:
    """The shop's ResultCode as a string, or None when validation could not be read."""
    if answer is None or answer.status_code != 200:
        return None
    try:
        result = json.loads(answer.text)
    except ValueError:
        return None
    if not isinstance(result, dict) or "ResultCode" not in result:
        return None
    return str(result["ResultCode"])


def _set_c2b_state(payment: C2BPayment, state: str, note: str) -> None:
    C2BPayment.objects.filter(pk=payment.pk).update(state=state, validation_result=note[:255])


def describe_c2b(payment: C2BPayment) -> dict:
    return {
        "TransID": payment.trans_id,
        "ShortCode": payment.shortcode,
        "amount": payment.amount,
        "BillRefNumber": payment.bill_ref_number,
        "state": payment.state,
        "note": payment.validation_result,
        "deliveries": [
            {"kind": d.kind, "url": d.url, "status_code": d.status_code, "error": d.error}
            for d in CallbackDelivery.objects.filter(reference=payment.trans_id)
        ],
    }
