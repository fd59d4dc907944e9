"""End-to-end tests in a real browser: Debian's Chromium, driven by Playwright for Python.

Chromium is started headless with a fresh profile and without the background
connections it makes at start (updates, sync, first-run pages): the machines that run
the tests have no internet. The shop is served by pytest-django's live server, which is
also the Daraja simulator the checkout pays through.
"""

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from oscar.core.loading import get_model
from oscar.test import factories
from playwright.sync_api import Page, expect, sync_playwright

from apps.demo.loader import LoadReport, ensure_kenya, product_card_png

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
Range = get_model("offer", "Range")

CHROMIUM = os.environ.get("SHOP_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

#: The Daraja simulator's test numbers (apps/daraja_simulator).
SUCCESS_PHONE = "0708374149"
CANCELLED_PHONE = "0700001032"


@dataclass
class Shop:
    kettle: Product
    sufuria: Product
    jiko: Product
    kitchen: Category


def add_product(title: str, category, price: str, colour: tuple[int, int, int]) -> Product:
    product = factories.create_product(
        title=title, product_class="Household", price=Decimal(price), num_in_stock=20
    )
    ProductCategory.objects.create(product=product, category=category)
    image = ProductImage(product=product, display_order=0)
    picture = ContentFile(product_card_png(title, colour))
    image.original.save(f"product-{product.pk}.png", picture)
    return product


@pytest.fixture
def shop(transactional_db) -> Shop:
    """A small Kenyan shop with pictures, a Featured range and Nairobi delivery."""
    ensure_kenya(LoadReport())
    ProductClass.objects.create(name="Household", requires_shipping=True, track_stock=True)
    kitchen = Category.objects.add_root({"name": "Kitchen"})
    shop = Shop(
        kettle=add_product("Electric kettle 1.7 litres", kitchen, "2650", (27, 94, 140)),
        sufuria=add_product("Aluminium sufuria set", kitchen, "3950", (190, 70, 40)),
        jiko=add_product("Energy-saving charcoal jiko", kitchen, "3200", (100, 120, 50)),
        kitchen=kitchen,
    )
    featured = Range.objects.create(name="Featured", slug="featured", is_public=True)
    for product in (shop.kettle, shop.sufuria, shop.jiko):
        featured.add_product(product)
    return shop


@pytest.fixture
def daraja(live_server, settings):
    """The live server is the shop, the Daraja simulator and the callback target at once."""
    settings.MPESA_BASE_URL = live_server.url
    settings.MPESA_CALLBACK_BASE_URL = live_server.url
    settings.MPESA_RESEND_SPACING_SECONDS = 0
    settings.MPESA_STATUS_POLL_MS = 300
    return live_server


@pytest.fixture
def browser_page(live_server, monkeypatch) -> Iterator[Page]:
    """A page in a fresh headless Chromium that fails the test on any script error.

    Playwright's sync API runs an event loop in the test's thread, so Django would refuse
    the test's own ORM calls as "async unsafe"; they are plain synchronous calls here.
    """
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profile = tempfile.mkdtemp(prefix="shop-chromium-")
    errors: list[str] = []
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 800},
                base_url=live_server.url,
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
            yield page
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert errors == []


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """Keep a picture of the page as a test artifact (test-artifacts/ is not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def mark_page(page: Page) -> None:
    """Leave a mark in the page's memory: a reload or a navigation would wipe it."""
    page.evaluate("window.__shopNoReload = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__shopNoReload === true"), "the page was reloaded"


def basket_badge(page: Page):
    return page.locator("nav.shop-navbar [data-basket-count]")


def add_from_grid(page: Page, product: Product, expected_count: int) -> None:
    page.get_by_role("button", name=f"Add {product.get_title()} to basket").click()
    expect(basket_badge(page)).to_have_text(str(expected_count))


def check_out_as_guest(page: Page, product: Product) -> None:
    """From an empty basket to the payment step: basket, guest email, Kenyan address,
    delivery method."""
    page.goto(product.get_absolute_url())
    page.locator("#add_to_basket_form button[type=submit]").click()
    expect(basket_badge(page)).to_have_text("1")
    page.goto("/checkout/")
    page.get_by_label("My email address is").fill("wanjiku@example.co.ke")
    page.locator("input[name=options][value=anonymous]").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/checkout/shipping-address/")
    page.get_by_label("First name").fill("Wanjiku")
    page.get_by_label("Last name").fill("Kamau")
    page.get_by_label("Street / building").fill("Kimathi House, Kimathi Street")
    page.get_by_label("Town").fill("Nairobi")
    page.get_by_label("County").select_option("Nairobi")
    page.get_by_label("Phone number").fill("0712 345 678")
    page.locator("#new_shipping_address button[type=submit]").click()
    page.wait_for_url("**/checkout/shipping-method/")
    page.locator(
        "form:has(input[name=method_code][value=nairobi-delivery]) button[type=submit]"
    ).click()
    page.wait_for_url("**/checkout/payment-details/")


def pay_with_mpesa(page: Page, phone: str) -> None:
    """Give the M-Pesa number, confirm on the preview and reach the waiting page."""
    page.get_by_label("M-Pesa phone number").fill(phone)
    page.locator("#mpesa_phone_form button[type=submit]").click()
    page.wait_for_url("**/checkout/preview/")
    page.locator("#place-order").click()
    # The waiting page moves on to the thank-you page by itself once M-Pesa has answered.
    page.wait_for_url(re.compile(r".*/checkout/(pay/.+|thank-you/)$"))
