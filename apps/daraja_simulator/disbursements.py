"""Money out of the shop's shortcode: Reversal and B2C requests, and Transaction Status.

A request is checked and answered at once, as Daraja does; its outcome is decided at the
same moment and POSTed to its ResultURL ``DARAJA_SIMULATOR_CALLBACK_DELAY`` seconds after
the answer went out. What decides it, in this order:

- the API operator: a name or a SecurityCredential other than the simulator's
  (``DARAJA_SIMULATOR_INITIATOR_NAME``/``_PASSWORD``, the credential decrypted with the
  simulator's own key) fails with 2001 "The initiator information is invalid.";
- a reversal of a receipt the simulator never issued fails with R000002, of one already
  reversed (through the API or by hand in the portal: ``POST /daraja-sim/reversed/``) with
  R000001;
- a shortcode whose float (``DARAJA_SIMULATOR_FLOAT``; ``POST /daraja-sim/float/`` sets it)
  is below the amount fails with 1 "The balance is insufficient";
- otherwise the money reaches the phone (the virtual phone lists it), with a receipt.

Money for the "no callback" test number 254700000404 moves, but its result is never POSTed:
only Transaction Status tells. Transaction Status answers every question on its ResultURL.
"""

from __future__ import annotations

import json
import logging
import secrets

from django.conf import settings
from django.db.models import F

from . import delivery, protocol
from .keys import credential_password
from .models import C2BPayment, CallbackDelivery, Disbursement, FloatAccount, HandReversal, StkPush
from .prompts import callback_delay

logger = logging.getLogger(__name__)

NO_RESULT_PHONE = "254700000404"


def operator_valid(initiator: str, credential: str) -> bool:
    password = credential_password(credential)
    return (
        password is not None
        and secrets.compare_digest(initiator, settings.DARAJA_SIMULATOR_INITIATOR_NAME)
        and secrets.compare_digest(password, settings.DARAJA_SIMULATOR_INITIATOR_PASSWORD)
    )


def float_account(shortcode: str) -> FloatAccount:
    account, _created = FloatAccount.objects.get_or_create(
        shortcode=shortcode, defaults={"balance": settings.DARAJA_SIMULATOR_FLOAT}
    )
    return account


def float_set(shortcode: str, balance: int) -> FloatAccount:
    account = float_account(shortcode)
    FloatAccount.objects.filter(pk=account.pk).update(balance=balance)
    account.refresh_from_db()
    return account


def _original_payment(receipt: str) -> tuple[str, int] | None:
    """(payer's phone, amount) of a payment the simulator made, by its receipt."""
    push = StkPush.objects.filter(receipt_number=receipt, state=StkPush.State.SUCCEEDED).first()
    if push is not None:
        return push.phone, push.amount
    payment = C2BPayment.objects.filter(trans_id=receipt).first()
    if payment is not None:
        return payment.msisdn, payment.amount
    return None


def accept_reversal(*, initiator: str, credential: str, fields: dict) -> Disbursement:
    receipt = fields["original_receipt"]
    original = _original_payment(receipt)
    if original is not None and fields["amount"] > original[1]:
        raise protocol.invalid("Amount")
    disbursement = Disbursement.objects.create(
        kind=Disbursement.Kind.REVERSAL,
        originator_conversation_id=protocol.request_id(),
        conversation_id=protocol.conversation_id(),
        phone=original[0] if original else "",
        **fields,
    )
    if not operator_valid(initiator, credential):
        code = "2001"
    elif original is None:
        code = "R000002"
    elif (
        HandReversal.objects.filter(receipt_number=receipt).exists()
        or Disbursement.objects.filter(
            kind=Disbursement.Kind.REVERSAL,
            original_receipt=receipt,
            state=Disbursement.State.COMPLETED,
        ).exists()
    ):
        code = "R000001"
    else:
        code = _pay_out(disbursement)
    return _decided(disbursement, code)


def accept_b2c(*, initiator: str, credential: str, fields: dict) -> Disbursement:
    if Disbursement.objects.filter(
        originator_conversation_id=fields["originator_conversation_id"]
    ).exists():
        raise protocol.DUPLICATE_ORIGINATOR
    disbursement = Disbursement.objects.create(
        kind=Disbursement.Kind.B2C, conversation_id=protocol.conversation_id(), **fields
    )
    code = "2001" if not operator_valid(initiator, credential) else _pay_out(disbursement)
    return _decided(disbursement, code)


