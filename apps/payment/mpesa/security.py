"""Who may call the M-Pesa endpoints (how often a prompt may be sent: ``services.limits``).

Daraja signs nothing. A callback is trusted because its URL carries a secret token; as a
second check its source address can be required to be one of Safaricom's published ones,
read correctly behind the configured number of trusted reverse proxies.
"""

import ipaddress
import logging

from django.conf import settings

from apps.common.client_address import client_address

logger = logging.getLogger(__name__)


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
