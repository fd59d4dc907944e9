"""The ceiling for ``make bench``: the catalogue page's HTML served from memory.

It runs through the same gunicorn, middleware and Django request cycle as every page but
does no work of its own, so its requests per second are the most any page of this stack
can reach on the machine. Mounted only with ``SHOP_BENCH_CEILING=true``.
"""

import threading

from django.http import HttpRequest, HttpResponse
from django.test import Client

_html: bytes | None = None
_lock = threading.Lock()


def catalogue_html_from_memory(request: HttpRequest) -> HttpResponse:
    global _html
    if _html is None:
        with _lock:
            if _html is None:
                # Rendered once per worker, by the shop itself, as a shopper would get it.
                _html = Client(HTTP_HOST=request.get_host()).get("/catalogue/").content
    return HttpResponse(_html)
