"""A guest checks out with a Kenyan address, up to the payment step."""

import pytest

pytestmark = pytest.mark.django_db

PAYMENT_DETAILS = "/checkout/payment-details/"


def add_to_basket(app, product, quantity: int = 1):
    page = app.get(product.get_absolute_url())
    form = page.forms["add_to_basket_form"]
    form["quantity"] = str(quantity)
    return form.submit().maybe_follow()


def form_with_field(page, field_name: str):
    return next(form for form in page.forms.values() if field_name in form.fields)


def give_guest_email(app):
    page = app.get("/checkout/")
    form = form_with_field(page, "username")
    form["username"] = "wanjiku@example.co.ke"
    form["options"] = "anonymous"
    return form.submit()


def fill_kenyan_address(page, county: str = "Nairobi"):
    form = page.forms["new_shipping_address"]
    form["first_name"] = "Wanjiku"
    form["last_name"] = "Kamau"
    form["line1"] = "Kimathi House, Kimathi Street"
    form["line4"] = "Nairobi"
    form["state"] = county
    form["phone_number"] = "0712 345 678"
    assert form["postcode"].value == ""
    return form.submit()


def test_guest_reaches_payment_with_kenyan_address_and_chosen_delivery(django_app, catalogue):
    add_to_basket(django_app, catalogue.kettle)

    response = give_guest_email(django_app)
    assert response.status_code == 302
    assert response["Location"].endswith("/checkout/shipping-address/")

    address_page = response.follow()
    labels = address_page.html.select("label")
    assert {"Street / building", "Town", "County"} <= {
        label.text.strip().rstrip("*").strip() for label in labels
    }
    response = fill_kenyan_address(address_page)
    assert response.status_code == 302, response.text[:2000]

    methods_page = response.follow()
    assert "Nairobi delivery" in methods_page
    assert "Countrywide courier" in methods_page
    assert "Collect in store" in methods_page
    nairobi = next(
        form
        for form in methods_page.forms.values()
        if form.fields.get("method_code", [None])[0]
        and form["method_code"].value == "nairobi-delivery"
    )
    response = nairobi.submit().maybe_follow()

    assert response.request.path == PAYMENT_DETAILS
    assert response.status_code == 200
    assert response.context["shipping_method"].code == "nairobi-delivery"
    assert response.context["shipping_address"].state == "Nairobi"
    assert str(response.context["shipping_address"].phone_number) == "+254712345678"


def test_guest_outside_nairobi_is_not_offered_nairobi_delivery(django_app, catalogue):
    add_to_basket(django_app, catalogue.kettle)
    address_page = give_guest_email(django_app).follow()
    methods_page = fill_kenyan_address(address_page, county="Kisumu").follow()
    assert "Countrywide courier" in methods_page
    assert "Nairobi delivery" not in methods_page


def test_address_without_phone_is_sent_back_with_a_message(django_app, catalogue):
    add_to_basket(django_app, catalogue.kettle)
    address_page = give_guest_email(django_app).follow()
    form = address_page.forms["new_shipping_address"]
    form["first_name"] = "Wanjiku"
    form["last_name"] = "Kamau"
    form["line1"] = "Kimathi Street"
    form["line4"] = "Nairobi"
    form["state"] = "Nairobi"
    page = form.submit()
    assert page.status_code == 200
    assert "This field is required" in page.html.select_one("#new_shipping_address").text


def test_digital_only_basket_skips_address_and_shipping_method(django_app, catalogue):
    add_to_basket(django_app, catalogue.voucher)

    response = give_guest_email(django_app)
    while response.status_code == 302:
        response = response.follow()

    assert response.request.path == PAYMENT_DETAILS
    assert response.status_code == 200
    assert response.context["shipping_method"].code == "no-shipping-required"
    assert response.context["shipping_address"] is None
    # Asked directly, the address and method steps pass the shopper on.
    skipped = django_app.get("/checkout/shipping-address/")
    assert skipped.status_code == 302
    assert skipped["Location"].endswith("/checkout/shipping-method/")
    skipped = django_app.get("/checkout/shipping-method/")
    assert skipped.status_code == 302
    assert "shipping" not in skipped["Location"]


def test_mixed_basket_still_asks_for_an_address(django_app, catalogue):
    add_to_basket(django_app, catalogue.voucher)
    add_to_basket(django_app, catalogue.kettle)
    response = give_guest_email(django_app)
    assert response["Location"].endswith("/checkout/shipping-address/")
    assert "new_shipping_address" in response.follow().forms
