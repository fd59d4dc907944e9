"""Daraja's wire protocol as the simulator enforces it: auth, request rules, errors, payloads.

This is written from Daraja's behaviour (see the shared Daraja reference), independently of the
shop's client, so that a mistake in the client shows up as the error Safaricom would give.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import string
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from .models import AccessToken

logger = logging.getLogger(__name__)

NAIROBI = ZoneInfo("Africa/Nairobi")
TOKEN_LIFETIME = 3600
TRANSACTION_TYPES = ("CustomerPayBillOnline", "CustomerBuyGoodsOnline")
C2B_RESPONSE_TYPES = ("Completed", "Cancelled")
# ASCII digits only, as Daraja: Python's \d would also take Arabic-Indic or full-width ones.
MSISDN = re.compile(r"254[71][0-9]{8}")
SHORTCODE = re.compile(r"[0-9]{5,7}")
FORBIDDEN_URL_WORDS = ("m-pesa", "mpesa", "safaricom", "exe", "cmd", "sql", "query")
MAX_AMOUNT = 250_000


class DarajaFault(Exception):
    """An error Daraja answers with ``{"requestId", "errorCode", "errorMessage"}``."""

    def __init__(self, http_status: int, error_code: str, error_message: str) -> None:
        super().__init__(f"{error_code} {error_message}")
        self.http_status = http_status
        self.error_code = error_code
        self.error_message = error_message

    def response(self) -> JsonResponse:
        response = JsonResponse(
            {
                "requestId": request_id(),
                "errorCode": self.error_code,
                "errorMessage": self.error_message,
            },
            status=self.http_status,
        )
        # Daraja's 500s ("being processed", "Wrong credentials") are answers, not crashes of
        # the shop: keep them out of Django's "Internal Server Error" log and admin mails.
        logger.info("Daraja simulator answered %s %s", self.http_status, self)
        response._has_been_logged = True
        return response


def invalid(field: str) -> DarajaFault:
    return DarajaFault(400, "400.002.02", f"Bad Request - Invalid {field}")


INVALID_TOKEN = DarajaFault(404, "404.001.03", "Invalid Access Token")
WRONG_CREDENTIALS = DarajaFault(500, "500.001.1001", "Wrong credentials")
MERCHANT_UNKNOWN = DarajaFault(500, "500.001.1001", "Merchant does not exist")
BEING_PROCESSED = DarajaFault(500, "500.001.1001", "The transaction is being processed")
DOES_NOT_EXIST = DarajaFault(500, "500.001.1001", "The transaction does not Exist")
SUBSCRIBER_LOCKED = DarajaFault(
    500,
    "500.001.1001",
    "Unable to lock subscriber, a transaction is already in process for the current subscriber",
)
OAUTH_BAD_CREDENTIALS = DarajaFault(400, "400.008.01", "Invalid Authentication passed")
OAUTH_BAD_GRANT = DarajaFault(400, "400.008.02", "Invalid grant type passed")
NOT_FOUND = DarajaFault(404, "404.001.01", "Resource not found")


# --- Identifiers ---------------------------------------------------------------------------


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


def request_id() -> str:
    return f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}{_digits(7)}"


def merchant_request_id() -> str:
    parts = (secrets.token_hex(2), secrets.token_hex(2), secrets.token_hex(2), secrets.token_hex(6))
    return "-".join(parts) + _digits(4)


def checkout_request_id() -> str:
    now = nairobi_now()
    return f"ws_CO_{now:%d%m%Y%H%M%S}{now.microsecond // 1000:03d}{_digits(10)}"


def receipt_number() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return secrets.choice("QRST") + "".join(secrets.choice(alphabet) for _ in range(9))


def originator_conversation_id() -> str:
    return f"{_digits(4)}-{_digits(8)}-1"


def nairobi_now() -> datetime:
    return timezone.now().astimezone(NAIROBI)


def nairobi_stamp(moment: datetime | None = None) -> str:
    return (moment or timezone.now()).astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


# --- Credentials ---------------------------------------------------------------------------


def issue_token(request: HttpRequest) -> AccessToken:
    """OAuth: HTTP Basic with the consumer key/secret the shop is configured with."""
    if request.GET.get("grant_type") != "client_credentials":
        raise OAUTH_BAD_GRANT
    key, secret = _basic_credentials(request)
    if not (
        secrets.compare_digest(key, settings.MPESA_CONSUMER_KEY or "\0")
        and secrets.compare_digest(secret, settings.MPESA_CONSUMER_SECRET or "\0")
    ):
        raise OAUTH_BAD_CREDENTIALS
    alphabet = string.ascii_letters + string.digits
    return AccessToken.objects.create(
        token="".join(secrets.choice(alphabet) for _ in range(28)),
        consumer_key=key,
        expires_at=timezone.now() + timedelta(seconds=TOKEN_LIFETIME),
    )


def _basic_credentials(request: HttpRequest) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise OAUTH_BAD_CREDENTIALS
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAUTH_BAD_CREDENTIALS from None
    key, separator, secret = decoded.partition(":")
    if not separator:
        raise OAUTH_BAD_CREDENTIALS
    return key, secret


def require_token(request: HttpRequest) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        raise INVALID_TOKEN
    if not AccessToken.objects.filter(token=token.strip(), expires_at__gt=timezone.now()).exists():
        raise INVALID_TOKEN


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON body. Without a JSON Content-Type Daraja misleadingly blames the shortcode."""
    if request.content_type != "application/json":
        raise invalid("BusinessShortCode")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid("BusinessShortCode") from None
    if not isinstance(body, dict):
        raise invalid("BusinessShortCode")
    return body


