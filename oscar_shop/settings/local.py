"""The embedded run (`make run`): SQLite, local memory cache, the Daraja simulator."""

from .base import *  # noqa: F403
from .base import env

# The shop's own 404 and 500 pages, as shoppers see them (DJANGO_DEBUG=1 shows Django's
# debug pages, which list every URL pattern and setting).
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Without DEBUG, runserver serves the static files only with --insecure (`make run` passes
# it); the uploaded media (product images) are served by the shop's own URL for them.
SHOP_SERVE_MEDIA = True
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or "local-only-insecure-secret-key-change-me"
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
MPESA_CONSUMER_KEY = MPESA_CONSUMER_KEY or "simulator-consumer-key"  # noqa: F405
MPESA_CONSUMER_SECRET = MPESA_CONSUMER_SECRET or "simulator-consumer-secret"  # noqa: F405
SHOP_DEMO_ALLOWED = True
# The measuring tools (generate_scale_data, page_weight); production does not install them.
INSTALLED_APPS += ["bench.apps.BenchConfig"]  # noqa: F405
