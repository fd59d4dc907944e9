"""axe-core in Chromium finds no WCAG 2.1 A/AA violation on the shopper's pages (at a
laptop's 1366 px and a phone's 360 px) and on the staff's M-Pesa pages; what axe-core no
longer checks (unique ids, one main heading) is checked beside it. On a phone, search is in
sight, the filters come before the products and every control is at least 44 x 44 px."""

import pytest
from django.contrib.auth.models import Group
from oscar.apps.search.views.base import BaseSearchView
from oscar.core.loading import get_model
from playwright.sync_api import Page, expect

from apps.payment.models import MpesaPaymentAttempt
from tests.browser.axe import accessibility_report, assert_accessible
from tests.browser.conftest import basket_badge, check_out_as_guest, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

User = get_model("auth", "User")

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 360, "height": 740}

#: Ids used more than once, and the number of h1 headings, in the page as it is now.
PAGE_OUTLINE = """() => {
    const seen = {};
    document.querySelectorAll("[id]").forEach((el) => { seen[el.id] = (seen[el.id] || 0) + 1; });
    return {
        duplicateIds: Object.keys(seen).filter((id) => seen[id] > 1),
        mainHeadings: document.querySelectorAll("h1").length,
    };
}"""

#: What each address and contact field tells the browser's autofill.
AUTOCOMPLETE = {
    "first_name": "given-name",
    "last_name": "family-name",
    "line1": "address-line1",
    "line2": "address-line2",
    "line4": "address-level2",
    "state": "address-level1",
    "postcode": "postal-code",
    "phone_number": "tel",
}


class Audit:
    """axe-core's findings over a walk through several pages, reported together at the end
    (one failing page does not hide the next)."""

    def __init__(self, page: Page):
        self.page = page
        self.reports: list[str] = []
        self.pages = 0

    def check(self, name: str, sizes=(DESKTOP, PHONE)) -> None:
        outline = self.page.evaluate(PAGE_OUTLINE)
        if outline["duplicateIds"] or outline["mainHeadings"] != 1:
            self.reports.append(f"{name} ({self.page.url}): {outline}")
        for size in sizes:
            self.page.set_viewport_size(size)
            self.pages += 1
            report = accessibility_report(self.page, f"{name} at {size['width']} px")
            if report:
                self.reports.append(report)

    def assert_clean(self) -> None:
        assert not self.reports, "\n\n".join(self.reports)


def test_the_storefront_every_checkout_step_and_the_staff_mpesa_pages_pass_axe(
    browser_page, shop, daraja
):
    """The shopper's pages at 1366 and 360 px, then the order placed and the staff's M-Pesa
    list and that payment's page (a desktop tool) as staff."""
    page = browser_page
    audit = Audit(page)
    for name, url in [
        ("home", "/"),
        ("catalogue", "/catalogue/"),
        ("category", shop.kitchen.get_absolute_url()),
        ("product", shop.kettle.get_absolute_url()),
        ("search results", "/search/?q=kettle"),
        ("search without results", "/search/?q=xylophone"),
        ("login", "/accounts/login/"),
        ("registration", "/accounts/register/"),
    ]:
        page.goto(url)
        audit.check(name)

    page.goto(shop.kettle.get_absolute_url())
    page.locator("#add_to_basket_form button[type=submit]").click()
    expect(basket_badge(page)).to_have_text("1")
    page.goto("/basket/")
    expect(page.locator("#basket_formset [data-line-id]")).to_have_count(1)
    audit.check("basket with a line")
    page.goto("/checkout/")
    expect(page.get_by_label("My email address is")).to_have_attribute("autocomplete", "email")
    audit.check("checkout gateway (guest email)")

    page.context.clear_cookies()  # a fresh basket for the whole checkout
    check_out_as_guest(page, shop.kettle)
    page.goto("/checkout/shipping-address/")
    for field, purpose in AUTOCOMPLETE.items():
        expect(page.locator(f"#new_shipping_address [name={field}]")).to_have_attribute(
            "autocomplete", purpose
        )
    audit.check("shipping address")
    page.goto("/checkout/shipping-method/")
    audit.check("shipping method")
    page.goto("/checkout/payment-details/")
    audit.check("payment details")
    page.get_by_label("M-Pesa phone number").fill("0712 345 678")
    page.locator("#mpesa_phone_form button[type=submit]").click()
    page.wait_for_url("**/checkout/preview/")
    audit.check("preview")
    assert audit.pages == 2 * 14

    # The prompt waits on the virtual phone: the order and its M-Pesa attempt exist.
    page.locator("#place-order").click()
    page.wait_for_url("**/checkout/pay/**")
    attempt = MpesaPaymentAttempt.objects.get()
    page.context.clear_cookies()
    staff = User.objects.create_user(
        username="mama-mboga", email="staff@example.co.ke", password="sokoni-2024", is_staff=True
    )
    staff.groups.add(Group.objects.get(name="Payments staff"))
    page.goto("/accounts/login/")
    login = page.locator("#login_form")
    login.get_by_label("Email address").fill(staff.email)
    login.get_by_label("Password").fill("sokoni-2024")
    login.get_by_role("button", name="Log In").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/dashboard/mpesa/")
    expect(page.locator("body")).to_contain_text(attempt.order_number)
    audit.check("M-Pesa transactions", sizes=(DESKTOP,))
    page.goto(f"/dashboard/mpesa/{attempt.pk}/")
    audit.check("one M-Pesa transaction", sizes=(DESKTOP,))

    audit.assert_clean()


