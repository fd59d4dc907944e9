import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return get_user_model().objects.create_user(
        username="staff", email="staff@duka.example", password="pw", is_staff=True
    )


@pytest.fixture
def shopper():
    return get_user_model().objects.create_user(
        username="shopper", email="shopper@duka.example", password="pw"
    )


def test_staff_user_reaches_the_dashboard(django_app, staff):
    page = django_app.get("/dashboard/", user=staff)
    assert page.status_code == 200
    assert "Dashboard" in page


def test_non_staff_user_is_kept_out_of_the_dashboard(django_app, shopper):
    response = django_app.get("/dashboard/", user=shopper, expect_errors=True)
    assert response.status_code == 403
    assert "Dashboard" not in response.text


def test_guest_is_sent_to_log_in(django_app, db):
    response = django_app.get("/dashboard/")
    assert response.status_code == 302
    assert "login" in response["Location"]
