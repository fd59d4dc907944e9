"""Bad quantities never change the basket and always tell the shopper why."""

import pytest

pytestmark = pytest.mark.django_db


def basket_lines(app) -> dict[str, int]:
    page = app.get("/basket/")
    return {line.product.title: line.quantity for line in page.context["basket"].all_lines()}


def submit_add_to_basket(app, product, quantity: str):
    page = app.get(product.get_absolute_url())
    form = page.forms["add_to_basket_form"]
    form["quantity"] = quantity
    return form.submit().maybe_follow()


def page_messages(page) -> str:
    return " ".join(alert.text.strip() for alert in page.html.select(".alert"))


def test_adding_a_good_quantity_works(django_app, catalogue):
    page = submit_add_to_basket(django_app, catalogue.kettle, "2")
    assert "added to your cart" in page_messages(page)
    assert basket_lines(django_app) == {"Electric kettle 1.7 litres": 2}


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "greater than or equal to 1"),
        ("-2", "greater than or equal to 1"),
        ("two", "Enter a whole number"),
        ("", "This field is required"),
        ("4", "Only 3 of Electric kettle 1.7 litres can be bought"),
    ],
)
def test_bad_add_to_basket_quantity_is_refused_with_a_message(
    django_app, catalogue, quantity, message
):
    submit_add_to_basket(django_app, catalogue.kettle, "1")

    page = submit_add_to_basket(django_app, catalogue.kettle, quantity)

    assert message in page_messages(page)
    assert basket_lines(django_app) == {"Electric kettle 1.7 litres": 1}


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("-1", "greater than or equal to 0"),
        ("lots", "Enter a whole number"),
        ("9", "Only 3 of Electric kettle 1.7 litres can be bought"),
    ],
)
def test_bad_quantity_on_the_basket_page_leaves_the_basket_unchanged(
    django_app, catalogue, quantity, message
):
    submit_add_to_basket(django_app, catalogue.kettle, "2")
    page = django_app.get("/basket/")
    form = page.forms["basket_formset"]
    form["form-0-quantity"] = quantity

    page = form.submit().maybe_follow()

    assert message in page.text
    assert basket_lines(django_app) == {"Electric kettle 1.7 litres": 2}


def test_zero_on_the_basket_page_removes_the_line(django_app, catalogue):
    submit_add_to_basket(django_app, catalogue.kettle, "2")
    page = django_app.get("/basket/")
    form = page.forms["basket_formset"]
    form["form-0-quantity"] = "0"
    form.submit().maybe_follow()
    assert basket_lines(django_app) == {}


def test_a_basket_form_without_all_its_management_fields_answers(client, catalogue):
    """Oscar drops a line form that names no line, and then copied MIN_NUM_FORMS and
    MAX_NUM_FORMS from the request as found: a form without them answered 500."""
    client.post(f"/basket/add/{catalogue.kettle.pk}/", {"quantity": "2"})

    response = client.post("/basket/", {"form-TOTAL_FORMS": "1", "form-0-quantity": "1"})

    assert response.status_code in (200, 302)
    assert basket_lines(client) == {"Electric kettle 1.7 litres": 2}
