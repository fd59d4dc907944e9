import pytest
from django.db import transaction

from apps.demo import loader


@pytest.fixture(scope="module")
def demo_catalogue(django_db_setup, django_db_blocker):
    """The demo shop that ``make run`` shows (apps/demo/data.py), loaded once per module
    inside a transaction that is rolled back after the module's last test; each test runs
    in a savepoint of it, as usual. The products' generated pictures are left out: search
    does not read them and they are most of the loading time. Search reads the catalogue
    tables: there is no index to fill."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(loader, "ensure_image", lambda product, colour, report: None)
                loader.load_demo_shop()
            yield
            transaction.set_rollback(True)
