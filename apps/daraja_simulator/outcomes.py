"""What happens to an STK push, decided by the phone number it was sent to.

Documented for developers in the README ("Daraja simulator test numbers").
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    scenario: str
    result_code: int | None = None
    deliveries: int = 1  # how many times the callback is POSTed
    refused: tuple[int, str, str] | None = None  # (HTTP status, errorCode, errorMessage)

    @property
    def interactive(self) -> bool:
        return self.result_code is None and self.refused is None


# Callback wording and STK Query wording differ for the same code, as at Safaricom.
CALLBACK_DESCRIPTIONS = {
    0: "The service request is processed successfully.",
    1: "The balance is insufficient for the transaction.",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
    2028: "The request is not permitted according to product assignment",
}
QUERY_DESCRIPTIONS = {
    0: "The service request is processed successfully.",
    1: "The balance is insufficient for the transaction",
    1032: "Request Cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
    2028: "The request is not permitted according to product assignment",
}

SYSTEM_BUSY = (500, "500.003.02", "System is busy. Please try again in few minutes.")

OUTCOMES = {
    "254708374149": Outcome("success", 0),
    "254700000001": Outcome("insufficient-balance", 1),
    "254700001032": Outcome("cancelled", 1032),
    "254700001037": Outcome("no-response", 1037),
    "254700002001": Outcome("wrong-pin", 2001),
    "254700000202": Outcome("success-callback-twice", 0, deliveries=2),
    "254700000404": Outcome("success-no-callback", 0, deliveries=0),
    "254700000500": Outcome("system-busy", refused=SYSTEM_BUSY),
}
VIRTUAL_PHONE = Outcome("virtual-phone")
# PartyB that does not belong to the shortcode/till: Safaricom accepts the push and fails it
# in the callback.
MISCONFIGURED = Outcome("party-b-mismatch", 2028)

PROMPT_TIMEOUT_CODE = 1037
DECLINED_CODE = 1032


def outcome_for(phone: str) -> Outcome:
    return OUTCOMES.get(phone, VIRTUAL_PHONE)


def callback_description(code: int) -> str:
    return CALLBACK_DESCRIPTIONS.get(code, "Unknown result")


def query_description(code: int) -> str:
    return QUERY_DESCRIPTIONS.get(code, callback_description(code))
