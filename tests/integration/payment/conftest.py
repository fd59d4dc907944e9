"""Fixtures for the M-Pesa services: a pending order and a scripted Daraja at the boundary."""

import itertools
import json
from decimal import Decimal

import pytest
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order, create_product, create_stockrecord

from apps.payment.mpesa import gateway, gateway_refunds, services
from apps.payment.mpesa.c2b import parse_c2b

Basket = get_model("basket", "Basket")
Default = get_class("partner.strategy", "Default")

_ids = itertools.count(1)


class ScriptedDaraja:
    """Daraja's answers, scripted per test. Only the HTTP boundary is replaced here;
    the flow tests talk to the real simulator over HTTP."""

    def __init__(self):
        self.pushes: list[dict] = []
        self.queries: list[str] = []
        self.push_error: Exception | None = None
        self.query_answer: gateway.StkQueryResult | Exception | None = None
        self.token_error: Exception | None = None

    def get_access_token(self, *, force_refresh=False):
        if isinstance(self.token_error, Exception):
            raise self.token_error
        return "scripted-token"

    def stk_push(self, *, phone, amount, account_reference, description, callback_url):
        self.pushes.append(
            {
                "phone": phone,
                "amount": amount,
                "account_reference": account_reference,
                "description": description,
                "callback_url": callback_url,
            }
        )
        if self.push_error is not None:
            raise self.push_error
        n = next(_ids)
        return gateway.StkPushAccepted(
            merchant_request_id=f"mr-{n}",
            checkout_request_id=f"ws_CO_TEST{n:06d}",
            response_code="0",
            response_description="Success. Request accepted for processing",
            customer_message="Success. Request accepted for processing",
            request_body={"Password": "***", "Amount": amount},
            raw={"ResponseCode": "0", "CheckoutRequestID": f"ws_CO_TEST{n:06d}"},
        )

    def stk_query(self, *, checkout_request_id):
        self.queries.append(checkout_request_id)
        if isinstance(self.query_answer, Exception):
            raise self.query_answer
        return self.query_answer

    # Refunds (gateway_refunds.DarajaRefundClient's calls).

    def _refund_accepted(self, kind: str, call: dict, originator: str = ""):
        call["kind"] = kind
        self.refund_calls.append(call)
        if self.refund_error is not None:
            raise self.refund_error
        n = next(_ids)
        return gateway_refunds.DarajaAccepted(
            originator_conversation_id=originator or f"oc-{n}",
            conversation_id=f"AG_TEST_{n:06d}",
            response_description="Accept the service request successfully.",
            request_body={"SecurityCredential": "***"},
            raw={"ResponseCode": "0", "ConversationID": f"AG_TEST_{n:06d}"},
        )

    def reversal(self, *, receipt, amount, result_url, timeout_url, remarks):
        call = {"receipt": receipt, "amount": amount, "result_url": result_url}
        return self._refund_accepted("reversal", call)

    def b2c_payment(
        self, *, originator_conversation_id, phone, amount, result_url, timeout_url, remarks
    ):
        call = {"phone": phone, "amount": amount, "result_url": result_url}
        return self._refund_accepted("b2c", call, originator_conversation_id)

    def transaction_status(self, *, originator_conversation_id="", receipt="", **urls):
        call = {"originator": originator_conversation_id, **urls}
        return self._refund_accepted("status", call, originator_conversation_id)


@pytest.fixture
def daraja(monkeypatch):
    scripted = ScriptedDaraja()
    scripted.refund_calls = []
    scripted.refund_error = None
    monkeypatch.setattr(services.common, "daraja_client", lambda: scripted)
    monkeypatch.setattr(services.refunds, "daraja_refund_client", lambda: scripted)
    return scripted


def query_answer(state: str, code: str | None, checkout_request_id: str = ""):
    return gateway.StkQueryResult(
        state=gateway.StkQueryState(state),
        result_code=code,
        result_desc="scripted",
        checkout_request_id=checkout_request_id,
        raw={"ResultCode": code},
    )


def place_pending_order(number: str, lines: int = 1, with_source: bool = True):
    """A guest order waiting for payment: ``lines`` products at KES 1,250, one of each, with
    its M-Pesa source allocated as checkout places it (unless ``with_source`` is False)."""
    basket = Basket.objects.create()
    basket.strategy = Default()
    for n in range(lines):
        product = create_product(title="Kikoy beach towel" + (f" {n + 1}" if n else ""))
        create_stockrecord(product, price=Decimal("1250.00"), num_in_stock=10, currency="KES")
        basket.add_product(product, quantity=1)
    order = create_order(
        number=number,
        basket=basket,
        guest_email="wanjiku@example.com",
        status=services.ORDER_PENDING,
    )
    if not with_source:
        return order
    source = services.new_unplaced_order_source(
        currency=order.currency, amount=Decimal(services.mpesa_amount(order.total_incl_tax))
    )
    source.order = order
    source.save()
    return order


@pytest.fixture
def pending_order(db):
    """A guest order for KES 1,250 waiting for payment, with one unit allocated."""
    return place_pending_order("100777")


def token_in(callback_url: str) -> str:
    """The secret callback token, as only the CallBackURL sent to Daraja carries it."""
    return callback_url.rstrip("/").rsplit("/", 1)[1]


def initiate(order, phone="254712345678"):
    attempt = services.stk_push_initiate(
        order_number=order.number,
        amount=order.total_incl_tax,
        phone=phone,
        guest_email=order.guest_email,
    )
    attempt = services.attempt_attach_order(attempt=attempt, order=order)
    pushes = services.common.daraja_client().pushes
    attempt.raw_token = token_in(pushes[-1]["callback_url"]) if pushes else None
    return attempt


def success(attempt, receipt="NLJ7RT61SV", amount=None, checkout_request_id=None):
    return services.SettleInput(
        success=True,
        result_code="0",
        result_desc="The service request is processed successfully.",
        receipt_number=receipt,
        amount_paid=attempt.amount if amount is None else amount,
        phone="254712345678",
        checkout_request_id=checkout_request_id or attempt.checkout_request_id,
    )


def failure(attempt, code="1032", desc="Request cancelled by user"):
    return services.SettleInput(
        success=False,
        result_code=code,
        result_desc=desc,
        checkout_request_id=attempt.checkout_request_id,
    )


def c2b_body(account, amount="1250.00", trans_id="RKL51ZDR4F", shortcode="174379") -> dict:
    """A Paybill validation or confirmation body as Daraja sends it: ``amount`` shillings
    for ``account`` (what the customer typed as the account number)."""
    return {
        "TransactionType": "Pay Bill",
        "TransID": trans_id,
        "TransTime": "20261121121325",
        "TransAmount": amount,
        "BusinessShortCode": shortcode,
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "25.00",
        "ThirdPartyTransID": "",
        "MSISDN": "2547 ***** 126",
        "FirstName": "NICHOLAS",
        "MiddleName": "",
        "LastName": "",
    }


def paybill_payment(account: str, amount: str = "1250.00", trans_id: str = "RKL51ZDR4F"):
    """That body, parsed as the C2B services take it."""
    return parse_c2b(json.dumps(c2b_body(account, amount, trans_id)))


def paybill_confirmed(account: str, amount: str = "1250.00", trans_id: str = "RKL51ZDR4F"):
    """A Paybill payment Safaricom confirmed, through the real C2B service."""
    return services.c2b_confirm(payment=paybill_payment(account, amount, trans_id))