# --- Field rules -----------------------------------------------------------------------------


def text(value: Any) -> str:
    """Daraja accepts numbers or strings for numeric identifiers."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) else ""


def check_shortcode(body: dict, field: str = "BusinessShortCode") -> str:
    shortcode = text(body.get(field))
    if not SHORTCODE.fullmatch(shortcode):
        raise invalid(field)
    if shortcode != str(settings.MPESA_SHORTCODE):
        raise MERCHANT_UNKNOWN
    return shortcode


def check_password(body: dict, shortcode: str) -> str:
    """Timestamp must be YYYYMMDDHHmmss and Password base64(shortcode + passkey + timestamp)."""
    timestamp = text(body.get("Timestamp"))
    try:
        datetime.strptime(timestamp, "%Y%m%d%H%M%S")
    except ValueError:
        raise invalid("Timestamp") from None
    expected = base64.b64encode(f"{shortcode}{settings.MPESA_PASSKEY}{timestamp}".encode()).decode()
    if not secrets.compare_digest(text(body.get("Password")), expected):
        raise WRONG_CREDENTIALS
    return timestamp


def check_amount(body: dict, field: str = "Amount") -> int:
    """Whole shillings, 1 to 250,000: a float (even 1.0) or a fraction is refused."""
    value = body.get(field)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field)
    if not 1 <= value <= MAX_AMOUNT:
        raise invalid(field)
    return value


def check_msisdn(body: dict, field: str) -> str:
    msisdn = text(body.get(field))
    if not MSISDN.fullmatch(msisdn):
        raise invalid(field)
    return msisdn


def check_url(body: dict, field: str) -> str:
    url = text(body.get(field))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(field)
    if any(word in url.lower() for word in FORBIDDEN_URL_WORDS):
        raise invalid(field)
    return url


def check_length(body: dict, field: str, max_length: int, *, required: bool = True) -> str:
    value = body.get(field)
    if value is None and not required:
        return ""
    value = text(value)
    if (required and not value.strip()) or len(value) > max_length:
        raise invalid(field)
    return value


def check_choice(body: dict, field: str, choices: tuple[str, ...]) -> str:
    value = text(body.get(field))
    if value not in choices:
        raise invalid(field)
    return value


# --- Payloads the simulator sends ------------------------------------------------------------

_AMOUNT_PLACEHOLDER = "__daraja_simulator_amount__"


def stk_callback_json(push) -> str:
    """The STK callback body as Safaricom writes it.

    Success carries Amount as ``1.00`` (a JSON number with decimals, which ``json`` cannot write
    from an int), a ``Balance`` item with no value, and TransactionDate/PhoneNumber as numbers.
    """
    callback: dict[str, Any] = {
        "MerchantRequestID": push.merchant_request_id,
        "CheckoutRequestID": push.checkout_request_id,
        "ResultCode": push.result_code,
        "ResultDesc": push.result_desc,
    }
    if push.result_code == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": _AMOUNT_PLACEHOLDER},
                {"Name": "MpesaReceiptNumber", "Value": push.receipt_number},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": int(push.transaction_date)},
                {"Name": "PhoneNumber", "Value": int(push.phone)},
            ]
        }
    body = json.dumps({"Body": {"stkCallback": callback}})
    return body.replace(f'"{_AMOUNT_PLACEHOLDER}"', f"{push.amount}.00")


def c2b_json(payment, org_balance: int) -> str:
    """C2B validation/confirmation body: every value a string, the MSISDN masked."""
    return json.dumps(
        {
            "TransactionType": "Pay Bill"
            if payment.command_id == "CustomerPayBillOnline"
            else "Buy Goods",
            "TransID": payment.trans_id,
            "TransTime": payment.trans_time,
            "TransAmount": f"{payment.amount}.00",
            "BusinessShortCode": payment.shortcode,
            "BillRefNumber": payment.bill_ref_number,
            "InvoiceNumber": "",
            "OrgAccountBalance": f"{org_balance}.00",
            "ThirdPartyTransID": "",
            "MSISDN": f"{payment.msisdn[:4]} ***** {payment.msisdn[-3:]}",
            "FirstName": "JOHN",
            "MiddleName": "",
            "LastName": "",
        }
    )


# --- Refunds: Reversal, B2C, Transaction Status ------------------------------------------------

DUPLICATE_ORIGINATOR = DarajaFault(500, "500.002.1001", "Duplicate OriginatorConversationID.")
REQUEST_ACCEPTED = "Accept the service request successfully."
RESULT_DESCRIPTIONS = {
    "0": "The service request is processed successfully.",
    "1": "The balance is insufficient for the transaction.",
    "2001": "The initiator information is invalid.",
    "R000001": "The transaction has already been reversed",
    "R000002": "The OriginalTransactionID is invalid.",
}
QUEUE_TIMEOUT_VALUE = "https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit"


def conversation_id() -> str:
    return f"AG_{nairobi_now():%Y%m%d}_{secrets.token_hex(10)}"


def result_description(code: str) -> str:
    return RESULT_DESCRIPTIONS.get(code, "Unknown result")


def _result_code_value(code: str) -> int | str:
    """Numeric codes as JSON numbers, Reversal's "R000001" as a string, as Daraja sends them."""
    return int(code) if code.isdigit() else code