def _pay_out(disbursement: Disbursement) -> str:
    """Take the amount off the shortcode's float: "0", or "1" when it is short."""
    account = float_account(disbursement.shortcode)
    taken = FloatAccount.objects.filter(pk=account.pk, balance__gte=disbursement.amount).update(
        balance=F("balance") - disbursement.amount
    )
    return "0" if taken else "1"


def _decided(disbursement: Disbursement, code: str) -> Disbursement:
    done = code == "0"
    Disbursement.objects.filter(pk=disbursement.pk).update(
        state=Disbursement.State.COMPLETED if done else Disbursement.State.FAILED,
        result_code=code,
        result_desc=protocol.result_description(code),
        receipt_number=protocol.receipt_number() if done else "",
        completed_at=protocol.nairobi_stamp(),
        deliveries=0 if disbursement.phone == NO_RESULT_PHONE else 1,
    )
    disbursement.refresh_from_db()
    delivery.run_later(callback_delay(), _deliver_result, disbursement.pk)
    logger.info("Daraja simulator %s %s: %s", disbursement.kind, disbursement.conversation_id, code)
    return disbursement


def _deliver_result(disbursement_id: int) -> None:
    disbursement = Disbursement.objects.get(pk=disbursement_id)
    balance = float_account(disbursement.shortcode).balance
    body = protocol.disbursement_result_json(disbursement, balance)
    for _ in range(disbursement.deliveries):
        delivery.post(
            CallbackDelivery.Kind.REFUND_RESULT,
            disbursement.conversation_id,
            disbursement.result_url,
            body,
        )


def accept_status_query(
    *, initiator: str, credential: str, receipt: str, originator: str, result_url: str
) -> tuple[str, str]:
    """Answer a Transaction Status question later, on ``result_url``; returns the
    question's own (OriginatorConversationID, ConversationID)."""
    ids = (protocol.request_id(), protocol.conversation_id())
    delivery.run_later(
        callback_delay(),
        _deliver_status,
        ids,
        initiator,
        credential,
        receipt,
        originator,
        result_url,
    )
    return ids


def _deliver_status(ids, initiator, credential, receipt, originator, result_url) -> None:
    if not operator_valid(initiator, credential):
        body = json.dumps(
            {
                "Result": {
                    "ResultType": 0,
                    "ResultCode": 2001,
                    "ResultDesc": protocol.result_description("2001"),
                    "OriginatorConversationID": ids[0],
                    "ConversationID": ids[1],
                    "TransactionID": "SKE0000000",
                }
            }
        )
    else:
        found = Disbursement.objects.all()
        if originator:
            found = found.filter(originator_conversation_id=originator)
        if receipt:
            found = found.filter(receipt_number=receipt)
        body = protocol.status_result_json(
            originator=ids[0], conversation=ids[1], disbursement=found.first()
        )
    delivery.post(CallbackDelivery.Kind.STATUS_RESULT, ids[1], result_url, body)


def received_by(phone: str | None = None):
    """Money the simulator paid to phones, newest first (the virtual phone's inbox)."""
    paid = Disbursement.objects.filter(state=Disbursement.State.COMPLETED).exclude(phone="")
    return paid.filter(phone=phone) if phone else paid


def describe(disbursement: Disbursement) -> dict:
    """What ``GET /daraja-sim/refunds/`` shows about a reversal or B2C payment."""
    return {
        "kind": disbursement.kind,
        "OriginatorConversationID": disbursement.originator_conversation_id,
        "ConversationID": disbursement.conversation_id,
        "original_receipt": disbursement.original_receipt,
        "phone": disbursement.phone,
        "amount": disbursement.amount,
        "state": disbursement.state,
        "result_code": disbursement.result_code,
        "receipt_number": disbursement.receipt_number,
        "ResultURL": disbursement.result_url,
        "results": [
            {"status_code": d.status_code, "error": d.error}
            for d in CallbackDelivery.objects.filter(reference=disbursement.conversation_id)
        ],
    }
