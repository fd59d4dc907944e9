"""The basket as the storefront's JavaScript and its no-JavaScript forms use it."""

import json

import pytest

pytestmark = pytest.mark.django_db

STATUS_URL = "/basket/status/"


def basket_badge(page) -> str:
    return page.html.select_one("[data-basket-count]").text.strip()


def add_like_basket_js(app, page, product_pk: int):
    """What basket.js sends: the card's own form, plus where Oscar should send the shopper."""
    form = next(f for f in page.forms.values() if f.action == f"/basket/add/{product_pk}/")
    fields = dict(form.submit_fields())
    fields["next"] = STATUS_URL
    return app.post(form.action, fields, headers={"Referer": "http://testserver" + STATUS_URL})


def test_the_navbar_badge_counts_the_items_in_the_basket(django_app, catalogue):
    assert basket_badge(django_app.get("/")) == "0"

    page = django_app.get(catalogue.kettle.get_absolute_url())
    form = page.forms["add_to_basket_form"]
    form["quantity"] = "2"
    form.submit()
    django_app.get("/catalogue/").forms  # noqa: B018  (a page in between changes nothing)
    page = django_app.get(catalogue.sufuria.get_absolute_url())
    page.forms["add_to_basket_form"].submit()

    assert basket_badge(django_app.get("/")) == "3"


def test_adding_from_a_card_answers_with_the_basket_status_and_its_message(
    django_app, search_index
):
    catalogue = search_index
    listing = django_app.get("/catalogue/")

    response = add_like_basket_js(django_app, listing, catalogue.kettle.pk).follow()

    status = response.json
    assert status["num_items"] == 1
    assert status["total"] == "KSh\xa02,650"
    added = status["messages"][0]
    assert added["level"] == "success"
    assert "<strong>Electric kettle 1.7 litres</strong> has been added" in added["html"]
    # Read once: the next page does not show the same message again.
    assert django_app.get(STATUS_URL).json["messages"] == []


def test_a_refused_addition_also_answers_with_the_status_and_the_reason(django_app, search_index):
    catalogue = search_index
    listing = django_app.get("/catalogue/")
    for _ in range(3):
        add_like_basket_js(django_app, listing, catalogue.kettle.pk).follow()

    status = add_like_basket_js(django_app, listing, catalogue.kettle.pk).follow().json

    assert status["num_items"] == 3
    assert status["messages"][0]["level"] == "error"
    assert "Only 3 of Electric kettle 1.7 litres can be bought" in status["messages"][0]["html"]


def test_an_empty_basket_has_a_status_that_is_never_cached(django_app, db):
    response = django_app.get(STATUS_URL)

    assert "no-cache" in response.headers["Cache-Control"]
    assert json.loads(response.text) == {"num_items": 0, "total": "KSh\xa00", "messages": []}


def test_the_status_escapes_messages_oscar_did_not_mark_safe(rf, db):
    from django.contrib.messages import error
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from oscar.apps.partner.strategy import Default
    from oscar.core.loading import get_model

    from apps.basket.status import basket_status

    request = rf.get(STATUS_URL)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.basket = get_model("basket", "Basket")()
    request.basket.strategy = Default()
    error(request, "<b>bold</b>")

    messages = json.loads(basket_status(request).content)["messages"]

    assert messages == [{"level": "error", "html": "&lt;b&gt;bold&lt;/b&gt;"}]


def test_changing_a_quantity_in_the_background_returns_the_new_lines_and_totals(
    django_app, with_kettle_in_basket
):
    page = django_app.get("/basket/")
    form = page.forms["basket_formset"]
    form["form-0-quantity"] = "3"

    response = django_app.post(
        "/basket/",
        dict(form.submit_fields()),
        headers={"X-Requested-With": "XMLHttpRequest"},
    )

    content = response.json["content_html"]
    assert 'data-basket-count-value="3"' in content
    assert "KSh\xa07,950" in content  # the line's and the basket's new total
    assert with_kettle_in_basket.kettle.title in content


def test_remove_works_without_javascript(django_app, with_kettle_in_basket):
    page = django_app.get("/basket/")
    form = page.forms["basket_formset"]

    page = form.submit("form-0-DELETE").maybe_follow()

    assert page.context["basket"].is_empty
    assert "Your cart is empty" in page.html.select_one("#content_inner").text
    assert basket_badge(page) == "0"


def test_the_steppers_wait_for_javascript_and_update_stays_for_everyone(
    django_app, with_kettle_in_basket
):
    form = django_app.get("/basket/").html.select_one("#basket_formset")

    steppers = form.select("[data-shop-step]")
    assert [button["data-shop-step"] for button in steppers] == ["-1", "1"]
    assert all(button.has_attr("hidden") and button["type"] == "button" for button in steppers)
    # Enter in a quantity field sends the form with its first submit button: a plain update.
    first_submit = form.select("button[type=submit]")[0]
    assert first_submit.get("name") is None


def test_the_product_page_lets_the_shopper_choose_a_quantity(django_app, catalogue):
    page = django_app.get(catalogue.sufuria.get_absolute_url())

    quantity = page.html.select_one("#add_to_basket_form input[name=quantity]")
    assert quantity["type"] == "number"
    assert page.html.select_one("label[for=id_quantity]").text.strip().startswith("Quantity")
    form = page.forms["add_to_basket_form"]
    form["quantity"] = "3"
    form.submit()
    assert basket_badge(django_app.get("/")) == "3"
