"""The client's address behind MPESA_TRUSTED_PROXY_COUNT trusted proxies
(apps/common/client_address.py), read the same way by the M-Pesa checks and the sign-in lockout."""

import pytest
from django.test import RequestFactory

from apps.common.client_address import client_address
from apps.payment.mpesa import security


def request_from(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/login/", **meta)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "address"),
    [
        (0, "41.90.64.10", None, "41.90.64.10"),
        (0, "41.90.64.10", "6.6.6.6", "41.90.64.10"),  # no proxy: the header is the client's
        (1, "10.0.0.2", "41.90.64.10", "41.90.64.10"),
        (1, "10.0.0.2", "6.6.6.6, 41.90.64.10", "41.90.64.10"),  # left of it: written by the client
        (1, "10.0.0.2", " 6.6.6.6 ,41.90.64.10 ", "41.90.64.10"),
        (2, "10.0.0.3", "6.6.6.6, 41.90.64.10, 10.0.0.2", "41.90.64.10"),
        (1, "10.0.0.2", None, None),  # did not come through the proxy
        (2, "10.0.0.3", "41.90.64.10", None),
    ],
)
def test_the_client_is_the_address_the_first_trusted_proxy_saw(
    settings, proxies, remote, forwarded, address
):
    settings.MPESA_TRUSTED_PROXY_COUNT = proxies
    assert client_address(request_from(remote, forwarded)) == address


def test_the_m_pesa_checks_read_the_same_address():
    assert security.client_address is client_address
