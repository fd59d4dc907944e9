"""The address a request came from, read correctly behind the shop's trusted reverse proxies.

One reading for everything that counts or checks addresses: the M-Pesa callback check and
prompt limits (apps.payment.mpesa.security) and the sign-in lockout (apps.customer.login_attempts).
"""

from django.conf import settings


def client_address(request) -> str | None:
    """The address that connected to the first trusted proxy (or to us, with none).

    With N trusted proxies in front of the shop (MPESA_TRUSTED_PROXY_COUNT), the client is
    the N-th address from the right of X-Forwarded-For: everything left of it was written
    by the client itself and proves nothing. None when the header is shorter than that
    (the request did not come through the proxies).
    """
    proxies = settings.MPESA_TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR") or None
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return None
    return forwarded[-proxies]