def _parameters(items: list[tuple[str, Any]]) -> dict:
    return {"ResultParameter": [{"Key": key, "Value": value} for key, value in items]}


def disbursement_result_json(disbursement, balance: int) -> str:
    """The result a Reversal or a B2C payment POSTs to its ResultURL."""
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": _result_code_value(disbursement.result_code),
        "ResultDesc": disbursement.result_desc,
        "OriginatorConversationID": disbursement.originator_conversation_id,
        "ConversationID": disbursement.conversation_id,
        "TransactionID": disbursement.receipt_number or "SKE0000000",
    }
    if disbursement.result_code == "0" and disbursement.kind == "reversal":
        result["ResultParameters"] = _parameters(
            [
                ("DebitAccountBalance", f"Utility Account|KES|{balance}.00|{balance}.00|0.00|0.00"),
                ("Amount", _AMOUNT_PLACEHOLDER),
                ("TransCompletedTime", int(disbursement.completed_at)),
                ("OriginalTransactionID", disbursement.original_receipt),
                ("Charge", 0),
                ("CreditPartyPublicName", f"{disbursement.phone} - JOHN DOE"),
                ("DebitPartyPublicName", f"{disbursement.shortcode} - Duka la Nyumbani"),
            ]
        )
    elif disbursement.result_code == "0":
        stamp = datetime.strptime(disbursement.completed_at, "%Y%m%d%H%M%S")
        result["ResultParameters"] = _parameters(
            [
                ("TransactionAmount", disbursement.amount),
                ("TransactionReceipt", disbursement.receipt_number),
                ("ReceiverPartyPublicName", f"{disbursement.phone} - JOHN DOE"),
                ("TransactionCompletedDateTime", stamp.strftime("%d.%m.%Y %H:%M:%S")),
                ("B2CUtilityAccountAvailableFunds", balance),
                ("B2CWorkingAccountAvailableFunds", 0),
                ("B2CRecipientIsRegisteredCustomer", "Y"),
                ("B2CChargesPaidAccountAvailableFunds", 0),
            ]
        )
    result["ReferenceData"] = {
        "ReferenceItem": {"Key": "QueueTimeoutURL", "Value": QUEUE_TIMEOUT_VALUE}
    }
    body = json.dumps({"Result": result})
    return body.replace(f'"{_AMOUNT_PLACEHOLDER}"', f"{disbursement.amount}.00")


def status_result_json(*, originator: str, conversation: str, disbursement) -> str:
    """A Transaction Status answer about ``disbursement`` (None: M-Pesa has no such
    transaction)."""
    result: dict[str, Any] = {
        "ConversationID": conversation,
        "OriginatorConversationID": originator,
        "ReferenceData": {"ReferenceItem": {"Key": "Occasion"}},
        "ResultType": 0,
        "TransactionID": "SKE0000000",
    }
    if disbursement is None:
        result.update(ResultCode="R000002", ResultDesc=result_description("R000002"))
        return json.dumps({"Result": result})
    done = disbursement.state == "completed"
    result.update(ResultCode=0, ResultDesc=result_description("0"))
    result["ResultParameters"] = _parameters(
        [
            ("DebitPartyName", f"{disbursement.shortcode} - Duka la Nyumbani"),
            ("CreditPartyName", f"{disbursement.phone} - JOHN DOE"),
            ("OriginatorConversationID", disbursement.originator_conversation_id),
            ("InitiatedTime", nairobi_stamp(disbursement.created_at)),
            ("DebitAccountType", "Utility Account"),
            ("DebitPartyCharges", ""),
            ("TransactionReason", ""),
            (
                "ReasonType",
                "Reversal" if disbursement.kind == "reversal" else "Business Payment to Customer",
            ),
            ("TransactionStatus", "Completed" if done else "Failed"),
            ("FinalisedTime", disbursement.completed_at or nairobi_stamp()),
            ("Amount", str(disbursement.amount)),
            ("ConversationID", disbursement.conversation_id),
            ("ReceiptNo", disbursement.receipt_number if done else ""),
        ]
    )
    return json.dumps({"Result": result})
