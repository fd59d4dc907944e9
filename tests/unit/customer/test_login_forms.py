"""The sign-in form goes on only to a redirect that is a URL (found by fuzzing: "0" was
read by Django's redirect() as a view's name, a 500 after signing in)."""

import pytest
from oscar.core.loading import get_class

EmailAuthenticationForm = get_class("customer.forms", "EmailAuthenticationForm")

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("posted", "kept"),
    [("0", None), ("basket", None), ("/basket/", "/basket/"), ("", None)],
)
def test_the_redirect_is_kept_only_when_it_is_a_url(django_user_model, posted, kept):
    django_user_model.objects.create_user("juma", "juma@example.co.ke", "Nyama-choma-2026")
    form = EmailAuthenticationForm(
        host="testserver",
        data={
            "username": "juma@example.co.ke",
            "password": "Nyama-choma-2026",
            "redirect_url": posted,
        },
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["redirect_url"] == kept
