"""Daraja's endpoints at Daraja's own paths, plus the simulator's pages under /daraja-sim/."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import disbursements, prompts, protocol
from .models import C2BPayment, C2BRegistration, Disbursement, HandReversal, StkPush

PIN = re.compile(r"[0-9]{4}")


def this_machine_only(view: Callable) -> Callable:
    """Answer clients on this machine (loopback) only, unless
    ``DARAJA_SIMULATOR_ALLOW_REMOTE`` says the network may reach the simulator too."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not settings.DARAJA_SIMULATOR_ALLOW_REMOTE and not _is_loopback(
            request.META.get("REMOTE_ADDR", "")
        ):
            return HttpResponseForbidden(
                "The Daraja simulator answers this machine only "
                "(DARAJA_SIMULATOR_ALLOW_REMOTE=true lets the network reach it)."
            )
        return view(request, *args, **kwargs)

    return wrapped


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def daraja_endpoint(method: str) -> Callable:
    """Daraja's envelope: CSRF-exempt, one HTTP method, faults answered as Daraja's error JSON."""

    def decorate(view: Callable[[HttpRequest], JsonResponse]) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            try:
                if request.method != method:
                    raise protocol.NOT_FOUND
                return view(request)
            except protocol.DarajaFault as fault:
                return fault.response()

        return wrapper

    return decorate


# --- Daraja API ----------------------------------------------------------------------------------


@daraja_endpoint("GET")
def oauth_generate(request: HttpRequest) -> JsonResponse:
    token = protocol.issue_token(request)
    return JsonResponse(
        {"access_token": token.token, "expires_in": str(protocol.TOKEN_LIFETIME - 1)}
    )


@daraja_endpoint("POST")
def stk_push(request: HttpRequest) -> JsonResponse:
    protocol.require_token(request)
    body = protocol.json_body(request)
    shortcode = protocol.check_shortcode(body)
    protocol.check_password(body, shortcode)
    transaction_type = protocol.check_choice(body, "TransactionType", protocol.TRANSACTION_TYPES)
    amount = protocol.check_amount(body)
    party_a = protocol.check_msisdn(body, "PartyA")
    party_b = protocol.text(body.get("PartyB"))
    if not protocol.SHORTCODE.fullmatch(party_b):
        raise protocol.invalid("PartyB")
    phone = protocol.check_msisdn(body, "PhoneNumber")
    callback_url = protocol.check_url(body, "CallBackURL")
    account_reference = protocol.check_length(body, "AccountReference", 12)
    transaction_desc = protocol.check_length(body, "TransactionDesc", 13)
    if party_a != phone:
        raise protocol.invalid("PartyA")
    push = prompts.accept_push(
        {
            "business_shortcode": shortcode,
            "transaction_type": transaction_type,
            "party_b": party_b,
            "phone": phone,
            "amount": amount,
            "account_reference": account_reference,
            "transaction_desc": transaction_desc,
            "callback_url": callback_url,
        }
    )
    return JsonResponse(
        {
            "MerchantRequestID": push.merchant_request_id,
            "CheckoutRequestID": push.checkout_request_id,
            "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing",
        }
    )


@daraja_endpoint("POST")
def stk_query(request: HttpRequest) -> JsonResponse:
    protocol.require_token(request)
    body = protocol.json_body(request)
    shortcode = protocol.check_shortcode(body)
    protocol.check_password(body, shortcode)
    checkout_request_id = protocol.text(body.get("CheckoutRequestID"))
    if not checkout_request_id:
        raise protocol.invalid("CheckoutRequestID")
    push = StkPush.objects.filter(
        checkout_request_id=checkout_request_id, business_shortcode=shortcode
    ).first()
    if push is None:
        raise protocol.DOES_NOT_EXIST
    push = prompts.refresh(push)
    if push.state == StkPush.State.PENDING:
        raise protocol.BEING_PROCESSED
    return JsonResponse(
        {
            "ResponseCode": "0",
            "ResponseDescription": "The service request has been accepted successsfully",
            "MerchantRequestID": push.merchant_request_id,
            "CheckoutRequestID": push.checkout_request_id,
            "ResultCode": str(push.result_code),
            "ResultDesc": prompts.outcomes.query_description(push.result_code),
        }
    )


@daraja_endpoint("POST")
def c2b_register(request: HttpRequest) -> JsonResponse:
    protocol.require_token(request)
    body = protocol.json_body(request)
    shortcode = protocol.check_shortcode(body, "ShortCode")
    response_type = protocol.check_choice(body, "ResponseType", protocol.C2B_RESPONSE_TYPES)
    confirmation_url = protocol.check_url(body, "ConfirmationURL")
    validation_url = protocol.check_url(body, "ValidationURL")
    C2BRegistration.objects.update_or_create(
        shortcode=shortcode,
        defaults={
            "response_type": response_type,
            "confirmation_url": confirmation_url,
            "validation_url": validation_url,
        },
    )
    return JsonResponse(
        {
            "OriginatorCoversationID": protocol.originator_conversation_id(),
            "ResponseCode": "0",
            "ResponseDescription": "Success",
        }
    )


