"""The CSRF token a cached page's forms carry, made as Django makes it, drawn at once.

``django.middleware.csrf.get_token`` draws every character of a new shopper's secret
and of each token's mask with its own call to the operating system's random source
(``secrets.choice``, 64 calls for a shopper without a CSRF cookie). On a cached page,
where the page itself costs one cache read, that was a fifth of the request. Here the
32 characters of a secret or a mask come from one uniform draw below 62**32, written
in base 62: the same alphabet, lengths, cookie and masked-token format as Django's, so
Django's middleware checks these tokens, sends the cookie and rotates it as usual.

Only the page cache fills its forms this way; pages rendered by Django get their token
from Django's context processor, which reuses the secret this put on the request.
"""

import secrets

from django.http import HttpRequest
from django.middleware import csrf as django_csrf

CHARS = django_csrf.CSRF_ALLOWED_CHARS
LENGTH = django_csrf.CSRF_SECRET_LENGTH
_BASE = len(CHARS)
_DRAWS = _BASE**LENGTH
_INDEX = {char: index for index, char in enumerate(CHARS)}


def _random_digits() -> list[int]:
    """``LENGTH`` independent, uniform indexes into ``CHARS`` from one random draw."""
    number = secrets.randbelow(_DRAWS)
    digits = []
    for _ in range(LENGTH):
        number, digit = divmod(number, _BASE)
        digits.append(digit)
    return digits


def new_secret() -> str:
    return "".join(CHARS[digit] for digit in _random_digits())


def masked(secret: str) -> str:
    """``secret`` as a form token: a new random mask followed by the secret shifted by
    it, character by character (Django's ``_mask_cipher_secret``)."""
    mask = _random_digits()
    pairs = zip(secret, mask, strict=True)
    cipher = (CHARS[(_INDEX[char] + shift) % _BASE] for char, shift in pairs)
    return "".join(CHARS[shift] for shift in mask) + "".join(cipher)


def get_token(request: HttpRequest) -> str:
    """What ``django.middleware.csrf.get_token`` returns and does to the request: the
    shopper's secret (from their cookie, or a new one) masked afresh, and the cookie
    marked to be sent with the response."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = new_secret()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return masked(secret)
