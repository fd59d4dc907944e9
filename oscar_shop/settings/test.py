"""Settings for the test suite: PostgreSQL when DATABASE_URL is set (CI), SQLite otherwise."""

import tempfile

from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="oscar-shop-test-media-")
HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": tempfile.mkdtemp(prefix="oscar-shop-test-whoosh-"),
        "INCLUDE_SPELLING": False,
    },
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The Daraja simulator answers at once in tests; its prompts keep their real timeout.
DARAJA_SIMULATOR_CALLBACK_DELAY = 0.0
