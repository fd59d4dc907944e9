"""What a signed-in shopper's pages show: in the navigation bar their notifications, the
dashboard link and their basket count; on a product page, their recently viewed products.

These pages are rendered for the shopper on every view (no page cache); the navigation
bar reads all three in one query (apps/shop/navigation.py). Here, that each still shows
the right thing, and that a change shows on the next page.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from tests.functional.storefront.conftest import add_product

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")
Notification = get_model("communication", "Notification")
Selector = get_class("partner.strategy", "Selector")
User = get_user_model()

PASSWORD = "kahawa-tamu-2024"


def make_user(name: str, **fields):
    return User.objects.create_user(
        username=name, email=f"{name}@duka.example", password=PASSWORD, **fields
    )


@pytest.fixture
def shop(search_index):
    """The storefront conftest's catalogue, indexed: the listing pages read the index."""
    return search_index


@pytest.fixture
def wanjiru(db):
    return make_user("wanjiru", first_name="Wanjiru", last_name="Kamau")


def account_link(page):
    return page.html.select_one(".shop-account-links a.nav-link")


def basket_count(page) -> str:
    return page.html.select_one("[data-basket-count]").text.strip()


def dashboard_link(page):
    return page.html.select_one('.shop-account-links a[href="/dashboard/"]')


# --- The navigation bar --------------------------------------------------------------


def test_a_new_notification_shows_in_the_navigation_at_once_and_goes_when_read(
    django_app, shop, wanjiru
):
    page = django_app.get("/", user=wanjiru)
    assert account_link(page).select_one(".badge") is None
    assert account_link(page)["href"] == "/accounts/"

    note = Notification.objects.create(recipient=wanjiru, subject="Your order has shipped")
    Notification.objects.create(recipient=make_user("otieno"), subject="Not for Wanjiru")
    page = django_app.get(shop.kettle.get_absolute_url(), user=wanjiru)
    assert account_link(page).select_one(".badge").text == "1"
    assert account_link(page)["href"] == "/accounts/notifications/inbox/"

    note.date_read = timezone.now()
    note.save()
    page = django_app.get("/catalogue/", user=wanjiru)
    assert account_link(page).select_one(".badge") is None


def dashboard_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="partner", codename="dashboard_access")


def give_permission_directly(user) -> None:
    user.user_permissions.add(dashboard_permission())


def give_permission_through_a_group(user) -> None:
    group = Group.objects.create(name="Partners")
    group.permissions.add(dashboard_permission())
    user.groups.add(group)


def join_a_group_without_it(user) -> None:
    group = Group.objects.create(name="Newsletter")
    group.permissions.add(Permission.objects.get(codename="add_productreview"))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="change_productreview"))


@pytest.mark.parametrize(
    ("fields", "grant", "shown"),
    [
        ({}, None, False),
        ({}, join_a_group_without_it, False),
        ({"is_staff": True}, None, True),
        ({"is_superuser": True}, None, True),
        ({}, give_permission_directly, True),
        ({}, give_permission_through_a_group, True),
    ],
    ids=["customer", "other-permissions", "staff", "superuser", "permission", "group"],
)
def test_the_dashboard_link_shows_to_those_oscar_lets_in(django_app, shop, fields, grant, shown):
    user = make_user("mtumiaji", **fields)
    if grant:
        grant(user)
    for url in ("/", "/catalogue/", shop.kettle.get_absolute_url()):
        page = django_app.get(url, user=user)
        assert (dashboard_link(page) is not None) is shown, url
    # Oscar's own test for the link.
    user = User.objects.get(pk=user.pk)
    assert (user.is_staff or user.has_perm("partner.dashboard_access")) is shown


def test_the_basket_count_is_the_shoppers_items_and_follows_each_addition(
    django_app, shop, wanjiru
):
    page = django_app.get(shop.kettle.get_absolute_url(), user=wanjiru)
    assert basket_count(page) == "0"
    form = page.forms["add_to_basket_form"]
    form["quantity"] = 2
    form.submit(user=wanjiru)

    page = django_app.get("/", user=wanjiru)
    assert basket_count(page) == "2"
    page = django_app.get(shop.sufuria.get_absolute_url(), user=wanjiru)
    page.forms["add_to_basket_form"].submit(user=wanjiru)

    for url in ("/", "/catalogue/", shop.kitchen.get_absolute_url()):
        assert basket_count(django_app.get(url, user=wanjiru)) == "3", url
    # Another shopper's basket is their own.
    assert basket_count(django_app.get("/", user=make_user("otieno"))) == "0"


def open_basket(owner, product, quantity: int) -> None:
    basket = Basket.objects.create(owner=owner)
    basket.strategy = Selector().strategy()
    basket.add_product(product, quantity=quantity)


def test_a_basket_filled_before_signing_in_is_merged_and_counted(django_app, shop, wanjiru):
    open_basket(wanjiru, shop.sufuria, 1)

    page = django_app.get(shop.kettle.get_absolute_url())
    form = page.forms["add_to_basket_form"]
    form["quantity"] = 2
    form.submit()
    login = django_app.get("/accounts/login/").forms["login_form"]
    login["login-username"] = wanjiru.email
    login["login-password"] = PASSWORD
    login.submit("login_submit").follow()

    page = django_app.get("/catalogue/")
    assert basket_count(page) == "3"
    assert Basket.open.get(owner=wanjiru).num_items == 3


def test_two_open_baskets_are_merged_and_counted_once(django_app, shop, wanjiru):
    open_basket(wanjiru, shop.kettle, 1)
    open_basket(wanjiru, shop.sufuria, 2)

    assert basket_count(django_app.get("/", user=wanjiru)) == "3"
    assert Basket.open.filter(owner=wanjiru).count() == 1


# --- The product page ----------------------------------------------------------------


def test_the_product_page_shows_the_shoppers_recently_viewed_products_newest_first(
    django_app, shop, wanjiru
):
    products = [
        add_product(f"Kikapu {number}", shop.kitchen, "Household", "900", 5) for number in range(8)
    ]
    for product in products:
        django_app.get(product.get_absolute_url(), user=wanjiru)

    page = django_app.get(products[3].get_absolute_url(), user=wanjiru)
    section = page.text.split("Products you recently viewed", 1)[1]
    shown = [p.title for p in products if p.title in section]
    assert [title for title in sorted(shown, key=section.index)] == [
        "Kikapu 7",
        "Kikapu 6",
        "Kikapu 5",
        "Kikapu 4",
        "Kikapu 2",
        "Kikapu 1",
    ]
