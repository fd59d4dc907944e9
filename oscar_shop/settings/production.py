"""Production: every secret comes from the environment, and the shop refuses to start without it."""

from django.core.exceptions import ImproperlyConfigured

from apps.payment.mpesa.rules import forbidden_callback_words

from .base import *  # noqa: F403
from .base import env


def _required(name: str) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production.")
    return value


DEBUG = False
if env.bool("DJANGO_DEBUG", default=False):
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on in production.")
SECRET_KEY = _required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production.")

# The demo shop (with its staff user of known password) never reaches a real shop.
SHOP_DEMO_ALLOWED = False

OSCAR_URL_SCHEMA = "https"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

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
