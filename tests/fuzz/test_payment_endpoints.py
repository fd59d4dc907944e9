"""Property-based fuzzing of the endpoints strangers can reach and the payment forms:
no input yields a 500, and no input changes a money record.

The STK callback and the Paybill validation and confirmation get any body, and any
method, content type, query string, client address and ``X-Forwarded-For`` header, with
the source-address check on or off behind zero or one trusted proxy."""

import json
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oscar.core.loading import get_model

from apps.payment.forms import MpesaPhoneForm
from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa.phone import InvalidPhoneNumber, normalise_phone
from tests.fuzz.invariants import money_snapshot
from tests.fuzz.strategies import latin1, raw_query_strings
from tests.integration.payment.conftest import c2b_body, initiate

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=12,
)
stk_fields = st.fixed_dictionaries(
    {},
    optional={
        "MerchantRequestID": json_values,
        "CheckoutRequestID": json_values,
        "ResultCode": st.one_of(st.just(0), st.just("0"), json_values),
        "ResultDesc": json_values,
        "CallbackMetadata": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "Item": st.lists(
                        st.fixed_dictionaries(
                            {
                                "Name": st.sampled_from(
                                    ["Amount", "MpesaReceiptNumber", "PhoneNumber", "Balance"]
                                )
                                | st.text(max_size=10),
                            },
                            optional={"Value": json_values},
                        ),
                        max_size=6,
                    )
                }
            ),
        ),
    },
)
stk_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(json.dumps),
    stk_fields.map(lambda f: json.dumps({"Body": {"stkCallback": f}}, allow_nan=True)),
)
c2b_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(json.dumps),
    st.dictionaries(
        st.sampled_from(
            ["TransID", "TransAmount", "BillRefNumber", "BusinessShortCode", "MSISDN", "FirstName"]
        ),
        json_values,
    ).map(lambda d: json.dumps(d, allow_nan=True)),
)
url_text = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_."),
    min_size=1,
    max_size=60,
)


@pytest.fixture
def open_attempt(daraja, pending_order):
    return initiate(pending_order)


@FUZZ
@given(body=stk_bodies, use_real_token=st.booleans(), token=url_text)
def test_stk_callback_never_500s_and_moves_no_money(open_attempt, body, use_real_token, token):
    before = money_snapshot()
    url = reverse(
        "mpesa-stk-callback",
        kwargs={"token": open_attempt.raw_token if use_real_token else token},
    )
    response = Client().post(url, body, content_type="application/json")

    assert response.status_code < 500
    after = money_snapshot()
    if after != before:
        # Only a well-formed success or failure for this very attempt may change anything.
        assert use_real_token
        parsed = json.loads(body)["Body"]["stkCallback"]
        assert parsed.get("CheckoutRequestID") == open_attempt.checkout_request_id


@FUZZ
@given(body=c2b_bodies, kind=st.sampled_from(["validation", "confirmation"]))
def test_c2b_endpoints_never_500(pending_order, settings, body, kind):
    url = reverse(f"mpesa-c2b-{kind}", kwargs={"secret": settings.MPESA_C2B_PATH_SECRET})
    orders_before = list(Order.objects.values_list("status", flat=True))
    response = Client().post(url, body, content_type="application/json")

    assert response.status_code < 500
    # An unmatched or malformed Paybill body never pays an order.
    assert list(Order.objects.values_list("status", flat=True)) == orders_before


@FUZZ
@given(number=url_text, hash_=url_text)
def test_waiting_page_and_status_never_500_and_need_the_real_hash(pending_order, number, hash_):
    for suffix in ("", "status/"):
        response = Client().get(f"/checkout/pay/{number}/{hash_}/{suffix}")
        assert response.status_code == 404


