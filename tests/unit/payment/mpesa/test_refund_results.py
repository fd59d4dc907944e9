"""Reading Daraja's Reversal, B2C and Transaction Status results, as they vary."""

import json
from decimal import Decimal

import pytest

from apps.payment.mpesa.refund_results import RefundResultParseError, parse_refund_result

REVERSAL_OK = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "dad6-4c34-8787-c8cb963a496d1268232",
        "ConversationID": "AG_20211114_201018edbbf9f1582eaa",
        "TransactionID": "SKE52PAWR9",
        "ResultParameters": {
            "ResultParameter": [
                {"Key": "DebitAccountBalance", "Value": "Utility Account|KES|7722179.62"},
                {"Key": "Amount", "Value": 1.00},
                {"Key": "OriginalTransactionID", "Value": "SKC82PACB8"},
                {"Key": "Charge", "Value": 0.00},
            ]
        },
    }
}


def test_a_successful_reversal_gives_its_receipt_and_amount():
    result = parse_refund_result(json.dumps(REVERSAL_OK))
    assert result.is_success and result.receipt == "SKE52PAWR9"
    assert result.amount == Decimal("1.00")
    assert result.conversation_id == "AG_20211114_201018edbbf9f1582eaa"


def test_a_b2c_result_reads_its_own_keys_and_a_single_parameter_object():
    body = {
        "Result": {
            "ResultCode": 0,
            "TransactionID": "SG632NMUAB",
            "ResultParameters": {"ResultParameter": {"Key": "TransactionAmount", "Value": 10}},
        }
    }
    result = parse_refund_result(json.dumps(body))
    assert result.amount == Decimal(10) and result.receipt == "SG632NMUAB"


@pytest.mark.parametrize(
    "code, success", [("R000001", False), (2001, False), ("0", True), (" 0 ", True)]
)
def test_result_codes_come_as_numbers_or_strings(code, success):
    body = {"Result": {"ResultCode": code, "ResultDesc": "x", "TransactionID": "SKE0000000"}}
    assert parse_refund_result(json.dumps(body)).is_success is success


def test_a_status_answer_says_the_transaction_status_and_receipt():
    body = {
        "Result": {
            "ResultCode": 0,
            "TransactionID": "MBN0000000",
            "ResultParameters": {
                "ResultParameter": [
                    {"Key": "TransactionReason"},
                    {"Key": "TransactionStatus", "Value": "Completed"},
                    {"Key": "Amount", "Value": "300"},
                    {"Key": "ReceiptNo", "Value": "MBN31H462N"},
                ]
            },
        }
    }
    result = parse_refund_result(json.dumps(body))
    assert result.transaction_status == "completed"
    assert result.receipt == "MBN31H462N" and result.amount == Decimal(300)


@pytest.mark.parametrize(
    "body", ["", "[]", '{"Body": {}}', '{"Result": {"ResultCode": ""}}', "[" * 5000]
)
def test_anything_else_is_refused(body):
    with pytest.raises(RefundResultParseError):
        parse_refund_result(body)
