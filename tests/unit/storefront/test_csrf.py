"""The page cache's CSRF tokens are Django's tokens, drawn with one call to the random
source (apps/storefront/csrf.py)."""

from collections import Counter

from django.middleware import csrf as django_csrf
from django.test import RequestFactory

from apps.storefront import csrf


def test_a_new_shopper_gets_a_secret_for_their_cookie_and_a_token_django_accepts():
    request = RequestFactory().get("/")

    token = csrf.get_token(request)

    secret = request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    django_csrf._check_token_format(secret)
    django_csrf._check_token_format(token)
    assert len(secret) == django_csrf.CSRF_SECRET_LENGTH
    assert len(token) == django_csrf.CSRF_TOKEN_LENGTH
    assert django_csrf._unmask_cipher_token(token) == secret


def test_a_returning_shopper_keeps_their_secret_under_a_new_mask():
    request = RequestFactory().get("/")
    secret = django_csrf._get_new_csrf_string()
    request.META["CSRF_COOKIE"] = secret

    first, second = csrf.get_token(request), csrf.get_token(request)

    assert request.META["CSRF_COOKIE"] == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert first != second
    assert django_csrf._unmask_cipher_token(first) == secret
    assert django_csrf._unmask_cipher_token(second) == secret


def test_every_character_is_drawn_from_the_whole_alphabet_at_every_position():
    draws = 4000  # ~65 of each character per position; missing one: ~1e-25
    secrets_drawn = [csrf.new_secret() for _ in range(draws)]

    assert len(set(secrets_drawn)) == draws
    for position in range(csrf.LENGTH):
        seen = Counter(secret[position] for secret in secrets_drawn)
        assert set(seen) == set(csrf.CHARS), position
        # Uniform: 4000/62 = 64.5 expected; a biased draw (say a modulo bias or a
        # character twice as likely) lands far outside this.
        assert max(seen.values()) < 120, (position, seen.most_common(1))
