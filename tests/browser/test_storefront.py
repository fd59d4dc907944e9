"""A guest shops in Chromium: the basket changes without page reloads, the phone layout fits."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    add_from_grid,
    assert_not_reloaded,
    basket_badge,
    mark_page,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 360


def test_a_guest_adds_two_products_from_the_grid_without_a_reload(browser_page, shop):
    page = browser_page
    page.goto("/")
    screenshot(page, "home")
    expect(basket_badge(page)).to_have_text("0")
    mark_page(page)

    add_from_grid(page, shop.kettle, 1)
    expect(page.locator("#shop-toasts")).to_contain_text(f"{shop.kettle.title} has been added")
    add_from_grid(page, shop.sufuria, 2)
    expect(page.locator("#shop-toasts")).to_contain_text(f"{shop.sufuria.title} has been added")

    assert_not_reloaded(page)
    page.goto("/basket/")
    lines = page.locator("#basket_formset [data-line-id] h3")
    expect(lines).to_have_text([shop.kettle.title, shop.sufuria.title])


def test_a_quantity_change_updates_the_totals_in_place(browser_page, shop):
    page = browser_page
    page.goto(shop.kettle.get_absolute_url())
    screenshot(page, "product")
    page.locator("#add_to_basket_form button[type=submit]").click()
    expect(basket_badge(page)).to_have_text("1")
    page.goto("/basket/")
    line_total = page.locator("[data-line-total]").first
    basket_total = page.locator("#basket_totals th.total.text-right").first
    expect(line_total).to_contain_text("KSh\xa02,650")
    mark_page(page)

    page.get_by_role("button", name=f"One more {shop.kettle.title}").click()

    expect(line_total).to_contain_text("KSh\xa05,300")
    expect(basket_total).to_have_text("KSh\xa05,300")
    expect(basket_badge(page)).to_have_text("2")
    expect(page.get_by_label(f"Quantity of {shop.kettle.title}")).to_have_value("2")
    # The focus stays on the button the shopper pressed, for the keyboard.
    expect(page.get_by_role("button", name=f"One more {shop.kettle.title}")).to_be_focused()
    screenshot(page, "basket")

    page.get_by_role("button", name=f"One fewer {shop.kettle.title}").click()
    expect(line_total).to_contain_text("KSh\xa02,650")
    page.get_by_role("button", name=f"Remove {shop.kettle.title}").click()
    expect(page.locator("#content_inner")).to_contain_text("Your cart is empty")
    expect(basket_badge(page)).to_have_text("0")
    assert_not_reloaded(page)


def test_the_navbar_works_from_the_keyboard(browser_page, shop):
    page = browser_page
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator("a.shop-skip-link")).to_be_focused()
    page.locator("#shop-departments").focus()
    page.keyboard.press("Enter")
    menu = page.locator("[aria-labelledby=shop-departments]")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Kitchen")).to_be_visible()


def test_the_layout_has_no_horizontal_scroll_on_a_360px_phone(browser_page, shop):
    page = browser_page
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    page.goto(shop.kettle.get_absolute_url())
    page.locator("#add_to_basket_form button[type=submit]").click()
    expect(basket_badge(page)).to_have_text("1")

    for url in ["/", "/catalogue/", shop.kitchen.get_absolute_url(), "/basket/", "/checkout/"]:
        page.goto(url)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE_WIDTH, (url, scroll_width)
    # The basket stays one tap away on a phone, outside the collapsed menu.
    page.goto("/")
    expect(basket_badge(page)).to_be_visible()
    expect(page.locator("#shop-navbar-menu")).to_be_hidden()
    screenshot(page, "home-phone")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_label("Search products")).to_be_visible()


def test_the_add_to_basket_button_is_disabled_while_adding_and_then_itself_again(
    browser_page, shop
):
    """Oscar's "Adding..." stayed for good after the add, and the button stayed disabled."""
    page = browser_page
    page.goto(shop.kettle.get_absolute_url())
    button = page.locator("#add_to_basket_form button[type=submit]")
    label = button.inner_text()
    page.route("**/basket/add/**", lambda route: (page.wait_for_timeout(300), route.continue_()))

    button.click()
    expect(button).to_be_disabled()
    expect(basket_badge(page)).to_have_text("1")

    expect(button).to_be_enabled()
    expect(button).to_have_text(label)
    expect(button).not_to_have_class(re.compile(r"\bdisabled\b"))
    button.click()
    expect(basket_badge(page)).to_have_text("2")
