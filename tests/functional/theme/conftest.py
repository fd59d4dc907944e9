import pytest

from tests.functional.storefront.conftest import (  # noqa: F401  (shared fixtures)
    catalogue,
    search_index,
)


@pytest.fixture
def with_kettle_in_basket(django_app, search_index):  # noqa: F811
    """A guest's basket holding two kettles, added through the product page's form.

    The search index is filled: category pages list their products from it.
    """
    page = django_app.get(search_index.kettle.get_absolute_url())
    form = page.forms["add_to_basket_form"]
    form["quantity"] = "2"
    form.submit().maybe_follow()
    return search_index
