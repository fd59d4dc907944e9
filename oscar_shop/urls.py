import re

from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from apps.basket.status import basket_status
from apps.storefront.views import HomeView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Outside the checkout app: Daraja's server-to-server calls have no session or CSRF token.
    path("payments/", include("apps.payment.mpesa.urls")),
    # The dashboard's M-Pesa section, before Oscar's URLs (which own /dashboard/).
    path("dashboard/mpesa/", include("apps.payment.dashboard.urls")),
    # The basket's count, total and messages for the storefront's JavaScript.
    path("basket/status/", basket_status, name="shop-basket-status"),
    # Before Oscar's URLs: Oscar's own "/" only redirects to the catalogue.
    path("", HomeView.as_view(), name="home"),
    path("", include(apps.get_app_config("oscar").urls[0])),
]

# The shop's own error pages (Oscar's layout) instead of Django's bare ones.
handler403 = "oscar.views.handler403"
handler404 = "oscar.views.handler404"
handler500 = "oscar.views.handler500"

if apps.is_installed("apps.daraja_simulator"):
    # Daraja's own paths from the root of the host (MPESA_ENVIRONMENT=simulator only).
    urlpatterns = [path("", include("apps.daraja_simulator.urls"))] + urlpatterns

if settings.SHOP_BENCH_CEILING:
    from bench.views import catalogue_html_from_memory

    urlpatterns = [path("bench/ceiling/", catalogue_html_from_memory)] + urlpatterns

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
elif settings.SHOP_SERVE_MEDIA:
    # The embedded run without DEBUG (production's web server serves the media itself).
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
