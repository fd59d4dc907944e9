"""Production: every secret comes from the environment, and the shop refuses to start without it.

PostgreSQL, Redis, SMTP, https behind nginx, WhiteNoise for static files, JSON-line logs. The
samples around it (gunicorn, nginx, systemd, the env file) are in deploy/; the README's
"Running in production" puts them together.
"""

from django.core.exceptions import ImproperlyConfigured

from apps.payment.mpesa.rules import forbidden_callback_words

from .base import *  # noqa: F403
from .base import env

# deploy/oscar-shop.env marks what each server must fill in with CHANGE: a value still
# starting with it is public (it is in the repository), so it counts as not set.
_PLACEHOLDER = "CHANGE"


def _required(name: str) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production.")
    if value.startswith(_PLACEHOLDER):
        raise ImproperlyConfigured(
            f"{name} must be set in production: it still has the template's placeholder."
        )
    return value


def _bool(name: str, default: bool) -> bool:
    """An empty value (as in a copied .env.example) means the default, as in base.py."""
    return env.bool(name) if env(name, default="") else default


def _int(name: str, default: int) -> int:
    return env.int(name) if env(name, default="") else default


DEBUG = False
if env.bool("DJANGO_DEBUG", default=False):
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on in production.")
SECRET_KEY = _required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production.")

# The demo shop (with its staff user of known password) never reaches a real shop.
SHOP_DEMO_ALLOWED = False
# The benchmark's page (a catalogue page kept in memory, never refreshed) is for
# oscar_shop.settings.bench, never a real shop.
if SHOP_BENCH_CEILING:  # noqa: F405
    raise ImproperlyConfigured(
        "SHOP_BENCH_CEILING cannot be on in production; make bench runs oscar_shop.settings.bench."
    )
# Never say what the page cache holds to the world (X-Shop-Page-Cache).
SHOP_PAGE_CACHE_HEADER = False

OSCAR_URL_SCHEMA = "https"

# --- HTTPS behind nginx -----------------------------------------------------------------
# nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx/oscar-shop.conf); it
# overwrites any value a client sends, which is what makes trusting this header safe.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# A year, with subdomains and preload: what browsers' preload lists ask for. A shop taking
# money never goes back to plain http, so there is no reason to start lower.
SECURE_HSTS_SECONDS = _int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = _bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Forms are posted from the shop's own https origins unless told otherwise.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]) or [
    "https://*" + host if host.startswith(".") else "https://" + host
    for host in ALLOWED_HOSTS
    if host != "*"
]

# --- PostgreSQL -------------------------------------------------------------------------
# base.py keeps connections open (DATABASE_CONN_MAX_AGE) and health-checks them before reuse.
# SQLite takes one writer at a time: several gunicorn workers would queue behind its lock.

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL in production "
        "(postgres://USER:PASSWORD@HOST:5432/NAME); SQLite is for the embedded run only."
    )

# --- Redis ------------------------------------------------------------------------------
# base.py builds django-redis's cache from REDIS_URL. Without it every worker would keep its
# own cache: its own Daraja token, its own pages, its own thumbnail keys. With it, Redis
# down is not the shop down: pages render without the cache (REDIS_TIMEOUT_SECONDS,
# REDIS_RETRY_SECONDS); sessions, sign-in lockouts and prompt limits are in the database.

REDIS_URL = _required("REDIS_URL")

# --- Static files and media -------------------------------------------------------------
# WhiteNoise serves collectstatic's output from the app with hashed names (cached for ever)
# and pre-compressed copies; uploads (product images) live in MEDIA_ROOT, served by nginx.

MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email over SMTP ----------------------------------------------------------------------
# Order confirmations are part of being paid: a shop that cannot send them must not start.

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _required("DJANGO_EMAIL_HOST")
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
# STARTTLS on 587 by default; implicit TLS ("SSL") on 465 when DJANGO_EMAIL_USE_SSL is on.
EMAIL_USE_SSL = _bool("DJANGO_EMAIL_USE_SSL", default=False)
EMAIL_USE_TLS = _bool("DJANGO_EMAIL_USE_TLS", default=not EMAIL_USE_SSL)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ImproperlyConfigured("DJANGO_EMAIL_USE_TLS and DJANGO_EMAIL_USE_SSL exclude each other.")
EMAIL_PORT = _int("DJANGO_EMAIL_PORT", default=465 if EMAIL_USE_SSL else 587)
# A slow mail server must not hold a web worker (and the customer) for minutes.
EMAIL_TIMEOUT = _int("DJANGO_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = _required("DJANGO_DEFAULT_FROM_EMAIL")
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Logging: one JSON object per line ------------------------------------------------------
# oscar_shop/logging.py: payment lines carry order_number, checkout_request_id and a masked
# phone; journald (or any shipper) gets events it can filter without a parsing rule.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "oscar_shop.logging.JsonLineFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="") or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- M-Pesa: refuse to start with what would only fail at the first payment -------------

if MPESA_ENVIRONMENT not in ("sandbox", "production"):
    raise ImproperlyConfigured(
        "MPESA_ENVIRONMENT must be sandbox or production here; the simulator is for local runs."
    )
MPESA_CONSUMER_KEY = _required("MPESA_CONSUMER_KEY")
MPESA_CONSUMER_SECRET = _required("MPESA_CONSUMER_SECRET")
MPESA_SHORTCODE = _required("MPESA_SHORTCODE")
MPESA_PASSKEY = _required("MPESA_PASSKEY")
MPESA_C2B_PATH_SECRET = _required("MPESA_C2B_PATH_SECRET")
if forbidden_callback_words(MPESA_C2B_PATH_SECRET):
    raise ImproperlyConfigured(
        "MPESA_C2B_PATH_SECRET spells a word Safaricom refuses in callback URLs; "
        "use hex: python -c 'import secrets; print(secrets.token_hex(16))'."
    )
if MPESA_TRANSACTION_TYPE not in ("CustomerPayBillOnline", "CustomerBuyGoodsOnline"):
    raise ImproperlyConfigured(
        "MPESA_TRANSACTION_TYPE must be CustomerPayBillOnline or CustomerBuyGoodsOnline."
    )
if MPESA_TRANSACTION_TYPE == "CustomerBuyGoodsOnline":
    MPESA_TILL_NUMBER = _required("MPESA_TILL_NUMBER")
MPESA_CALLBACK_BASE_URL = _required("MPESA_CALLBACK_BASE_URL")
if not MPESA_CALLBACK_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("MPESA_CALLBACK_BASE_URL must be https:// in production.")
if forbidden_callback_words(MPESA_CALLBACK_BASE_URL):
    raise ImproperlyConfigured(
        "MPESA_CALLBACK_BASE_URL contains a word Safaricom refuses in callback URLs: "
        f"{', '.join(forbidden_callback_words(MPESA_CALLBACK_BASE_URL))}."
    )
# Refunds send money out: with them on, the operator and its credential must be complete.
if MPESA_REFUNDS_ENABLED:  # noqa: F405
    MPESA_INITIATOR_NAME = _required("MPESA_INITIATOR_NAME")
    if not env("MPESA_SECURITY_CREDENTIAL", default=""):
        MPESA_INITIATOR_PASSWORD = _required("MPESA_INITIATOR_PASSWORD")
        MPESA_CERTIFICATE_PATH = _required("MPESA_CERTIFICATE_PATH")
        from apps.payment.mpesa.credential import CredentialError, load_certificate

        try:
            load_certificate(MPESA_CERTIFICATE_PATH)
        except CredentialError as exc:
            raise ImproperlyConfigured(f"MPESA_CERTIFICATE_PATH: {exc}") from exc
