import pytest
from django.db.backends.postgresql.operations import DatabaseOperations


@pytest.fixture(scope="session", autouse=True)
def _flush_postgresql_by_delete():
    """A transactional test (``transactional_db``, ``live_server``) ends by emptying every
    table. Django's PostgreSQL flush is one TRUNCATE of them all, which builds each table's
    indexes anew and syncs every new file to disk: 5 s a test on CI's disk, a third of the
    suite's time. A DELETE from each table (its foreign keys deferred to the commit) empties
    them in 50 ms. The catalogue version's table goes first, so the triggers that the
    other DELETEs fire start the version again from the clock, as after a TRUNCATE
    (apps/storefront/triggers.py); sequences are left as a TRUNCATE without RESTART
    IDENTITY leaves them, and a flush that asks to reset them truncates as before."""
    from apps.storefront.triggers import VERSION_TABLE

    truncate = DatabaseOperations.sql_flush

    def delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        ordered = sorted(tables, key=lambda table: table != VERSION_TABLE)
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))}"
            for table in ordered
        ]

    DatabaseOperations.sql_flush = delete
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (thumbnails, tokens, throttles, pages)."""
    from django.core.cache import cache

    from apps.storefront.page_cache import local_pages

    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


@pytest.fixture
def page_cache_off(settings):
    """Pages rendered on every request, as for a signed-in shopper: for tests that measure
    the rendering itself (query budgets, cached fragments) rather than the page cache."""
    settings.SHOP_PAGE_CACHE_SECONDS = 0