@FUZZ
@given(phone=st.text(max_size=40))
def test_the_phone_form_either_normalises_or_explains(phone):
    form = MpesaPhoneForm(data={"phone": phone})
    if form.is_valid():
        number = form.cleaned_data["phone"]
        assert len(number) == 12 and number.startswith(("2547", "2541"))
    else:
        assert form.errors["phone"]
    try:
        normalise_phone(phone)
    except InvalidPhoneNumber as exc:
        assert str(exc)


@FUZZ
@given(phone=st.text(max_size=40), action=st.sampled_from(["", "place_order"]))
def test_checkout_preview_post_never_500s(phone, action):
    response = Client().post("/checkout/preview/", {"phone": phone, "action": action})
    assert response.status_code < 500
    assert MpesaPaymentAttempt.objects.count() == 0
    assert Decimal(0) == sum(Source.objects.values_list("amount_debited", flat=True), Decimal(0))


def stk_success(attempt) -> bytes:
    """The success Daraja sends for ``attempt``, as it sends it."""
    return json.dumps(
        {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": attempt.merchant_request_id,
                    "CheckoutRequestID": attempt.checkout_request_id,
                    "ResultCode": 0,
                    "ResultDesc": "The service request is processed successfully.",
                    "CallbackMetadata": {
                        "Item": [
                            {"Name": "Amount", "Value": int(attempt.amount)},
                            {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                            {"Name": "PhoneNumber", "Value": 254712345678},
                        ]
                    },
                }
            }
        }
    ).encode()


addresses = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(["196.201.214.200", "127.0.0.1", "::1", "10.0.0.1"]),
)
forwarded_for = st.one_of(
    st.none(),
    st.lists(addresses, min_size=1, max_size=3).map(", ".join),
    st.text(max_size=60).map(lambda text: latin1(text.encode("utf-8", "surrogatepass"))),
    st.sampled_from(["unknown", ",,,", "1.2.3.4, garbage", " ", "::ffff:1.2.3.4"]),
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=no-such-charset",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "",
        ]
    ),
    st.text(max_size=40).map(lambda text: latin1(text.encode("utf-8", "surrogatepass"))),
)


@FUZZ
@given(
    endpoint=st.sampled_from(["stk", "validation", "confirmation"]),
    body=st.one_of(stk_bodies, c2b_bodies, st.just("VALID")),
    method=st.sampled_from(["post", "post", "post", "get", "put", "patch", "delete", "head"]),
    content_type=content_types,
    remote_addr=addresses,
    forwarded=forwarded_for,
    query=st.one_of(st.none(), raw_query_strings),
    ip_check=st.booleans(),
    proxies=st.sampled_from([0, 1]),
)
def test_callback_and_paybill_with_any_headers(
    open_attempt,
    endpoint,
    body,
    method,
    content_type,
    remote_addr,
    forwarded,
    query,
    ip_check,
    proxies,
):
    valid = body == "VALID"
    if endpoint == "stk":
        url = reverse("mpesa-stk-callback", kwargs={"token": open_attempt.raw_token})
        body = stk_success(open_attempt) if valid else body
    else:
        secret = django_settings.MPESA_C2B_PATH_SECRET
        url = reverse(f"mpesa-c2b-{endpoint}", kwargs={"secret": secret})
        body = json.dumps(c2b_body(open_attempt.order_number)).encode() if valid else body
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    if query is not None:
        extra["QUERY_STRING"] = query
    before = money_snapshot()

    if isinstance(body, str):
        body = body.encode()
    # override_settings, not the settings fixture: its overrides pile up over the examples.
    with override_settings(MPESA_CALLBACK_IP_CHECK=ip_check, MPESA_TRUSTED_PROXY_COUNT=proxies):
        # generic() sends the bytes as they are, whatever charset the content type names.
        response = Client().generic(method.upper(), url, body, content_type, **extra)

    assert response.status_code < 500
    if money_snapshot() != before:
        # Only the payment itself, posted to the STK callback or the confirmation, may pay.
        assert valid and method == "post" and endpoint != "validation"
