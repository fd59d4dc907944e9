"""The benchmark's ceiling: the catalogue page's HTML from memory, never mounted by default."""

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from bench import views as bench_views


def test_the_ceiling_is_not_mounted_unless_the_benchmark_asks_for_it(client, db):
    assert client.get("/bench/ceiling/").status_code == 404


def test_the_ceiling_serves_the_catalogue_page_from_memory(catalogue, monkeypatch):
    monkeypatch.setattr(bench_views, "_html", None)
    catalogue.add_products(3)
    request = RequestFactory().get("/bench/ceiling/")

    first = bench_views.catalogue_html_from_memory(request)
    with CaptureQueriesContext(connection) as queries:
        again = bench_views.catalogue_html_from_memory(request)

    assert first.status_code == again.status_code == 200
    assert b"Jiko number 3" in first.content and b"<html" in first.content
    assert again.content == first.content
    assert len(queries) == 0
