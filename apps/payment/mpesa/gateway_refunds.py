"""Daraja's APIs that send money back and ask where it went: Reversal, B2C payment and
Transaction Status. Part of the Daraja client (``gateway``): HTTP only, typed results, the
same token, timeouts, error types and never-retry rule; no models.

All three are asynchronous: Daraja's answer only says it accepted the request
(``ResponseCode`` "0", with a ConversationID); the outcome is POSTed later to the request's
``ResultURL`` (or ``QueueTimeOutURL`` when the request expired in Daraja's queue). A timeout
on the request itself is AMBIGUOUS (``DarajaTimeout``): the money may be on its way, and the
caller never sends it again by itself.

Each needs an API operator (``Initiator``/``InitiatorName``) and its SecurityCredential
(``credential``). Bodies are logged with the credential replaced by "***".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .gateway import DarajaClient, DarajaError, DarajaInvalidResponse, DarajaRejected
from .phone import mask_phone, normalise_phone
from .rules import check_callback_url, whole_shillings

logger = logging.getLogger(__name__)

REVERSAL_PATH = "/mpesa/reversal/v1/request"
B2C_PATH = "/mpesa/b2c/v3/paymentrequest"
TRANSACTION_STATUS_PATH = "/mpesa/transactionstatus/v1/query"

# The organisation receiving the transaction to reverse is a shortcode: type 11 for the
# Reversal API (Safaricom's spelling "RecieverIdentifierType"), 4 for Transaction Status.
REVERSAL_RECEIVER_TYPE = "11"
STATUS_IDENTIFIER_TYPE = "4"
B2C_COMMAND = "BusinessPayment"
REMARKS_MAX = 100


@dataclass(frozen=True)
class DarajaAccepted:
    """Daraja took the request; the result comes later on the ResultURL."""

    originator_conversation_id: str
    conversation_id: str
    response_description: str
    request_body: dict = field(repr=False)  # as sent, the credential replaced by "***"
    raw: dict = field(repr=False)


def _remarks(text: str) -> str:
    """Remarks are 2 to 100 characters at Daraja."""
    text = " ".join((text or "").split())[:REMARKS_MAX]
    return text if len(text) >= 2 else "Refund"


def _redacted(body: dict) -> dict:
    return {key: ("***" if key == "SecurityCredential" else value) for key, value in body.items()}


class DarajaRefundClient:
    """Reversal, B2C and Transaction Status over a ``DarajaClient``'s connection and token."""

    def __init__(
        self,
        *,
        client: DarajaClient,
        initiator: str,
        credential: str,
        b2c_shortcode: str = "",
    ) -> None:
        if not initiator:
            raise ValueError("initiator is required.")
        self.client = client
        self.initiator = initiator
        self._credential = credential
        self.shortcode = client.shortcode
        self.b2c_shortcode = str(b2c_shortcode or client.shortcode)

    def __repr__(self) -> str:
        return f"<DarajaRefundClient {self.client.base_url} shortcode={self.shortcode}>"

    @classmethod
    def from_settings(cls) -> DarajaRefundClient:
        """The client for ``settings.MPESA_*``; ``CredentialError`` without a credential."""
        from django.conf import settings

        from .credential import security_credential_from_settings

        return cls(
            client=DarajaClient.from_settings(),
            initiator=settings.MPESA_INITIATOR_NAME,
            credential=security_credential_from_settings(),
            b2c_shortcode=settings.MPESA_B2C_SHORTCODE,
        )

    def reversal(
        self,
        *,
        receipt: str,
        amount: int,
        result_url: str,
        timeout_url: str,
        remarks: str,
    ) -> DarajaAccepted:
        """Reverse the M-Pesa transaction ``receipt`` (a payment into the shop's shortcode):
        the customer gets the money back from that very transaction."""
        if not receipt:
            raise ValueError("receipt is required.")
        shillings = whole_shillings(amount)
        check_callback_url(result_url)
        check_callback_url(timeout_url)
        body = {
            "Initiator": self.initiator,
            "SecurityCredential": self._credential,
            "CommandID": "TransactionReversal",
            "TransactionID": receipt,
            "Amount": str(shillings),
            "ReceiverParty": self.shortcode,
            "RecieverIdentifierType": REVERSAL_RECEIVER_TYPE,
            "ResultURL": result_url,
            "QueueTimeOutURL": timeout_url,
            "Remarks": _remarks(remarks),
            "Occasion": "",
        }
        accepted = self._send(REVERSAL_PATH, body, what=f"reversal of {receipt}")
        logger.info("Daraja accepted the reversal of %s for KSh %s", receipt, shillings)
        return accepted

    def b2c_payment(
        self,
        *,
        originator_conversation_id: str,
        phone: str,
        amount: int,
        result_url: str,
        timeout_url: str,
        remarks: str,
    ) -> DarajaAccepted:
        """Pay ``amount`` to the customer's phone from the B2C shortcode.

        ``originator_conversation_id`` is the shop's own id for the payment: Daraja refuses
        a second request with the same one ("Duplicate OriginatorConversationID"), and the
        Transaction Status API finds the payment by it.
        """
        if not originator_conversation_id:
            raise ValueError("originator_conversation_id is required.")
        msisdn = normalise_phone(phone)
        shillings = whole_shillings(amount)
        check_callback_url(result_url)
        check_callback_url(timeout_url)
        body = {
            "OriginatorConversationID": originator_conversation_id,
            "InitiatorName": self.initiator,
            "SecurityCredential": self._credential,
            "CommandID": B2C_COMMAND,
            "Amount": shillings,
            "PartyA": self.b2c_shortcode,
            "PartyB": msisdn,
            "Remarks": _remarks(remarks),
            "QueueTimeOutURL": timeout_url,
            "ResultURL": result_url,
            "Occassion": "Refund",
        }
        accepted = self._send(B2C_PATH, body, what=f"B2C payment to {mask_phone(msisdn)}")
        logger.info("Daraja accepted a B2C payment of KSh %s to %s", shillings, mask_phone(msisdn))
        return accepted

    def transaction_status(
        self,
        *,
        originator_conversation_id: str = "",
        receipt: str = "",
        result_url: str,
        timeout_url: str,
    ) -> DarajaAccepted:
        """Ask where a transaction stands, by its receipt or by the OriginatorConversationID
        of the request that made it; the answer comes on ``result_url``."""
        if not (originator_conversation_id or receipt):
            raise ValueError("originator_conversation_id or receipt is required.")
        check_callback_url(result_url)
        check_callback_url(timeout_url)
        body = {
            "Initiator": self.initiator,
            "SecurityCredential": self._credential,
            "CommandID": "TransactionStatusQuery",
            "PartyA": self.shortcode,
            "IdentifierType": STATUS_IDENTIFIER_TYPE,
            "ResultURL": result_url,
            "QueueTimeOutURL": timeout_url,
            "Remarks": "Refund status",
            "Occasion": "",
        }
        if receipt:
            body["TransactionID"] = receipt
        if originator_conversation_id:
            body["OriginalConversationID"] = originator_conversation_id
        return self._send(
            TRANSACTION_STATUS_PATH,
            body,
            what=f"status of {receipt or originator_conversation_id}",
        )

    def _send(self, path: str, body: dict, *, what: str) -> DarajaAccepted:
        try:
            answer = self.client._post_json(path, body)
        except DarajaError as error:
            logger.warning("Daraja refused/failed the %s: %s", what, error)
            raise
        response_code = str(answer.get("ResponseCode", ""))
        if response_code != "0":
            raise DarajaRejected(
                str(answer.get("ResponseDescription") or "Request not accepted."),
                error_code=response_code or None,
                http_status=200,
                raw=answer,
            )
        conversation_id = answer.get("ConversationID")
        if not conversation_id:
            raise DarajaInvalidResponse(
                "Daraja's answer lacks ConversationID.", http_status=200, raw=answer
            )
        return DarajaAccepted(
            originator_conversation_id=str(
                answer.get("OriginatorConversationID") or body.get("OriginatorConversationID", "")
            ),
            conversation_id=str(conversation_id),
            response_description=str(answer.get("ResponseDescription", "")),
            request_body=_redacted(body),
            raw=answer,
        )
