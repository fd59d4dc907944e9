"""The simulator lists callback tokens and the Paybill path secret and takes made-up
payments: it answers this machine only, unless the operator lets the network in."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    ("get", "/daraja-sim/phone/"),
    ("get", "/daraja-sim/stk/"),
    ("get", "/daraja-sim/c2b/"),
    ("get", "/oauth/v1/generate?grant_type=client_credentials"),
    ("post", "/mpesa/c2b/v2/simulate"),
    ("post", "/mpesa/stkpush/v1/processrequest"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_another_machine_is_refused(client, method, path):
    response = getattr(client, method)(path, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 403
    assert "DARAJA_SIMULATOR_ALLOW_REMOTE" in response.content.decode()


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_this_machine_is_served(client, address):
    assert client.get(reverse("daraja_simulator:phone"), REMOTE_ADDR=address).status_code == 200


def test_the_network_is_served_when_the_operator_allows_it(client, settings):
    settings.DARAJA_SIMULATOR_ALLOW_REMOTE = True

    assert client.get("/daraja-sim/phone/", REMOTE_ADDR="192.0.2.10").status_code == 200


def test_the_banner_says_who_the_simulator_answers(capsys):
    from django.core.management import call_command

    call_command("shop_banner", "--url", "http://0.0.0.0:8000")

    assert "DARAJA_SIMULATOR_ALLOW_REMOTE=true" in capsys.readouterr().out
