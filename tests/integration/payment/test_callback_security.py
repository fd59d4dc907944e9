"""Daraja signs nothing: tokens, source addresses, verification by query and prompt limits."""

import json

import pytest
from django.test import RequestFactory
from django.urls import reverse
from oscar.core.loading import get_model

from apps.payment.models import MpesaCallback, MpesaPaymentAttempt
from apps.payment.mpesa import security, services

from .conftest import initiate, query_answer
from .test_stk_callback_view import success_body

pytestmark = pytest.mark.django_db

Transaction = get_model("payment", "Transaction")
Status = MpesaPaymentAttempt.Status
SAFARICOM = "196.201.214.200"


def request_from(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/payments/stk/callback/x/", **meta)


class TestClientAddress:
    def test_without_proxies_it_is_the_peer(self, settings):
        settings.MPESA_TRUSTED_PROXY_COUNT = 0
        assert security.client_address(request_from("1.2.3.4", "9.9.9.9")) == "1.2.3.4"

    def test_behind_one_proxy_it_is_the_last_forwarded_address(self, settings):
        settings.MPESA_TRUSTED_PROXY_COUNT = 1
        request = request_from("10.0.0.2", f"6.6.6.6, {SAFARICOM}")
        assert security.client_address(request) == SAFARICOM

    def test_a_spoofed_leftmost_address_is_not_believed(self, settings):
        settings.MPESA_TRUSTED_PROXY_COUNT = 1
        assert security.client_address(request_from("10.0.0.2", f"{SAFARICOM}, 6.6.6.6")) == (
            "6.6.6.6"
        )

    def test_too_few_forwarded_addresses_give_no_address(self, settings):
        settings.MPESA_TRUSTED_PROXY_COUNT = 2
        assert security.client_address(request_from("10.0.0.2", SAFARICOM)) is None


class TestSourceAllowlist:
    @pytest.fixture(autouse=True)
    def allowlist_on(self, settings):
        settings.MPESA_CALLBACK_IP_CHECK = True
        settings.MPESA_TRUSTED_PROXY_COUNT = 1

    def post(self, client, token, body, forwarded):
        return client.post(
            reverse("mpesa-stk-callback", kwargs={"token": token}),
            json.dumps(body),
            content_type="application/json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    def test_a_callback_from_elsewhere_is_refused_and_changes_nothing(
        self, client, daraja, pending_order
    ):
        attempt = initiate(pending_order)
        response = self.post(client, attempt.raw_token, success_body(attempt), "41.90.1.1")

        assert response.status_code == 403
        assert not MpesaCallback.objects.exists()
        pending_order.refresh_from_db()
        assert pending_order.status == "Pending payment"

    def test_a_callback_from_safaricom_through_the_proxy_is_applied(
        self, client, daraja, pending_order
    ):
        attempt = initiate(pending_order)
        response = self.post(client, attempt.raw_token, success_body(attempt), SAFARICOM)

        assert response.status_code == 200
        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"

    def test_paybill_confirmations_are_checked_too(self, client, pending_order, settings):
        url = reverse("mpesa-c2b-confirmation", kwargs={"secret": settings.MPESA_C2B_PATH_SECRET})
        body = {"TransID": "RKL51ZDR4F", "TransAmount": "1250", "BillRefNumber": "100777"}
        response = client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="41.90.1.1",
        )
        assert response.status_code == 403
        assert not MpesaPaymentAttempt.objects.exists()

    def test_the_check_can_be_switched_off(self, client, daraja, pending_order, settings):
        settings.MPESA_CALLBACK_IP_CHECK = False
        attempt = initiate(pending_order)
        response = self.post(client, attempt.raw_token, success_body(attempt), "41.90.1.1")
        assert response.status_code == 200


class TestVerifyBeforeFulfil:
    @pytest.fixture(autouse=True)
    def verify_on(self, settings):
        settings.MPESA_VERIFY_BEFORE_FULFIL = True
        settings.MPESA_QUERY_AFTER_SECONDS = 0

    def deliver(self, client, attempt):
        return client.post(
            reverse("mpesa-stk-callback", kwargs={"token": attempt.raw_token}),
            json.dumps(success_body(attempt)),
            content_type="application/json",
        )

    def test_a_confirmed_success_pays_with_the_callbacks_receipt(
        self, client, daraja, pending_order
    ):
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("success", "0", attempt.checkout_request_id)

        assert self.deliver(client, attempt).status_code == 200

        pending_order.refresh_from_db()
        attempt.refresh_from_db()
        assert pending_order.status == "Paid"
        assert attempt.receipt_number == "NLJ7RT61SV"
        assert daraja.queries == [attempt.checkout_request_id]

    def test_an_unconfirmed_success_waits_for_reconciliation(self, client, daraja, pending_order):
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("pending", None)

        assert self.deliver(client, attempt).status_code == 200
        pending_order.refresh_from_db()
        assert pending_order.status == "Pending payment"
        assert MpesaCallback.objects.get().outcome == MpesaCallback.Outcome.UNVERIFIED

        daraja.query_answer = query_answer("success", "0", attempt.checkout_request_id)
        services.mpesa_reconcile()

        pending_order.refresh_from_db()
        attempt.refresh_from_db()
        assert pending_order.status == "Paid"
        assert attempt.receipt_number == "NLJ7RT61SV"
        assert MpesaCallback.objects.get().outcome == MpesaCallback.Outcome.APPLIED

    def test_a_success_the_query_contradicts_is_flagged_not_paid(
        self, client, daraja, pending_order
    ):
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("failed", "1032", attempt.checkout_request_id)

        self.deliver(client, attempt)

        pending_order.refresh_from_db()
        attempt.refresh_from_db()
        assert pending_order.status == "Pending payment"
        assert attempt.needs_attention
        assert not Transaction.objects.filter(txn_type=Transaction.DEBIT).exists()
