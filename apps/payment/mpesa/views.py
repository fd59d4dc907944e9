"""Daraja's callbacks into the shop: thin, csrf-exempt, never a 500.

The raw body is stored first; Daraja is answered 200 "Accepted" whenever the body was
kept, because whatever goes wrong after that is ours to fix from the stored body, not
Daraja's to resend (it may not).
"""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .c2b import C2BParseError, parse_c2b
from .security import callback_source_allowed, client_address
from .services import C2B_OTHER, refunds

logger = logging.getLogger(__name__)

ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
REFUSED = {"ResultCode": 1, "ResultDesc": "Refused"}


def _small_body(request) -> bytes | None:
    """The request body, or None when it is larger than any Daraja call (read no further
    than the declared length allows)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > settings.MPESA_CALLBACK_MAX_BYTES:
        logger.warning("M-Pesa endpoint %s refused a %s-byte body", request.path, length)
        return None
    body = request.body
    return body if len(body) <= settings.MPESA_CALLBACK_MAX_BYTES else None


@csrf_exempt
@require_POST
def stk_callback(request, token: str):
    if not callback_source_allowed(request):
        return JsonResponse(REFUSED, status=403)
    body = _small_body(request)
    if body is None:
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Body too large"}, status=413)

    callback = services.stk_callback_store(
        token=token, body=body, remote_addr=client_address(request)
    )
    try:
        outcome = services.stk_callback_process(callback=callback)
    except Exception:
        # The body is stored; reconciliation (and staff) can apply it later.
        logger.exception("STK callback %s could not be processed", callback.pk)
        callback.outcome = callback.Outcome.ERROR
        callback.save(update_fields=["outcome"])
        return JsonResponse(ACCEPTED)
    if outcome == callback.Outcome.REJECTED and callback.detail == "unknown token":
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Unknown callback"}, status=404)
    if outcome == callback.Outcome.REJECTED and callback.attempt_id is not None:
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=400)
    return JsonResponse(ACCEPTED)


# --- Paybill (C2B) ----------------------------------------------------------------------


def _c2b_secret_ok(secret: str) -> bool:
    return constant_time_compare(secret, settings.MPESA_C2B_PATH_SECRET)


def _read_c2b(request, secret: str):
    """The parsed payment, or the error response to send instead."""
    if not callback_source_allowed(request):
        return None, JsonResponse({"ResultCode": C2B_OTHER, "ResultDesc": "Rejected"}, status=403)
    if not _c2b_secret_ok(secret):
        logger.warning("C2B call with a wrong path secret from %s", client_address(request))
        return None, JsonResponse({"ResultCode": C2B_OTHER, "ResultDesc": "Rejected"}, status=404)
    body = _small_body(request)
    if body is None:
        return None, JsonResponse({"ResultCode": C2B_OTHER, "ResultDesc": "Rejected"}, status=413)
    try:
        return parse_c2b(body), None
    except C2BParseError as exc:
        logger.warning("Malformed C2B body: %s", exc)
        return None, JsonResponse({"ResultCode": C2B_OTHER, "ResultDesc": "Rejected"}, status=400)


@csrf_exempt
@require_POST
def c2b_validation(request, secret: str):
    payment, refusal = _read_c2b(request, secret)
    if refusal is not None:
        return refusal
    code = services.c2b_validate(payment=payment)
    logger.info(
        "C2B validation %s for account %r: %s", payment.trans_id, payment.bill_ref_number, code
    )
    return JsonResponse(
        {"ResultCode": code, "ResultDesc": "Accepted" if code == "0" else "Rejected"}
    )


@csrf_exempt
@require_POST
def c2b_confirmation(request, secret: str):
    payment, refusal = _read_c2b(request, secret)
    if refusal is not None:
        if refusal.status_code == 400:
            # The money has already moved: keep the body for staff even when it is unreadable.
            logger.error("Unreadable C2B confirmation kept in the log: %r", request.body[:2000])
        return refusal
    services.c2b_confirm(payment=payment)
    return JsonResponse({"ResultCode": 0, "ResultDesc": "Success"})


# --- Refund results (Reversal, B2C, Transaction Status) ----------------------------------


def _refund_result(request, token: str, kind: str):
    """A refund's result, timeout or status answer: kept raw first, answered as Daraja
    expects, applied to the refund its secret token names (404 for none)."""
    if not callback_source_allowed(request):
        return JsonResponse(REFUSED, status=403)
    body = _small_body(request)
    if body is None:
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Body too large"}, status=413)
    callback = refunds.refund_result_store(
        token=token, body=body, remote_addr=client_address(request)
    )
    try:
        outcome = refunds.refund_result_process(callback=callback, kind=kind)
    except Exception:
        logger.exception("Refund result %s could not be processed", callback.pk)
        callback.outcome = callback.Outcome.ERROR
        callback.save(update_fields=["outcome"])
        return JsonResponse(ACCEPTED)
    if outcome == callback.Outcome.REJECTED and callback.refund_id is None:
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Unknown result"}, status=404)
    if outcome == callback.Outcome.REJECTED:
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=400)
    return JsonResponse(ACCEPTED)


@csrf_exempt
@require_POST
def refund_result(request, token: str):
    return _refund_result(request, token, refunds.ResultKind.RESULT)


@csrf_exempt
@require_POST
def refund_timeout(request, token: str):
    return _refund_result(request, token, refunds.ResultKind.TIMEOUT)


@csrf_exempt
@require_POST
def refund_status(request, token: str):
    return _refund_result(request, token, refunds.ResultKind.STATUS)
