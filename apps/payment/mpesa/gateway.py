"""Daraja client: the only code in the shop that speaks HTTP to Safaricom's M-Pesa API.

The same class talks to the shop's Daraja simulator, Safaricom's sandbox and production; only
the base URL and the credentials differ. It returns typed results and raises typed errors that
keep Daraja's ``errorCode``/``errorMessage``, and it never touches the database: persisting
attempts and deciding what a result means for an order is the services layer's job.

Rules that are easy to get wrong and are kept here once:

* every request carries explicit connect and read timeouts, and the HTTP adapter never retries;
* an STK push is never re-sent after a timeout or a 5xx (there is no idempotency key: a second
  POST is a second prompt and possibly a second payment). The one retry in this module follows
  Daraja's ``404.001.03 Invalid Access Token``, which is answered before the request is
  processed;
* one OAuth token is shared by all workers through Django's cache, refreshed before it expires;
* the passkey, the ``Password`` field and the consumer secret are never logged, and phone
  numbers are logged masked.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from django.core.cache import cache
from requests.adapters import HTTPAdapter

from .phone import mask_phone, normalise_phone
from .rules import (
    InvalidAmount,
    InvalidCallbackUrl,
    InvalidReference,
    check_account_reference,
    check_callback_url,
    check_transaction_desc,
    whole_shillings,
)

__all__ = [
    "C2BRegisterResult",
    "DarajaAuthError",
    "DarajaBusy",
    "DarajaClient",
    "DarajaConnectionError",
    "DarajaError",
    "DarajaInvalidResponse",
    "DarajaRejected",
    "DarajaTimeout",
    "InvalidAmount",
    "InvalidCallbackUrl",
    "InvalidReference",
    "StkPushAccepted",
    "StkQueryResult",
    "StkQueryState",
    "daraja_timestamp",
    "stk_password",
]

logger = logging.getLogger(__name__)

NAIROBI = ZoneInfo("Africa/Nairobi")
TRANSACTION_TYPES = ("CustomerPayBillOnline", "CustomerBuyGoodsOnline")
C2B_RESPONSE_TYPES = ("Completed", "Cancelled")
PRODUCTION_HOST = "api.safaricom.co.ke"

OAUTH_PATH = "/oauth/v1/generate"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
C2B_REGISTER_PATH = "/mpesa/c2b/v2/registerurl"
C2B_SIMULATE_PATH = "/mpesa/c2b/v2/simulate"

INVALID_TOKEN_CODE = "404.001.03"
BUSY_CODES = frozenset({"500.003.02", "500.003.03"})
BEING_PROCESSED = "being processed"

# A token is refreshed this long before Daraja says it expires (at most a tenth of its life).
TOKEN_REFRESH_MARGIN = 300
# How long a worker waits for another worker that is already fetching a token.
TOKEN_LOCK_WAIT = 5.0


# --- Errors ---------------------------------------------------------------------------------


class DarajaError(Exception):
    """Anything that kept Daraja from giving the answer asked for.

    ``error_code``/``error_message`` are Daraja's own (``errorCode``/``errorMessage``) when it
    sent an error body; ``raw`` is the body as received.
    """

    def __init__(
        self,
        error_message: str,
        *,
        error_code: str | None = None,
        http_status: int | None = None,
        raw: dict | str | None = None,
    ) -> None:
        super().__init__(error_message)
        self.error_code = error_code
        self.error_message = error_message
        self.http_status = http_status
        self.raw = raw

    def __str__(self) -> str:
        prefix = f"{self.error_code} " if self.error_code else ""
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        return f"{prefix}{self.error_message}{status}"


class DarajaConnectionError(DarajaError):
    """No connection could be made: the request was NOT delivered, so nothing happened."""


class DarajaTimeout(DarajaError):
    """The request went out but no answer came: AMBIGUOUS, the prompt may be on the phone."""


class DarajaAuthError(DarajaError):
    """OAuth refused the consumer key/secret (or a fresh token was refused again)."""


class DarajaRejected(DarajaError):
    """Daraja answered with an error body, e.g. ``400.002.02 Bad Request - Invalid PhoneNumber``."""


class DarajaBusy(DarajaRejected):
    """``500.003.02`` system busy / spike arrest or ``500.003.03`` quota: try again later."""


class DarajaInvalidResponse(DarajaError):
    """The answer was not JSON or not the expected shape (e.g. a proxy's HTML 502 page)."""


# --- Results --------------------------------------------------------------------------------


class StkQueryState(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class StkPushAccepted:
    """Daraja accepted the push: a prompt is on its way. The payment is NOT done yet."""

    merchant_request_id: str
    checkout_request_id: str
    response_code: str
    response_description: str
    customer_message: str
    request_body: dict = field(repr=False)  # as sent, with Password replaced by "***"
    raw: dict = field(repr=False)


@dataclass(frozen=True)
class StkQueryResult:
    """Where an STK push stands. ``state`` is decided by ``ResultCode``, never ``ResponseCode``."""

    state: StkQueryState
    result_code: str | None
    result_desc: str
    checkout_request_id: str
    raw: dict = field(repr=False)

    @property
    def is_pending(self) -> bool:
        return self.state == StkQueryState.PENDING


@dataclass(frozen=True)
class C2BRegisterResult:
    response_code: str
    response_description: str
    raw: dict = field(repr=False)


# --- Helpers shared with tests and management commands ---------------------------------------


def daraja_timestamp(moment: datetime | None = None) -> str:
    """``YYYYMMDDHHmmss`` in Nairobi time, as Daraja expects in ``Timestamp``."""
    return (moment or datetime.now(tz=NAIROBI)).astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """``base64(BusinessShortCode + Passkey + Timestamp)``."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode("ascii")


def _redacted(body: dict) -> dict:
    return {key: ("***" if key == "Password" else value) for key, value in body.items()}


# --- The client -----------------------------------------------------------------------------


class DarajaClient:
    """Speaks Daraja's wire protocol. Construct it with ``from_settings()`` in the shop."""

    def __init__(
        self,
        *,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        shortcode: str,
        passkey: str,
        transaction_type: str = "CustomerPayBillOnline",
        till_number: str = "",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if transaction_type not in TRANSACTION_TYPES:
            raise ValueError(f"transaction_type must be one of {TRANSACTION_TYPES}.")
        if transaction_type == "CustomerBuyGoodsOnline" and not till_number:
            raise ValueError("CustomerBuyGoodsOnline needs the till number (PartyB).")
        if not base_url:
            raise ValueError("base_url is required.")
        self.base_url = base_url.rstrip("/")
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.shortcode = str(shortcode)
        self._passkey = passkey
        self.transaction_type = transaction_type
        self.till_number = str(till_number or "")
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or self._new_session()
        self._clock = clock or (lambda: datetime.now(tz=NAIROBI))

    def __repr__(self) -> str:
        return f"<DarajaClient {self.base_url} shortcode={self.shortcode}>"

    @classmethod
    def from_settings(cls) -> DarajaClient:
        """The client configured by ``settings.MPESA_*`` (see ``.env.example``)."""
        from django.conf import settings

        return cls(
            base_url=settings.MPESA_BASE_URL,
            consumer_key=settings.MPESA_CONSUMER_KEY,
            consumer_secret=settings.MPESA_CONSUMER_SECRET,
            shortcode=settings.MPESA_SHORTCODE,
            passkey=settings.MPESA_PASSKEY,
            transaction_type=settings.MPESA_TRANSACTION_TYPE,
            till_number=settings.MPESA_TILL_NUMBER,
            connect_timeout=settings.MPESA_CONNECT_TIMEOUT,
            read_timeout=settings.MPESA_READ_TIMEOUT,
        )

    def close(self) -> None:
        """Close pooled connections (short-lived clients, e.g. management commands and tests)."""
        self.session.close()

    def __enter__(self) -> DarajaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _new_session() -> requests.Session:
        # max_retries=0: urllib3 must never re-send a request on its own.
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    # --- OAuth ----------------------------------------------------------------------------

    @property
    def _token_cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.base_url}|{self.consumer_key}".encode()).hexdigest()
        return f"mpesa:daraja-token:{digest[:24]}"

    def get_access_token(self, *, force_refresh: bool = False) -> str:
        """A valid OAuth token, shared by every worker through Django's cache.

        Daraja may invalidate a token when a new one is issued, so workers must not each fetch
        their own: one worker fetches (holding a short cache lock) while the others wait for it.
        """
        key = self._token_cache_key
        if not force_refresh:
            token = cache.get(key)
            if token:
                return token
        lock_key = f"{key}:lock"
        if not cache.add(lock_key, "1", timeout=int(sum(self.timeout)) + 1):
            token = self._wait_for_token_from_another_worker(key, force_refresh)
            if token:
                return token
        try:
            token, lifetime = self._fetch_token()
            cache.set(key, token, timeout=lifetime)
            return token
        finally:
            cache.delete(lock_key)

    def _wait_for_token_from_another_worker(self, key: str, force_refresh: bool) -> str | None:
        stale = cache.get(key) if force_refresh else None
        deadline = time.monotonic() + TOKEN_LOCK_WAIT
        while time.monotonic() < deadline:
            time.sleep(0.1)
            token = cache.get(key)
            if token and token != stale:
                return token
        return None

    def _fetch_token(self) -> tuple[str, int]:
        """Ask Daraja for a token; return it and how long to cache it."""
        response = self._send(
            "GET",
            OAUTH_PATH,
            params={"grant_type": "client_credentials"},
            auth=(self.consumer_key, self._consumer_secret),
        )
        if response.status_code != 200:
            error = self._error_from(response)
            if response.status_code not in (400, 401, 403):
                raise error  # busy, a proxy's error page...: not a verdict on the credentials
            logger.warning("Daraja OAuth refused the consumer key/secret: %s", error)
            raise DarajaAuthError(
                error.error_message,
                error_code=error.error_code,
                http_status=error.http_status,
                raw=error.raw,
            )
        body = self._json(response)
        token = body.get("access_token")
        try:
            expires_in = int(float(body.get("expires_in", 3599)))  # a string on the wire
        except (TypeError, ValueError):
            raise DarajaInvalidResponse(
                "OAuth answer has an unreadable expires_in.",
                http_status=response.status_code,
                raw={"expires_in": body.get("expires_in")},
            ) from None
        if not isinstance(token, str) or not token:
            raise DarajaInvalidResponse(
                "OAuth answer has no access_token.",
                http_status=response.status_code,
                raw={k: v for k, v in body.items() if k != "access_token"},
            )
        margin = min(TOKEN_REFRESH_MARGIN, expires_in // 10)
        logger.info("Fetched a Daraja access token valid for %s s.", expires_in)
        return token, max(expires_in - margin, 1)

    # --- STK push -----------------------------------------------------------------------------

    def stk_push(
        self,
        *,
        phone: str,
        amount: int | Decimal,
        account_reference: str,
        description: str,
        callback_url: str,
    ) -> StkPushAccepted:
        """Send one payment prompt to the customer's phone. Never retried after a timeout.

        Every input is checked before any HTTP call; bad input raises a ``ValueError``
        subclass (``InvalidPhoneNumber``, ``InvalidAmount``, ``InvalidReference``,
        ``InvalidCallbackUrl``).
        """
        msisdn = normalise_phone(phone)
        shillings = whole_shillings(amount)
        check_account_reference(account_reference)
        check_transaction_desc(description)
        check_callback_url(callback_url)

        body = self._signed_body(
            TransactionType=self.transaction_type,
            Amount=shillings,
            PartyA=msisdn,
            PartyB=self._party_b,
            PhoneNumber=msisdn,
            CallBackURL=callback_url,
            AccountReference=account_reference,
            TransactionDesc=description,
        )
        try:
            answer = self._post_json(STK_PUSH_PATH, body)
        except DarajaError as error:
            logger.warning(
                "Daraja refused/failed the STK push to %s for KSh %s: %s",
                mask_phone(msisdn),
                shillings,
                error,
            )
            raise
        response_code = str(answer.get("ResponseCode", ""))
        if response_code != "0":
            raise DarajaRejected(
                str(answer.get("ResponseDescription") or "STK push not accepted."),
                error_code=response_code or None,
                http_status=200,
                raw=answer,
            )
        try:
            accepted = StkPushAccepted(
                merchant_request_id=str(answer["MerchantRequestID"]),
                checkout_request_id=str(answer["CheckoutRequestID"]),
                response_code=response_code,
                response_description=str(answer.get("ResponseDescription", "")),
                customer_message=str(answer.get("CustomerMessage", "")),
                request_body=_redacted(body),
                raw=answer,
            )
        except KeyError as missing:
            raise DarajaInvalidResponse(
                f"STK push answer lacks {missing.args[0]}.", http_status=200, raw=answer
            ) from None
        logger.info(
            "Daraja accepted the STK push to %s for KSh %s: %s",
            mask_phone(msisdn),
            shillings,
            accepted.checkout_request_id,
        )
        return accepted

    @property
    def _party_b(self) -> str:
        if self.transaction_type == "CustomerBuyGoodsOnline":
            return self.till_number
        return self.shortcode

    def _signed_body(self, **fields: Any) -> dict:
        """BusinessShortCode, Password and Timestamp first, from ONE timestamp."""
        timestamp = daraja_timestamp(self._clock())
        return {
            "BusinessShortCode": self.shortcode,
            "Password": stk_password(self.shortcode, self._passkey, timestamp),
            "Timestamp": timestamp,
            **fields,
        }

    # --- STK push query ----------------------------------------------------------------------

    def stk_query(self, *, checkout_request_id: str) -> StkQueryResult:
        """Ask where a push stands. "Being processed" is PENDING, not a failure."""
        if not checkout_request_id:
            raise ValueError("checkout_request_id is required.")
        body = self._signed_body(CheckoutRequestID=checkout_request_id)
        try:
            answer = self._post_json(STK_QUERY_PATH, body)
        except DarajaRejected as error:
            if error.error_code == "500.001.1001" and BEING_PROCESSED in (
                error.error_message.lower()
            ):
                return StkQueryResult(
                    state=StkQueryState.PENDING,
                    result_code=None,
                    result_desc=error.error_message,
                    checkout_request_id=checkout_request_id,
                    raw=error.raw if isinstance(error.raw, dict) else {"body": error.raw},
                )
            raise
        if str(answer.get("ResponseCode", "")) != "0" or "ResultCode" not in answer:
            raise DarajaInvalidResponse(
                "STK query answer has no ResultCode.", http_status=200, raw=answer
            )
        result_code = str(answer["ResultCode"]).strip()
        state = StkQueryState.SUCCESS if result_code == "0" else StkQueryState.FAILED
        logger.info("Daraja STK query %s: %s %s", checkout_request_id, state, result_code)
        return StkQueryResult(
            state=state,
            result_code=result_code,
            result_desc=str(answer.get("ResultDesc", "")),
            checkout_request_id=str(answer.get("CheckoutRequestID") or checkout_request_id),
            raw=answer,
        )

    # --- C2B ---------------------------------------------------------------------------------

    def register_c2b_urls(
        self, *, confirmation_url: str, validation_url: str, response_type: str = "Completed"
    ) -> C2BRegisterResult:
        """Tell Daraja where to send Paybill payments made from the phone's menu.

        ``response_type`` is what Daraja does when the validation URL cannot be reached.
        """
        if response_type not in C2B_RESPONSE_TYPES:
            raise ValueError(f"response_type must be one of {C2B_RESPONSE_TYPES}.")
        check_callback_url(confirmation_url)
        check_callback_url(validation_url)
        answer = self._post_json(
            C2B_REGISTER_PATH,
            {
                "ShortCode": self.shortcode,
                "ResponseType": response_type,
                "ConfirmationURL": confirmation_url,
                "ValidationURL": validation_url,
            },
        )
        response_code = str(answer.get("ResponseCode", ""))
        if response_code != "0":
            raise DarajaRejected(
                str(answer.get("ResponseDescription") or "C2B URLs not registered."),
                error_code=response_code or None,
                http_status=200,
                raw=answer,
            )
        logger.info("Registered C2B URLs for shortcode %s.", self.shortcode)
        return C2BRegisterResult(
            response_code=response_code,
            response_description=str(answer.get("ResponseDescription", "")),
            raw=answer,
        )

    def c2b_simulate(self, *, amount: int, msisdn: str, bill_ref_number: str) -> dict:
        """Make Daraja send a Paybill payment to the registered URLs (sandbox/simulator only)."""
        if urlsplit(self.base_url).hostname == PRODUCTION_HOST:
            raise ValueError("C2B simulate exists only in the sandbox and the simulator.")
        phone = normalise_phone(msisdn)
        answer = self._post_json(
            C2B_SIMULATE_PATH,
            {
                "ShortCode": self.shortcode,
                "CommandID": self.transaction_type,
                "Amount": whole_shillings(amount),
                "Msisdn": phone,
                "BillRefNumber": bill_ref_number,
            },
        )
        logger.info("C2B simulate of KSh %s from %s accepted.", amount, mask_phone(phone))
        return answer

    # --- HTTP --------------------------------------------------------------------------------

    def _post_json(self, path: str, body: dict) -> dict:
        """POST with the shared token; on "Invalid Access Token" refresh once and retry once.

        Daraja answers 404.001.03 at its gateway, before the request reaches M-Pesa, so this
        one retry cannot create a second prompt.
        """
        token = self._token_before_sending(self.get_access_token)
        response = self._send("POST", path, json=body, token=token)
        if self._is_invalid_token(response):
            logger.info("Daraja refused the cached token; fetching a new one.")
            fresh = self._token_before_sending(lambda: self._refresh_stale_token(token))
            response = self._send("POST", path, json=body, token=fresh)
            if self._is_invalid_token(response):
                error = self._error_from(response)
                raise DarajaAuthError(
                    error.error_message,
                    error_code=error.error_code,
                    http_status=error.http_status,
                    raw=error.raw,
                )
        if response.status_code != 200:
            raise self._error_from(response)
        answer = self._json(response)
        if "errorCode" in answer:
            raise self._error_from(response)
        return answer

    @staticmethod
    def _token_before_sending(fetch: Callable[[], str]) -> str:
        """A token for the request about to be sent.

        If the token request itself times out or gets a garbled answer, the request it was
        for has not been sent: that is a connection error for it, never an ambiguous one.
        """
        try:
            return fetch()
        except (DarajaTimeout, DarajaInvalidResponse) as error:
            raise DarajaConnectionError(
                f"No access token, so nothing was sent: {error}",
                error_code=error.error_code,
                http_status=error.http_status,
                raw=error.raw,
            ) from error

    def _refresh_stale_token(self, stale: str) -> str:
        """A token other than ``stale``: another worker's fresh one if there is, else a new one."""
        cached = cache.get(self._token_cache_key)
        if cached and cached != stale:
            return cached
        return self.get_access_token(force_refresh=True)

    def _is_invalid_token(self, response: requests.Response) -> bool:
        if response.status_code not in (401, 404):
            return False
        try:
            body = response.json()
        except ValueError:
            return False
        return isinstance(body, dict) and body.get("errorCode") == INVALID_TOKEN_CODE

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: dict | None = None,
        params: dict | None = None,
        auth: tuple[str, str] | None = None,
    ) -> requests.Response:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = self.base_url + path
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                json=json,
                params=params,
                auth=auth,
                timeout=self.timeout,
            )
            # Read the whole body now (under the read timeout) and let go of the socket, so no
            # half-read connection outlives the call.
            response.content  # noqa: B018
            response.close()
            return response
        except requests.exceptions.ConnectTimeout as exc:
            raise DarajaConnectionError(f"Timed out connecting to {url}: {exc}") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise DarajaTimeout(
                f"No answer from {url} within {self.timeout[1]} s; the request may have been "
                "processed."
            ) from exc
        except requests.exceptions.SSLError as exc:
            raise DarajaConnectionError(f"TLS handshake with {url} failed: {exc}") from exc
        except requests.exceptions.ConnectionError as exc:
            if _failed_before_sending(exc):
                raise DarajaConnectionError(f"Could not connect to {url}: {exc}") from exc
            raise DarajaTimeout(
                f"Connection to {url} broke before an answer; the request may have been "
                f"processed: {exc}"
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise DarajaConnectionError(f"Request to {url} could not be made: {exc}") from exc

    @staticmethod
    def _json(response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise DarajaInvalidResponse(
                "Daraja's answer is not JSON.",
                http_status=response.status_code,
                raw=response.text[:2000],
            ) from None
        if not isinstance(body, dict):
            raise DarajaInvalidResponse(
                "Daraja's answer is not a JSON object.",
                http_status=response.status_code,
                raw=response.text[:2000],
            )
        return body

    @staticmethod
    def _error_from(response: requests.Response) -> DarajaError:
        """The typed error for an error answer, keeping Daraja's errorCode and errorMessage."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not (body.get("errorCode") or body.get("errorMessage")):
            return DarajaInvalidResponse(
                f"Daraja answered HTTP {response.status_code} without an error body.",
                http_status=response.status_code,
                raw=body if isinstance(body, dict) else response.text[:2000],
            )
        code = str(body.get("errorCode") or "") or None
        message = str(body.get("errorMessage") or "")
        error_class = DarajaBusy if code in BUSY_CODES else DarajaRejected
        return error_class(message, error_code=code, http_status=response.status_code, raw=body)


def _failed_before_sending(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection itself failed (refused, DNS), so nothing reached Daraja."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)
