"""Who may call the M-Pesa endpoints, and how often a prompt may be sent.

Daraja signs nothing. A callback is trusted because its URL carries a secret token; as a
second check its source address can be required to be one of Safaricom's published ones,
read correctly behind the configured number of trusted reverse proxies.
"""

import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

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


class PromptRateLimited(Exception):
    """Too many prompts for a phone, a browser session or an address; the text is for people."""


def prompt_rate_check(*, phone: str, session_key: str | None, address: str | None) -> None:
    """Count one STK push against each limit, refusing once any is used up.

    Nobody can use the shop to spam strangers' phones with PIN prompts. Fixed windows in the
    shared cache: cheap, and the same for every worker.
    """
    window = settings.MPESA_PROMPT_RATE_WINDOW_SECONDS
    limits = [
        ("phone", phone, settings.MPESA_PROMPTS_PER_PHONE),
        ("session", session_key, settings.MPESA_PROMPTS_PER_SESSION),
        ("address", address, settings.MPESA_PROMPTS_PER_ADDRESS),
    ]
    bucket = int(time.time() // window)
    keys = [
        (f"mpesa-prompts:{kind}:{value}:{bucket}", limit) for kind, value, limit in limits if value
    ]
    for key, limit in keys:
        if (cache.get(key) or 0) >= limit:
            wait = math.ceil((bucket + 1) * window - time.time())
            logger.warning("Prompt rate limit reached (%s)", key.split(":")[1])
            raise PromptRateLimited(
                _(
                    "Too many payment prompts have been sent just now. Please wait "
                    "%(minutes)s minute(s) and try again, or pay by Paybill."
                )
                % {"minutes": max(1, math.ceil(wait / 60))}
            )
    for key, _limit in keys:
        if not cache.add(key, 1, timeout=window + 5):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window + 5)
