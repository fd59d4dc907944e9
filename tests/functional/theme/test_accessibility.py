"""Every page a shopper uses has alt text on its images and a label on every field."""

import pytest

from tests.functional.storefront.test_guest_checkout import fill_kenyan_address, give_guest_email

pytestmark = pytest.mark.django_db

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def storefront_pages(app, catalogue) -> dict:
    return {
        "home": app.get("/"),
        "catalogue": app.get("/catalogue/"),
        "category": app.get(catalogue.kitchen.get_absolute_url()),
        "product": app.get(catalogue.kettle.get_absolute_url()),
        "basket": app.get("/basket/"),
    }


def unlabelled_fields(page) -> list[str]:
    """Form controls a screen reader could not name: no <label for>, no wrapping label, no aria."""
    html = page.html
    label_targets = {label.get("for") for label in html.select("label[for]")}
    missing = []
    for field in html.select("input, select, textarea"):
        if field.get("type", "text") in UNLABELLED_TYPES:
            continue
        named = (
            field.get("id") in label_targets
            or field.get("aria-label")
            or field.get("aria-labelledby")
            or field.find_parent("label") is not None
        )
        if not named:
            missing.append(str(field)[:120])
    return missing


def test_every_image_on_the_storefront_has_alt_text(django_app, with_kettle_in_basket):
    pages = storefront_pages(django_app, with_kettle_in_basket)

    for name, page in pages.items():
        images = page.html.select("main img")
        assert images or name == "basket", name
        for image in images:
            assert image.get("alt", "").strip(), (name, str(image))
    assert pages["basket"].html.select_one("#basket_formset img")["alt"] == (
        "Electric kettle 1.7 litres"
    )


def test_every_form_field_on_the_storefront_has_a_label(django_app, with_kettle_in_basket):
    for name, page in storefront_pages(django_app, with_kettle_in_basket).items():
        assert unlabelled_fields(page) == [], name


def test_every_checkout_field_has_a_label(django_app, with_kettle_in_basket):
    gateway = django_app.get("/checkout/")
    address_page = give_guest_email(django_app).follow()
    methods_page = fill_kenyan_address(address_page).follow()
    method = next(form for form in methods_page.forms.values() if "method_code" in form.fields)
    payment_page = method.submit().maybe_follow()

    for name, page in {
        "gateway": gateway,
        "address": address_page,
        "delivery": methods_page,
        "payment": payment_page,
    }.items():
        assert unlabelled_fields(page) == [], name
    assert payment_page.html.select_one("label[for=id_phone]") is not None


def test_the_navbar_and_basket_controls_are_real_links_and_buttons(
    django_app, with_kettle_in_basket
):
    """Links and buttons take the keyboard focus and answer Enter; divs and spans do not."""
    home = django_app.get("/")
    nav = home.html.select_one("nav.shop-navbar")
    toggler = nav.select_one(".navbar-toggler")
    assert toggler.name == "button" and toggler["aria-controls"] == "shop-navbar-menu"
    departments = nav.select_one("#shop-departments")
    assert departments.name == "a" and departments["href"] == "/catalogue/"
    basket_link = nav.select_one(".shop-basket-link")
    assert basket_link.name == "a" and basket_link["href"] == "/basket/"
    assert nav.select_one("label[for=id_q]").text.strip()
    assert home.html.select_one("a.shop-skip-link")["href"] == "#main"
    assert home.html.select_one("main#main") is not None

    basket = django_app.get("/basket/").html
    for control in basket.select("[data-shop-step], [data-shop-remove]"):
        assert control.name == "button", str(control)
        assert control["aria-label"].strip()
    assert not basket.select("#basket_formset [onclick], #basket_formset a[href='#']")


def test_a_missing_page_keeps_the_shop_navigation(django_app, catalogue):
    page = django_app.get("/no-such-page/", status=404)

    assert page.html.select_one("nav.shop-navbar #id_q") is not None
    assert page.html.select_one("main h1").text.strip()
    assert not page.html.select("main [onclick]")
    assert page.html.select_one("main a[href='/catalogue/']") is not None
