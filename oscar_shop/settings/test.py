"""Settings for the test suite: PostgreSQL when DATABASE_URL is set (CI), SQLite otherwise."""

import tempfile
from pathlib import Path

from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Order emails in mail.outbox as soon as the payment commits (tests of the background
# sender turn it back on).
ORDER_EMAILS_SENT_BY = "inline"
MEDIA_ROOT = tempfile.mkdtemp(prefix="oscar-shop-test-media-")
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The Daraja simulator answers at once in tests; its prompts keep their real timeout.
DARAJA_SIMULATOR_CALLBACK_DELAY = 0.0
# The simulator's key pair for refund credentials, made afresh for each test run.
DARAJA_SIMULATOR_KEY_DIR = tempfile.mkdtemp(prefix="oscar-shop-test-daraja-keys-")
MPESA_CERTIFICATE_PATH = str(Path(DARAJA_SIMULATOR_KEY_DIR) / "certificate.pem")
# Product view counts written at once, so a test can read them right after the view.
SHOP_VIEW_COUNT_FLUSH_SECONDS = 0
# The page cache says what it did (X-Shop-Page-Cache: hit, miss, bypass) for the tests to read.
SHOP_PAGE_CACHE_HEADER = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: live-server tests write from several threads, and
    # only a file database has the WAL journal and busy timeout the shop relies on.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="oscar-shop-test-db-")) / "test.sqlite3")
    }
# Every request reads the catalogue version: a test sees its own change on the next view
# (tests of the staleness bound set their own).
SHOP_CACHE_STALENESS_SECONDS = 0
# Staff totals counted on every view: a test sees its own orders at once (tests of the
# cache set their own).
SHOP_STAFF_TOTALS_CACHE_SECONDS = 0