TOUCH_TARGET_PX = 44

#: The navigation bar's visible controls in the order Tab reaches them (document order,
#: no positive tabindex in the shop), each with where it is drawn.
NAVBAR_FOCUS_ORDER = """() => Array.from(
    document.querySelectorAll("nav.shop-navbar :is(a[href], button, input)")
).filter((el) => el.offsetParent !== null && el.tabIndex >= 0).map((el) => {
    const box = el.getBoundingClientRect();
    return {name: el.id || el.className || el.tagName, top: Math.round(box.top), left: box.left};
})"""


def assert_tab_order_follows_reading_order(page: Page) -> None:
    """Tab goes through the navbar row by row, left to right, as the eye reads it."""
    controls = page.evaluate(NAVBAR_FOCUS_ORDER)
    rows: list[int] = []
    for control in controls:  # controls within 20 px of height share a row
        if not rows or control["top"] > rows[-1] + 20:
            rows.append(control["top"])
        control["row"] = len(rows)
    reading_order = sorted(controls, key=lambda control: (control["row"], control["left"]))
    assert controls == reading_order, [control["name"] for control in controls]


#: Every control a thumb uses on the catalogue, the product page and the basket.
TOUCH_TARGETS = {
    "/catalogue/": [
        ".shop-navbar .navbar-brand",
        ".shop-navbar .navbar-toggler",
        ".shop-basket-link",
        ".shop-search input",
        ".shop-search button",
        ".shop-filters > summary",
        ".shop-add-form button",
        ".pagination .page-link",
    ],
    "product": ["#add_to_basket_form button[type=submit]"],
    "/basket/": ["[data-shop-step]", "[data-shop-remove]", ".shop-qty input"],
}


def undersized(page: Page, selector: str) -> list[str]:
    """The visible elements matching `selector` smaller than 44 x 44 px, with their size."""
    small = []
    elements = page.locator(selector)
    assert elements.count(), f"nothing matches {selector} on {page.url}"
    for index in range(elements.count()):
        box = elements.nth(index).bounding_box()
        assert box, f"{selector} #{index} is not shown on {page.url}"
        if box["width"] < TOUCH_TARGET_PX or box["height"] < TOUCH_TARGET_PX:
            small.append(f"{selector} #{index}: {box['width']:.0f}x{box['height']:.0f}")
    return small


def test_on_a_360px_phone_search_is_in_sight_filters_come_first_and_targets_are_44px(
    browser_page, shop, monkeypatch
):
    # Two products a page, so the catalogue of three has pagination to measure.
    monkeypatch.setattr(BaseSearchView, "paginate_by", 2)
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto("/catalogue/")
    screenshot(page, "catalogue-phone")
    assert_tab_order_follows_reading_order(page)

    search = page.get_by_label("Search products")
    expect(search).to_be_visible()
    assert search.bounding_box()["y"] < PHONE["height"] / 4
    expect(page.locator("#shop-navbar-menu")).to_be_hidden()
    filters = page.locator(".shop-filters")
    expect(filters).not_to_have_attribute("open", "")
    first_product = page.locator(".product_pod").first
    assert filters.bounding_box()["y"] < first_product.bounding_box()["y"]
    page.locator(".shop-filters > summary").click()
    expect(filters.get_by_role("link", name="Kitchen")).to_be_visible()

    small = []
    for selector in TOUCH_TARGETS["/catalogue/"]:
        small += undersized(page, selector)
    assert_accessible(page, "catalogue with pagination and the filters open")
    page.get_by_role("button", name="Menu").click()
    small += undersized(page, "#shop-navbar-menu .nav-link")

    page.goto(shop.kettle.get_absolute_url())
    for selector in TOUCH_TARGETS["product"]:
        small += undersized(page, selector)
    page.locator("#add_to_basket_form button[type=submit]").click()
    expect(basket_badge(page)).to_have_text("1")

    page.goto("/basket/")
    expect(page.locator("[data-shop-step]").first).to_be_visible()
    for selector in TOUCH_TARGETS["/basket/"]:
        small += undersized(page, selector)
    assert small == []

    # On a wide screen the filters are a sidebar, open, with no toggle.
    page.set_viewport_size(DESKTOP)
    page.goto("/catalogue/")
    expect(page.locator(".shop-filters")).to_have_attribute("open", "")
    expect(page.locator(".shop-filters > summary")).to_be_hidden()
    assert_tab_order_follows_reading_order(page)
    screenshot(page, "catalogue-desktop")