@daraja_endpoint("POST")
def c2b_simulate(request: HttpRequest) -> JsonResponse:
    protocol.require_token(request)
    body = protocol.json_body(request)
    shortcode = protocol.check_shortcode(body, "ShortCode")
    command_id = protocol.check_choice(body, "CommandID", protocol.TRANSACTION_TYPES)
    amount = protocol.check_amount(body)
    msisdn = protocol.check_msisdn(body, "Msisdn")
    bill_ref_number = protocol.check_length(body, "BillRefNumber", 20, required=False)
    prompts.accept_c2b_payment(
        {
            "shortcode": shortcode,
            "command_id": command_id,
            "amount": amount,
            "msisdn": msisdn,
            "bill_ref_number": bill_ref_number,
        }
    )
    return JsonResponse(
        {
            "OriginatorCoversationID": protocol.originator_conversation_id(),
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }
    )


# --- Refunds: Reversal, B2C, Transaction Status --------------------------------------------------


def _operator(body: dict, name_field: str) -> tuple[str, str]:
    """The API operator's name and SecurityCredential, present (their worth is decided with
    the result, as at Daraja: 2001 in the result callback)."""
    return (
        protocol.check_length(body, name_field, 100),
        protocol.check_length(body, "SecurityCredential", 4000),
    )


def _remarks(body: dict) -> str:
    remarks = protocol.check_length(body, "Remarks", 100)
    if len(remarks.strip()) < 2:
        raise protocol.invalid("Remarks")
    return remarks


def _accepted(originator: str, conversation: str) -> JsonResponse:
    return JsonResponse(
        {
            "OriginatorConversationID": originator,
            "ConversationID": conversation,
            "ResponseCode": "0",
            "ResponseDescription": protocol.REQUEST_ACCEPTED,
        }
    )


@daraja_endpoint("POST")
def reversal(request: HttpRequest) -> JsonResponse:
    protocol.require_token(request)
    body = protocol.json_body(request)
    initiator, credential = _operator(body, "Initiator")
    protocol.check_choice(body, "CommandID", ("TransactionReversal",))
    receipt = protocol.check_length(body, "TransactionID", 20)
    amount = protocol.check_amount(body)
    shortcode = protocol.check_shortcode(body, "ReceiverParty")
    if protocol.text(body.get("RecieverIdentifierType")) != "11":
        raise protocol.invalid("RecieverIdentifierType")
    fields = {
        "original_receipt": receipt,
        "amount": amount,
        "shortcode": shortcode,
        "result_url": protocol.check_url(body, "ResultURL"),
        "timeout_url": protocol.check_url(body, "QueueTimeOutURL"),
        "remarks": _remarks(body),
    }
    made = disbursements.accept_reversal(initiator=initiator, credential=credential, fields=fields)
    return _accepted(made.originator_conversation_id, made.conversation_id)


@daraja_endpoint("POST")
def b2c_payment(request: HttpRequest) -> JsonResponse:
    protocol.require_token(request)
    body = protocol.json_body(request)
    originator = protocol.check_length(body, "OriginatorConversationID", 100)
    initiator, credential = _operator(body, "InitiatorName")
    protocol.check_choice(
        body, "CommandID", ("BusinessPayment", "SalaryPayment", "PromotionPayment")
    )
    amount = protocol.check_amount(body)
    party_a = protocol.text(body.get("PartyA"))
    if not protocol.SHORTCODE.fullmatch(party_a):
        raise protocol.invalid("PartyA")
    if party_a != str(settings.MPESA_B2C_SHORTCODE):
        raise protocol.MERCHANT_UNKNOWN
    fields = {
        "originator_conversation_id": originator,
        "shortcode": party_a,
        "phone": protocol.check_msisdn(body, "PartyB"),
        "amount": amount,
        "result_url": protocol.check_url(body, "ResultURL"),
        "timeout_url": protocol.check_url(body, "QueueTimeOutURL"),
        "remarks": _remarks(body),
    }
    made = disbursements.accept_b2c(initiator=initiator, credential=credential, fields=fields)
    return _accepted(made.originator_conversation_id, made.conversation_id)


