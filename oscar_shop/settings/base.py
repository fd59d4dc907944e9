"""Settings shared by every way of running the shop.

Everything that differs between machines is read from the environment (or a
``.env`` file beside ``manage.py``) through django-environ; ``.env.example``
documents each variable.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
import oscar
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from oscar.defaults import *  # noqa: F403  (Oscar's documented way to take its defaults)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "oscar_shop.urls"
WSGI_APPLICATION = "oscar_shop.wsgi.application"
SITE_ID = 1

# Oscar's migrations read this at run time: it must never change after the first migrate.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en-us", _("English"))]
TIME_ZONE = "Africa/Nairobi"
USE_I18N = True
USE_TZ = True

# --- Applications -----------------------------------------------------------

OSCAR_FORKED_APPS = {
    "oscar.apps.checkout.apps.CheckoutConfig": "apps.checkout.apps.CheckoutConfig",
    "oscar.apps.payment.apps.PaymentConfig": "apps.payment.apps.PaymentConfig",
    "oscar.apps.order.apps.OrderConfig": "apps.order.apps.OrderConfig",
    "oscar.apps.shipping.apps.ShippingConfig": "apps.shipping.apps.ShippingConfig",
    "oscar.apps.search.apps.SearchConfig": "apps.search.apps.SearchConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig": "apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.customer.apps.CustomerConfig": "apps.customer.apps.CustomerConfig",
    "oscar.apps.basket.apps.BasketConfig": "apps.basket.apps.BasketConfig",
    "oscar.apps.partner.apps.PartnerConfig": "apps.partner.apps.PartnerConfig",
    "oscar.apps.dashboard.apps.DashboardConfig": "apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig": (
        "apps.dashboard.orders.apps.OrdersDashboardConfig"
    ),
}

INSTALLED_APPS = [OSCAR_FORKED_APPS.get(app, app) for app in oscar.INSTALLED_APPS] + [
    "sorl.thumbnail",
    "apps.reporting.apps.ReportingConfig",
    "apps.demo.apps.DemoConfig",
    "apps.storefront.apps.StorefrontConfig",
    "apps.payment.dashboard.apps.MpesaDashboardConfig",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Oscar's, reading from the basket cookie only what can be a basket id.
    "apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    # Last: turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                # Oscar's notifications count, with the navigation bar's other facts, in
                # one query (apps/storefront/navigation.py).
                "apps.storefront.context_processors.navigation",
                "oscar.core.context_processors.metadata",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out client before any password is checked (django-axes).
    "apps.customer.login_attempts.SignInLockoutBackend",
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_REDIRECT_URL = "/"
# Not a rule on passwords: Django tells validators of every new password, and a new
# password ends the account's sign-in lockout (apps/customer/login_attempts.py).
AUTH_PASSWORD_VALIDATORS = [{"NAME": "apps.customer.login_attempts.PasswordChangeUnlocks"}]

# --- Sign-in lockout (django-axes) ----------------------------------------------------
# Failed sign-ins on every login (customer, checkout, dashboard, Django admin) are kept in
# the database (admin: Axes -> Access attempts; deleting one unlocks it) and counted per
# name typed and client address, the address read behind MPESA_TRUSTED_PROXY_COUNT
# proxies. Too many, and that client's sign-ins are refused, even with the right password,
# until nothing has failed for the cool-off; a successful sign-in before the limit, or a
# new password, clears the account's count. apps/customer/login_attempts.py has the pieces.
AXES_HANDLER = "apps.customer.login_attempts.LoginAttemptHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures for one account (name) from one address before it is locked from there.
AXES_FAILURE_LIMIT = env.int("SHOP_LOGIN_FAILURES_PER_ACCOUNT", default=5)
# Failures from one address under any names before the whole address is locked: far
# higher, as Kenyan mobile carriers put many shoppers behind one shared address.
SHOP_LOGIN_FAILURES_PER_ADDRESS = env.int("SHOP_LOGIN_FAILURES_PER_ADDRESS", default=100)
SHOP_LOGIN_LOCKOUT_MINUTES = env.int("SHOP_LOGIN_LOCKOUT_MINUTES", default=30)
if min(AXES_FAILURE_LIMIT, SHOP_LOGIN_FAILURES_PER_ADDRESS, SHOP_LOGIN_LOCKOUT_MINUTES) < 1:
    raise ImproperlyConfigured(
        "SHOP_LOGIN_FAILURES_PER_ACCOUNT, SHOP_LOGIN_FAILURES_PER_ADDRESS and "
        "SHOP_LOGIN_LOCKOUT_MINUTES must each be at least 1."
    )
AXES_COOLOFF_TIME = timedelta(minutes=SHOP_LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "apps.customer.login_attempts.login_client_address"
AXES_USERNAME_CALLABLE = "apps.customer.login_attempts.login_name"
AXES_LOCKOUT_CALLABLE = "apps.customer.login_attempts.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Failures are what locks; a row for every successful sign-in is not kept.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner in every manage.py run (cron runs mpesa_reconcile each minute).
AXES_VERBOSE = False
# Masked in the attempts' stored form data and in the log: the customer login's fields
# are prefixed, so axes' defaults ("username", "password") would keep what was typed.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "login-username",
    "login-password",
    "csrfmiddlewaretoken",
]

# --- Database -----------------------------------------------------------------
# SQLite by default (the embedded run); PostgreSQL when DATABASE_URL says postgres://.

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Oscar writes a counter row on every product view. Concurrent shoppers on
    # SQLite need WAL, a busy timeout and transactions that take the write lock
    # up front, or requests fail with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Cache ------------------------------------------------------------------------
# Local memory for the embedded run; Redis (REDIS_URL) wherever several workers run,
# so they share one cache and one Daraja token. Redis is only a cache: unreachable, every
# page renders without it, each Redis call gives up after REDIS_TIMEOUT_SECONDS and, after
# a failure, Redis is left alone for REDIS_RETRY_SECONDS before one call tries again
# (oscar_shop/redis_cache.py: one log line when it goes, one when it is back).

REDIS_URL = env("REDIS_URL", default="")
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.25)
REDIS_RETRY_SECONDS = env.float("REDIS_RETRY_SECONDS", default=5.0)
if not (REDIS_TIMEOUT_SECONDS > 0 and REDIS_RETRY_SECONDS >= 0):
    raise ImproperlyConfigured(
        "REDIS_TIMEOUT_SECONDS must be above 0 (0 would wait for ever) "
        "and REDIS_RETRY_SECONDS at least 0."
    )
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "oscar_shop",
            "OPTIONS": {
                "CLIENT_CLASS": "oscar_shop.redis_cache.CircuitBreakerClient",
                # A value an earlier release wrote with classes since moved reads as a miss.
                "SERIALIZER": "oscar_shop.cache_serializer.ReleaseTolerantPickleSerializer",
                "IGNORE_EXCEPTIONS": True,  # a failed call reads as a miss, not a 500
                "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_SECONDS,
                "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
                "RETRY_SECONDS": REDIS_RETRY_SECONDS,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "oscar-shop",
            # Room for a product card and a thumbnail key per product of a big catalogue.
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
# Product cards, the category menu and the featured range are cached this long at most;
# any catalogue change makes them stale at once (apps/storefront/cache.py).
SHOP_FRAGMENT_CACHE_SECONDS = env.int("SHOP_FRAGMENT_CACHE_SECONDS", default=60 * 60 * 24)
# Whole storefront pages (home, catalogue, category, product) for shoppers who are not
# signed in are cached this long at most, stale at once on any catalogue change
# (apps/storefront/page_cache.py). 0 turns the page cache off.
SHOP_PAGE_CACHE_SECONDS = env.int("SHOP_PAGE_CACHE_SECONDS", default=60 * 60)
# Each worker also keeps the cached pages it served lately, up to this many megabytes, so
# a page served again costs no trip to Redis (checked against the catalogue version).
SHOP_PAGE_CACHE_LOCAL_MB = env.int("SHOP_PAGE_CACHE_LOCAL_MB", default=16)
# The longest a change to the catalogue (whoever made it) goes unseen by a process: each
# reads the catalogue version, which the database advances, at most this often.
SHOP_CACHE_STALENESS_SECONDS = env.float("SHOP_CACHE_STALENESS_SECONDS", default=1.0)
# The staff pages' all-time totals (orders per status, order lines, the M-Pesa log's
# totals) are counted from the rows and kept this long (apps/reporting/staff_cache.py):
# a figure is at most this many seconds behind. 0 counts them on every view.
SHOP_STAFF_TOTALS_CACHE_SECONDS = env.float("SHOP_STAFF_TOTALS_CACHE_SECONDS", default=5.0)
# Product view counts (Oscar's reports) are written in batches at most this often per
# process, instead of a database write on every product page view.
SHOP_VIEW_COUNT_FLUSH_SECONDS = env.int("SHOP_VIEW_COUNT_FLUSH_SECONDS", default=30)
# `make bench` only: serve the catalogue page's HTML from memory at /bench/ceiling/, the
# most requests per second this stack can reach (bench/views.py). The production
# settings refuse it; the bench runs oscar_shop.settings.bench.
SHOP_BENCH_CEILING = env.bool("SHOP_BENCH_CEILING", default=False)
# The X-Shop-Page-Cache diagnostic header (hit, miss, bypass) is sent with DEBUG, or when
# this is on: the test and bench settings only.
SHOP_PAGE_CACHE_HEADER = False
# Search answers (apps/storefront/search_cache.py) are kept in this many cache slots at most,
# whatever the number of different searches: a search takes one of the two slots its words
# hash to, replacing the answer there. A search (its words and filters) longer than this
# many characters is answered without the cache.
SHOP_SEARCH_CACHE_SLOTS = env.int("SHOP_SEARCH_CACHE_SLOTS", default=1000)
SHOP_SEARCH_CACHE_MAX_QUERY_CHARS = env.int("SHOP_SEARCH_CACHE_MAX_QUERY_CHARS", default=200)
if SHOP_SEARCH_CACHE_SLOTS < 1:
    raise ImproperlyConfigured("SHOP_SEARCH_CACHE_SLOTS must be at least 1.")

# --- Static and media -------------------------------------------------------------

STATIC_URL = "/static/"
# An empty value in .env means "the default", as if the line were not there.
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default="") or str(BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
# Whether the shop serves MEDIA_ROOT itself (the embedded run; production's nginx does).
SHOP_SERVE_MEDIA = False
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default="") or str(BASE_DIR / "media")

# --- Email --------------------------------------------------------------------------

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Duka la Nyumbani <shop@localhost>")
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL
# Order emails (confirmation on payment, cancellation) go through an outbox: written with the
# payment and sent after commit, so a callback never waits for the mail server. Sent by a
# background thread in each process ("thread"), by the order_email_worker process
# ("worker": web workers spend nothing on mail; deploy/systemd/shop-mail.service), or in
# the committing thread ("inline": the tests).
ORDER_EMAILS_SENT_BY = env.str("ORDER_EMAILS_SENT_BY", default="thread")
if ORDER_EMAILS_SENT_BY not in ("thread", "worker", "inline"):
    raise ImproperlyConfigured("ORDER_EMAILS_SENT_BY must be thread, worker or inline.")
# How often the order_email_worker looks for owed emails when it found none, in seconds.
ORDER_EMAIL_WORKER_POLL_SECONDS = env.float("ORDER_EMAIL_WORKER_POLL_SECONDS", default=1.0)
# An order email still unsent this long after it was owed (its worker died, the mail server
# failed) is sent by mpesa_reconcile; after each failure the pause doubles, up to an hour.
ORDER_EMAIL_RETRY_SECONDS = env.int("ORDER_EMAIL_RETRY_SECONDS", default=60)

# --- Sessions: Django's database sessions, reading only keys Django makes (oscar_shop/sessions.py)
SESSION_ENGINE = "oscar_shop.sessions"

# --- Search: the shop's own database (apps/search/engine), no index files ------------------

HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "apps.search.engine.backend.ShopSearchEngine",
        # Misspelt words are corrected by the engine itself (the search page says so).
        "INCLUDE_SPELLING": False,
    },
}

# Oscar's facets with the shop's own: the type and rating as Oscar has them, whether a
# product is available, and price ranges in shillings (lower bound in, upper bound out).
OSCAR_SEARCH_FACETS = {
    "fields": {
        "product_class": {"name": _("Type"), "field": "product_class"},
        "availability": {"name": _("Availability"), "field": "availability"},
        "rating": {"name": _("Rating"), "field": "rating"},
    },
    "queries": {
        "price_range": {
            "name": _("Price"),
            "field": "price",
            "queries": [
                (_("Under KSh 500"), "[0 TO 500]"),
                (_("KSh 500 to 1,000"), "[500 TO 1000]"),
                (_("KSh 1,000 to 2,500"), "[1000 TO 2500]"),
                (_("KSh 2,500 to 5,000"), "[2500 TO 5000]"),
                (_("KSh 5,000 to 10,000"), "[5000 TO 10000]"),
                (_("KSh 10,000 and more"), "[10000 TO *]"),
            ],
        },
    },
}

# --- Thumbnails ---------------------------------------------------------------------
# Thumbnail keys live in the cache (falling back to the database), so a warm page
# never asks the database or the disk about an image.

THUMBNAIL_KVSTORE = "sorl.thumbnail.kvstores.cached_db_kvstore.KVStore"
THUMBNAIL_CACHE_TIMEOUT = 60 * 60 * 24 * 30
THUMBNAIL_PRESERVE_FORMAT = True

# --- Oscar: a shop in Kenya -------------------------------------------------------

OSCAR_SHOP_NAME = env("SHOP_NAME", default="Duka la Nyumbani")
OSCAR_SHOP_TAGLINE = env("SHOP_TAGLINE", default="Shop online, pay with M-Pesa")
OSCAR_DEFAULT_CURRENCY = "KES"
OSCAR_CURRENCY_FORMAT = {
    "KES": {"format": "KSh\u00a0#,##0.##", "currency_digits": False},
}
OSCAR_URL_SCHEMA = env("SHOP_URL_SCHEME", default="http")
OSCAR_ALLOW_ANON_CHECKOUT = True

# Most Kenyan shoppers have no postcode: towns, counties and a phone number deliver.
OSCAR_REQUIRED_ADDRESS_FIELDS = ("first_name", "last_name", "line1", "line4", "state", "country")

OSCAR_INITIAL_ORDER_STATUS = "Pending payment"
OSCAR_INITIAL_LINE_STATUS = "Pending payment"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending payment": ("Paid", "Cancelled"),
    "Paid": ("Being processed", "Cancelled"),
    "Being processed": ("Shipped", "Cancelled"),
    "Shipped": ("Complete",),
    "Complete": (),
    "Cancelled": (),
}
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE
OSCAR_ORDER_STATUS_CASCADE = {status: status for status in OSCAR_ORDER_STATUS_PIPELINE}

OSCAR_PRODUCTS_PER_PAGE = 24

# The dashboard's M-Pesa section (apps/payment/dashboard): the transaction log and the
# inbox of payments that need staff, the test prompt for superusers. Each entry is shown
# to those its URL's permissions admit (MpesaDashboardConfig.permissions_map, read by
# Oscar's default_access_fn).
OSCAR_DASHBOARD_NAVIGATION = OSCAR_DASHBOARD_NAVIGATION + [  # noqa: F405
    {
        "label": _("M-Pesa"),
        "icon": "fas fa-mobile-alt",
        "children": [
            {"label": _("Transactions"), "url_name": "mpesa-dashboard:transaction-list"},
            {"label": _("Needs attention"), "url_name": "mpesa-dashboard:attention-inbox"},
            {"label": _("Refunds"), "url_name": "mpesa-dashboard:refund-list"},
            {"label": _("Books balance"), "url_name": "mpesa-dashboard:books"},
            {"label": _("Test M-Pesa setup"), "url_name": "mpesa-dashboard:test-setup"},
        ],
    },
]

# --- M-Pesa (Daraja) ------------------------------------------------------------------
# See .env.example. Daraja's public sandbox credentials are the embedded defaults; the
# simulator accepts exactly what the shop is configured with.

MPESA_ENVIRONMENT = env("MPESA_ENVIRONMENT", default="simulator")
_MPESA_BASE_URLS = {
    "simulator": "http://127.0.0.1:8000",
    "sandbox": "https://sandbox.safaricom.co.ke",
    "production": "https://api.safaricom.co.ke",
}
MPESA_BASE_URL = env("MPESA_BASE_URL", default="") or _MPESA_BASE_URLS.get(MPESA_ENVIRONMENT, "")
MPESA_CONSUMER_KEY = env("MPESA_CONSUMER_KEY", default="")
MPESA_CONSUMER_SECRET = env("MPESA_CONSUMER_SECRET", default="")
MPESA_SHORTCODE = env("MPESA_SHORTCODE", default="174379")
MPESA_PASSKEY = env(
    "MPESA_PASSKEY", default="bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
)
MPESA_TRANSACTION_TYPE = env("MPESA_TRANSACTION_TYPE", default="CustomerPayBillOnline")
MPESA_TILL_NUMBER = env("MPESA_TILL_NUMBER", default="")
MPESA_CALLBACK_BASE_URL = env("MPESA_CALLBACK_BASE_URL", default="http://127.0.0.1:8000")
MPESA_CONNECT_TIMEOUT = env.float("MPESA_CONNECT_TIMEOUT", default=5.0)
MPESA_READ_TIMEOUT = env.float("MPESA_READ_TIMEOUT", default=30.0)
MPESA_C2B_PATH_SECRET = env("MPESA_C2B_PATH_SECRET", default="local-c2b-path")
# Callback bodies are a few hundred bytes; anything far larger is refused unread.
MPESA_CALLBACK_MAX_BYTES = env.int("MPESA_CALLBACK_MAX_BYTES", default=16384)
# How long a prompt may stay open before the customer may ask for a new one.
MPESA_PROMPT_TIMEOUT_SECONDS = env.int("MPESA_PROMPT_TIMEOUT_SECONDS", default=90)
# Daraja refuses the same amount to the same phone within two minutes (ResultCode 17).
MPESA_RESEND_SPACING_SECONDS = env.int("MPESA_RESEND_SPACING_SECONDS", default=120)
# With no callback yet, ask Daraja (STK Push Query) after this long, then at most this often.
MPESA_QUERY_AFTER_SECONDS = env.int("MPESA_QUERY_AFTER_SECONDS", default=30)
MPESA_QUERY_INTERVAL_SECONDS = env.int("MPESA_QUERY_INTERVAL_SECONDS", default=15)
# An attempt nobody answered (and Daraja cannot tell) is closed after this long.
MPESA_ATTEMPT_EXPIRY_SECONDS = env.int("MPESA_ATTEMPT_EXPIRY_SECONDS", default=600)
# An order still unpaid this long after it was placed is cancelled and its stock released.
MPESA_ORDER_EXPIRY_MINUTES = env.int("MPESA_ORDER_EXPIRY_MINUTES", default=60)
# A guest order still unpaid this many minutes after it was placed (the prompt failed or
# was never answered) gets one "pay your order" email with its payment link; 0: never.
MPESA_PAY_REMINDER_MINUTES = env.int("MPESA_PAY_REMINDER_MINUTES", default=5)
# Offer Paybill (C2B) as the fallback on the waiting page and the order page. Turn it on
# once the shop's C2B URLs are registered (manage.py mpesa_register_c2b); `make run`
# registers them with the simulator by itself.
MPESA_C2B_ENABLED = env.bool("MPESA_C2B_ENABLED", default=MPESA_ENVIRONMENT == "simulator")
# "Test M-Pesa setup" in the dashboard: at most one test prompt per user and phone this often.
MPESA_TEST_PROMPT_SPACING_SECONDS = env.int("MPESA_TEST_PROMPT_SPACING_SECONDS", default=60)
# PIN prompts sent (not requests) per phone number, order, browser session and client address
# in each window; counted in the database. The per-phone and per-order limits protect
# strangers' phones; the per-address one only brakes a flood from one machine, and is high
# because Kenyan mobile carriers put many customers behind one shared address (README).
MPESA_PROMPT_RATE_WINDOW_SECONDS = env.int("MPESA_PROMPT_RATE_WINDOW_SECONDS", default=3600)
MPESA_PROMPTS_PER_PHONE = env.int("MPESA_PROMPTS_PER_PHONE", default=6)
MPESA_PROMPTS_PER_ORDER = env.int("MPESA_PROMPTS_PER_ORDER", default=5)
MPESA_PROMPTS_PER_SESSION = env.int("MPESA_PROMPTS_PER_SESSION", default=10)
MPESA_PROMPTS_PER_ADDRESS = env.int("MPESA_PROMPTS_PER_ADDRESS", default=300)
# Accept callbacks only from Safaricom's published addresses: on against Daraja itself,
# off for the simulator (which calls from 127.0.0.1). Behind nginx, MPESA_TRUSTED_PROXY_COUNT=1.
MPESA_CALLBACK_IP_CHECK = env.bool(
    "MPESA_CALLBACK_IP_CHECK", default=MPESA_ENVIRONMENT != "simulator"
)
MPESA_CALLBACK_ALLOWED_IPS = env.list(
    "MPESA_CALLBACK_ALLOWED_IPS",
    default=[
        "196.201.214.200",
        "196.201.214.206",
        "196.201.213.114",
        "196.201.214.207",
        "196.201.214.208",
        "196.201.213.44",
        "196.201.212.127",
        "196.201.212.138",
        "196.201.212.129",
        "196.201.212.136",
        "196.201.212.74",
        "196.201.212.69",
        "196.201.212.128",
        "196.201.212.132",
    ],
)
MPESA_TRUSTED_PROXY_COUNT = env.int("MPESA_TRUSTED_PROXY_COUNT", default=0)
# Confirm every success callback with an STK Push Query before the order is marked paid;
# if Daraja cannot confirm yet, the attempt waits for reconciliation.
MPESA_VERIFY_BEFORE_FULFIL = env.bool(
    "MPESA_VERIFY_BEFORE_FULFIL", default=MPESA_ENVIRONMENT != "simulator"
)
# How often the waiting page asks for news, in milliseconds.
MPESA_STATUS_POLL_MS = env.int("MPESA_STATUS_POLL_MS", default=3000)
# Refunds from the dashboard through Daraja's Reversal and B2C APIs (README, "Refunds").
# They need an API operator ("initiator") made in the M-Pesa organisation portal, its
# password and Safaricom's public certificate for the environment, which encrypts that
# password into the SecurityCredential (or MPESA_SECURITY_CREDENTIAL, already encrypted).
MPESA_REFUNDS_ENABLED = env.bool("MPESA_REFUNDS_ENABLED", default=MPESA_ENVIRONMENT == "simulator")
MPESA_INITIATOR_NAME = env("MPESA_INITIATOR_NAME", default="")
MPESA_INITIATOR_PASSWORD = env("MPESA_INITIATOR_PASSWORD", default="")
MPESA_SECURITY_CREDENTIAL = env("MPESA_SECURITY_CREDENTIAL", default="")
MPESA_CERTIFICATE_PATH = env("MPESA_CERTIFICATE_PATH", default="")
# The shortcode B2C refunds are paid from (a Paybill that can also pay out, or the
# organisation's B2C shortcode); the Paybill itself when empty.
MPESA_B2C_SHORTCODE = env("MPESA_B2C_SHORTCODE", default="") or MPESA_SHORTCODE
# A refund whose result has not come this long after Daraja accepted it is asked about
# (Transaction Status API) by mpesa_reconcile, then at most this often.
MPESA_REFUND_QUERY_AFTER_SECONDS = env.int("MPESA_REFUND_QUERY_AFTER_SECONDS", default=120)
MPESA_REFUND_QUERY_INTERVAL_SECONDS = env.int("MPESA_REFUND_QUERY_INTERVAL_SECONDS", default=300)
# The waiting page's link (its JSON and "Send the prompt again" too) answers 404 this many
# days after the order was paid or cancelled; the order email's status link still works.
MPESA_WAITING_LINK_DAYS = env.int("MPESA_WAITING_LINK_DAYS", default=7)

# --- Daraja simulator (MPESA_ENVIRONMENT=simulator only) ---------------------------------
# The shop serves a Daraja look-alike at Daraja's own paths; it is never installed otherwise.

if MPESA_ENVIRONMENT not in _MPESA_BASE_URLS:
    raise ImproperlyConfigured(f"MPESA_ENVIRONMENT must be one of {sorted(_MPESA_BASE_URLS)}.")
if MPESA_ENVIRONMENT == "simulator":
    INSTALLED_APPS += ["apps.daraja_simulator.apps.DarajaSimulatorConfig"]
# Seconds between an STK push to a test number and its callback.
DARAJA_SIMULATOR_CALLBACK_DELAY = env.float("DARAJA_SIMULATOR_CALLBACK_DELAY", default=3.0)
# The simulator answers this machine only (it lists callback tokens and takes made-up
# payments); true lets other machines on the network reach it (a demo on a phone).
DARAJA_SIMULATOR_ALLOW_REMOTE = env.bool("DARAJA_SIMULATOR_ALLOW_REMOTE", default=False)
# Seconds a prompt waits on the virtual phone before it ends as 1037 (no response).
DARAJA_SIMULATOR_PROMPT_TIMEOUT = env.float("DARAJA_SIMULATOR_PROMPT_TIMEOUT", default=60.0)
# The simulator's API operator for refunds (Reversal, B2C, Transaction Status), and where it
# keeps the key pair it makes on first start: the shop encrypts the operator's password with
# that certificate, as with Safaricom's. The private key never leaves this machine's var/.
DARAJA_SIMULATOR_INITIATOR_NAME = "testapi"
DARAJA_SIMULATOR_INITIATOR_PASSWORD = "Safaricom999!*!"
DARAJA_SIMULATOR_KEY_DIR = env("DARAJA_SIMULATOR_KEY_DIR", default="") or str(
    BASE_DIR / "var" / "daraja-simulator"
)
# Shillings on the shortcode's account for refunds to be paid from (0 makes them fail as
# "The balance is insufficient").
DARAJA_SIMULATOR_FLOAT = env.int("DARAJA_SIMULATOR_FLOAT", default=1_000_000)
if MPESA_ENVIRONMENT == "simulator":
    MPESA_INITIATOR_NAME = MPESA_INITIATOR_NAME or DARAJA_SIMULATOR_INITIATOR_NAME
    MPESA_INITIATOR_PASSWORD = MPESA_INITIATOR_PASSWORD or DARAJA_SIMULATOR_INITIATOR_PASSWORD
    MPESA_CERTIFICATE_PATH = MPESA_CERTIFICATE_PATH or str(
        Path(DARAJA_SIMULATOR_KEY_DIR) / "certificate.pem"
    )

# --- Demo shop ------------------------------------------------------------------------

DEMO_ADMIN_EMAIL = env("DEMO_ADMIN_EMAIL", default="admin@example.com")
# The banner printed by `make run` shows the password only while it is this local default.
DEMO_ADMIN_PASSWORD_LOCAL_DEFAULT = "admin-local-only"
DEMO_ADMIN_PASSWORD = env("DEMO_ADMIN_PASSWORD", default=DEMO_ADMIN_PASSWORD_LOCAL_DEFAULT)
# Only the local and test settings let `load_demo_shop` write its demo data and staff user.
SHOP_DEMO_ALLOWED = False

# --- Shop -------------------------------------------------------------------------------

# The Sites framework's domain: Oscar puts it in order emails and absolute links.
SHOP_DOMAIN = env("SHOP_DOMAIN", default="127.0.0.1:8000")
# Delivery is free from this basket total (KES, VAT included).
SHOP_FREE_DELIVERY_THRESHOLD = env.int("SHOP_FREE_DELIVERY_THRESHOLD", default=5000)
# The shop's one tax policy, for products and shipping alike: every price and charge is
# quoted with VAT included at this rate (Kenya's standard rate, 0.16); the part that is
# VAT is worked out from it (apps.partner.strategy, apps.shipping.methods). 0 is a shop
# not registered for VAT: no tax at all, prices as they are.
SHOP_VAT_RATE = Decimal(env.str("SHOP_VAT_RATE", default="0.16"))
if not Decimal("0") <= SHOP_VAT_RATE < Decimal("1"):
    raise ImproperlyConfigured("SHOP_VAT_RATE must be a fraction from 0 to below 1, e.g. 0.16.")

# --- Logging ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
