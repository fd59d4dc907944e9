"""A session cookie the shop did not make is no session: the page answers, with a new one."""

import pytest

pytestmark = pytest.mark.django_db

FORGED = ["\x00" * 12, "abcdefgh\x00ijkl", "ABCDEFGHIJKLMNOP", "a" * 41, "sessionkey-with-dashes"]


@pytest.mark.parametrize("key", FORGED)
def test_a_forged_session_key_gets_a_fresh_session(client, key):
    client.cookies["sessionid"] = key

    response = client.get("/basket/")

    assert response.status_code == 200
    assert client.session.session_key != key


def test_a_session_the_shop_made_is_kept(client):
    client.get("/basket/")
    session = client.session
    session["seen"] = "yes"
    session.save()

    client.get("/basket/")

    assert client.session["seen"] == "yes"
