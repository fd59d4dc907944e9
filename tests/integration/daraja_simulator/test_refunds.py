"""Reversal, B2C and Transaction Status at the simulator, through the shop's Daraja client:
answered at once, the result POSTed to the ResultURL as Safaricom writes it."""

import pytest

from apps.payment.mpesa.gateway import DarajaRejected
from apps.payment.mpesa.gateway_refunds import DarajaRefundClient

from .test_refusals import assert_daraja_error, post, token  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

B2C = "/mpesa/b2c/v3/paymentrequest"


@pytest.fixture
def refunds(daraja):
    return DarajaRefundClient.from_settings()


def test_a_b2c_payment_is_accepted_and_its_result_posted(refunds, callback_receiver):
    accepted = refunds.b2c_payment(
        originator_conversation_id="refund-test-1",
        phone="0708374149",
        amount=250,
        result_url=callback_receiver.url("/result/"),
        timeout_url=callback_receiver.url("/timeout/"),
        remarks="Refund 100777",
    )

    assert accepted.originator_conversation_id == "refund-test-1"
    assert accepted.conversation_id.startswith("AG_")
    assert accepted.request_body["SecurityCredential"] == "***"
    [received] = callback_receiver.wait_for("/result/")
    result = received.json["Result"]
    assert result["ResultCode"] == 0 and result["ConversationID"] == accepted.conversation_id
    items = {i["Key"]: i["Value"] for i in result["ResultParameters"]["ResultParameter"]}
    assert items["TransactionAmount"] == 250 and items["TransactionReceipt"]


def test_a_second_b2c_request_with_the_same_id_is_refused(refunds, callback_receiver):
    urls = {
        "result_url": callback_receiver.url("/result/"),
        "timeout_url": callback_receiver.url("/timeout/"),
    }
    first = dict(originator_conversation_id="refund-twice", phone="0708374149", amount=5)
    refunds.b2c_payment(**first, **urls, remarks="Refund")

    with pytest.raises(DarajaRejected) as refused:
        refunds.b2c_payment(**first, **urls, remarks="Refund")

    assert refused.value.error_code == "500.002.1001"


def test_a_reversal_of_an_unknown_receipt_fails_in_its_result(refunds, callback_receiver):
    refunds.reversal(
        receipt="QZZ0000000",
        amount=100,
        result_url=callback_receiver.url("/result/"),
        timeout_url=callback_receiver.url("/timeout/"),
        remarks="Refund",
    )

    [received] = callback_receiver.wait_for("/result/")
    assert received.json["Result"]["ResultCode"] == "R000002"


def test_a_credential_made_with_another_certificate_is_refused_as_invalid_initiator(
    daraja, callback_receiver
):
    forged = DarajaRefundClient(client=daraja, initiator="testapi", credential="bm90LWl0")
    forged.b2c_payment(
        originator_conversation_id="refund-forged",
        phone="0708374149",
        amount=5,
        result_url=callback_receiver.url("/result/"),
        timeout_url=callback_receiver.url("/timeout/"),
        remarks="Refund",
    )

    [received] = callback_receiver.wait_for("/result/")
    assert received.json["Result"]["ResultCode"] == 2001


def test_transaction_status_answers_on_its_result_url(refunds, callback_receiver):
    urls = {
        "result_url": callback_receiver.url("/result/"),
        "timeout_url": callback_receiver.url("/timeout/"),
    }
    refunds.b2c_payment(
        originator_conversation_id="refund-asked", phone="0708374149", amount=7,
        remarks="Refund", **urls,
    )  # fmt: skip

    refunds.transaction_status(
        originator_conversation_id="refund-asked",
        result_url=callback_receiver.url("/status/"),
        timeout_url=urls["timeout_url"],
    )

    [received] = callback_receiver.wait_for("/status/")
    items = {
        i["Key"]: i.get("Value")
        for i in received.json["Result"]["ResultParameters"]["ResultParameter"]
    }
    assert items["TransactionStatus"] == "Completed" and items["Amount"] == "7"


def test_malformed_requests_get_daraja_errors(post):  # noqa: F811 (the fixture)
    body = {
        "OriginatorConversationID": "x",
        "InitiatorName": "testapi",
        "SecurityCredential": "c2VjcmV0",
        "CommandID": "BusinessPayment",
        "Amount": 10,
        "PartyA": "174379",
        "PartyB": "254708374149",
        "Remarks": "R",
        "QueueTimeOutURL": "http://127.0.0.1:9/t/",
        "ResultURL": "http://127.0.0.1:9/r/",
    }
    assert_daraja_error(post(B2C, body), 400, "400.002.02", "Bad Request - Invalid Remarks")
    body.update(Remarks="Refund", CommandID="Withdraw")
    assert_daraja_error(post(B2C, body), 400, "400.002.02", "Bad Request - Invalid CommandID")
