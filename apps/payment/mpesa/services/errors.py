"""What a payment service refuses with: each message is fit to show the person who asked."""

from __future__ import annotations


class MpesaPaymentError(Exception):
    """A payment could not be started; ``str(error)`` is fit to show the customer."""


class PushRefused(MpesaPaymentError):
    """Daraja did not accept the push (or it could not be reached): no prompt was sent."""


class AttemptAlreadyOpen(MpesaPaymentError):
    """Another prompt for this order is still open."""


class ResendTooSoon(MpesaPaymentError):
    def __init__(self, message: str, wait_seconds: int):
        super().__init__(message)
        self.wait_seconds = wait_seconds


class OrderNotPayable(MpesaPaymentError):
    """The order is no longer waiting for payment."""


class OrderNotCancellable(MpesaPaymentError):
    """The customer may not cancel the order (yet): a prompt is open, or money arrived."""
