"""Daraja's callbacks into the shop: thin, csrf-exempt, never a 500.

The raw body is stored first; Daraja is answered 200 "Accepted" whenever the body was
kept, because whatever goes wrong after that is ours to fix from the stored body, not
Daraja's to resend (it may not).
"""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services

logger = logging.getLogger(__name__)

ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@csrf_exempt
@require_POST
def stk_callback(request, token: str):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > settings.MPESA_CALLBACK_MAX_BYTES:
        logger.warning("STK callback refused: body too large (%s bytes)", length)
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Body too large"}, status=413)
    body = request.body
    if len(body) > settings.MPESA_CALLBACK_MAX_BYTES:
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