@daraja_endpoint("POST")
def transaction_status(request: HttpRequest) -> JsonResponse:
    protocol.require_token(request)
    body = protocol.json_body(request)
    initiator, credential = _operator(body, "Initiator")
    protocol.check_choice(body, "CommandID", ("TransactionStatusQuery",))
    party_a = protocol.text(body.get("PartyA"))
    if party_a not in (str(settings.MPESA_SHORTCODE), str(settings.MPESA_B2C_SHORTCODE)):
        raise protocol.invalid("PartyA")
    if protocol.text(body.get("IdentifierType")) != "4":
        raise protocol.invalid("IdentifierType")
    receipt = protocol.check_length(body, "TransactionID", 20, required=False)
    originator = protocol.check_length(body, "OriginalConversationID", 100, required=False)
    if not (receipt or originator):
        raise protocol.invalid("TransactionID")
    protocol.check_url(body, "QueueTimeOutURL")
    ids = disbursements.accept_status_query(
        initiator=initiator,
        credential=credential,
        receipt=receipt,
        originator=originator,
        result_url=protocol.check_url(body, "ResultURL"),
    )
    return _accepted(*ids)


# --- The simulator's own pages ------------------------------------------------------------------


def refund_list(request: HttpRequest) -> JsonResponse:
    """JSON of the reversals and B2C payments received, newest first, with each result
    delivery and the shortcodes' float."""
    return JsonResponse(
        {
            "refunds": [disbursements.describe(d) for d in Disbursement.objects.all()[:200]],
            "float": {
                account.shortcode: account.balance
                for account in disbursements.FloatAccount.objects.all()
            },
        }
    )


@csrf_exempt
@require_POST
def float_set(request: HttpRequest) -> JsonResponse:
    """Set what a shortcode holds for refunds: ``shortcode``, ``balance`` (form fields)."""
    shortcode = request.POST.get("shortcode") or str(settings.MPESA_SHORTCODE)
    balance = request.POST.get("balance", "")
    if not balance.isdigit() or not protocol.SHORTCODE.fullmatch(shortcode):
        return JsonResponse({"error": "shortcode and a whole balance are needed"}, status=400)
    account = disbursements.float_set(shortcode, int(balance))
    return JsonResponse({"shortcode": account.shortcode, "balance": account.balance})


@csrf_exempt
@require_POST
def reversed_by_hand(request: HttpRequest) -> JsonResponse:
    """Reverse a payment by hand, as in the M-Pesa organisation portal (``receipt``)."""
    receipt = request.POST.get("receipt", "").strip()
    if not receipt:
        return JsonResponse({"error": "receipt is needed"}, status=400)
    HandReversal.objects.get_or_create(receipt_number=receipt)
    return JsonResponse({"receipt": receipt, "reversed": True})


def stk_list(request: HttpRequest) -> JsonResponse:
    """JSON of the pushes received, newest first, for tests and for debugging callbacks."""
    pushes = [prompts.describe(prompts.refresh(push)) for push in StkPush.objects.all()[:200]]
    return JsonResponse({"pushes": pushes})


def c2b_list(request: HttpRequest) -> JsonResponse:
    registrations = [
        {
            "ShortCode": r.shortcode,
            "ResponseType": r.response_type,
            "ConfirmationURL": r.confirmation_url,
            "ValidationURL": r.validation_url,
        }
        for r in C2BRegistration.objects.all()
    ]
    payments = [prompts.describe_c2b(p) for p in C2BPayment.objects.all()[:200]]
    return JsonResponse({"registrations": registrations, "payments": payments})


def phone(request: HttpRequest) -> HttpResponse:
    """The virtual phone: open prompts, each with a PIN field and a Decline button."""
    for push in StkPush.objects.filter(state=StkPush.State.PENDING):
        prompts.refresh(push)
    context = {
        "open_prompts": StkPush.objects.filter(state=StkPush.State.PENDING, decides_at=None),
        "recent": StkPush.objects.exclude(state=StkPush.State.PENDING)[:10],
        "money_received": disbursements.received_by()[:10],
        "refresh_seconds": 5,
    }
    return render(request, "daraja_simulator/phone.html", context)


@require_POST
def phone_answer(request: HttpRequest, checkout_request_id: str) -> HttpResponse:
    push = get_object_or_404(StkPush, checkout_request_id=checkout_request_id, decides_at=None)
    if "decline" in request.POST:
        if prompts.answer_prompt(push, pay=False):
            messages.info(request, f"Declined KSh {push.amount} to {push.party_b}.")
        else:
            messages.error(request, "This prompt is no longer open.")
        return redirect("daraja_simulator:phone")
    if not PIN.fullmatch(request.POST.get("pin", "").strip()):
        messages.error(request, "Enter a 4-digit M-PESA PIN (any 4 digits pay).")
        return redirect("daraja_simulator:phone")
    if prompts.answer_prompt(push, pay=True):
        messages.success(request, f"Paid KSh {push.amount} to {push.party_b}.")
    else:
        messages.error(request, "This prompt is no longer open.")
    return redirect("daraja_simulator:phone")
