"""Who may call the M-Pesa endpoints (how often a prompt may be sent: ``services.limits``).

Daraja signs nothing. A callback is trusted because its URL carries a secret token; as a
second check its source address can be required to be one of Safaricom's published ones,
read correctly behind the configured number of trusted reverse proxies.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def client_address(request) -> str | None:
    """The address that connected to the first trusted proxy (or to us, with none).

    With N trusted proxies in front of the shop, the client is the N-th address from the
    right of X-Forwarded-For: everything left of it was written by the client itself and
    proves nothing.
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


def _allowed_networks() -> list:
    networks = []
    for entry in settings.MPESA_CALLBACK_ALLOWED_IPS:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.error("Ignoring a malformed MPESA_CALLBACK_ALLOWED_IPS entry: %r", entry)
    return networks


def callback_source_allowed(request) -> bool:
    """True when the source-address check is off or the caller is on Safaricom's list."""
    if not settings.MPESA_CALLBACK_IP_CHECK:
        return True
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        ip = None
    if ip is not None and any(ip in network for network in _allowed_networks()):
        return True
    logger.warning(
        "M-Pesa endpoint %s refused: source address %s is not Safaricom's",
        request.path.split("/callback/")[0],
        address,
    )
    return False

