"""What a signed-in shopper's pages show: their notifications, the dashboard link, their
basket count, wish lists, stock alerts, reviews and recently viewed products.

These pages are rendered for the shopper on every view (no page cache) and read each of
these in as few queries as they can (tests/performance/test_signed_in_budgets.py); here,
that each still shows the right thing, and that a change shows on the next page.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from tests.functional.storefront.conftest import add_product

pytestmark = pytest.mark.django_db

Basket = get_model("basket", "Basket")
Notification = get_model("communication", "Notification")
ProductAlert = get_model("customer", "ProductAlert")
ProductReview = get_model("reviews", "ProductReview")
Selector = get_class("partner.strategy", "Selector")
Vote = get_model("reviews", "Vote")
WishList = get_model("wishlists", "WishList")
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


def wishlist_menu_items(page) -> list[str]:
    return [" ".join(a.text.split()) for a in page.html.select(".btn-wishlist .dropdown-item")]


def wishlists_holding_the_product(page) -> list[str]:
    return [" ".join(span.text.split()) for span in page.html.select("form span.float-left")]


def test_the_wishlist_menu_adds_to_lists_without_the_product_and_removes_from_the_others(
    django_app, shop, wanjiru
):
    birthday = WishList.objects.create(owner=wanjiru, name="Birthday")
    kitchen = WishList.objects.create(owner=wanjiru, name="New kitchen")
    birthday.add(shop.kettle)
    kitchen.add(shop.sufuria)
    WishList.objects.create(owner=make_user("otieno"), name="Otieno's list").add(shop.kettle)

    page = django_app.get(shop.kettle.get_absolute_url(), user=wanjiru)
    assert wishlist_menu_items(page) == ["Add to 'New kitchen' wish list", "Create a new wishlist"]
    assert wishlists_holding_the_product(page) == ["Product is in 'Birthday' wishlist."]
    remove = reverse(
        "customer:wishlists-remove-product",
        kwargs={"key": birthday.key, "product_pk": shop.kettle.pk},
    )
    assert page.html.select_one(f'form[action="{remove}"]') is not None

    kitchen.add(shop.kettle)
    page = django_app.get(shop.kettle.get_absolute_url(), user=wanjiru)
    assert wishlist_menu_items(page) == ["Create a new wishlist"]
    assert wishlists_holding_the_product(page) == [
        "Product is in 'Birthday' wishlist.",
        "Product is in 'New kitchen' wishlist.",
    ]


def test_a_shopper_without_wishlists_gets_one_add_button(django_app, shop, wanjiru):
    page = django_app.get(shop.kettle.get_absolute_url(), user=wanjiru)
    assert "add_to_wishlist_form" in page.forms
    assert wishlist_menu_items(page) == []


def test_an_out_of_stock_product_offers_a_stock_alert_until_the_shopper_has_one(
    django_app, shop, wanjiru
):
    sold_out = add_product("Jiko la makaa", shop.kitchen, "Household", "1500", 0)
    ProductAlert.objects.create(product=sold_out, user=make_user("otieno"))
    ProductAlert.objects.create(product=sold_out, user=wanjiru, status=ProductAlert.CANCELLED)

    page = django_app.get(sold_out.get_absolute_url(), user=wanjiru)
    assert "alert_form" in page.forms
    assert "You have an active stock alert" not in page

    ProductAlert.objects.create(product=sold_out, user=wanjiru, status=ProductAlert.ACTIVE)
    page = django_app.get(sold_out.get_absolute_url(), user=wanjiru)
    assert "alert_form" not in page.forms
    assert "You have an active stock alert for this product." in page

    # In stock: the basket form, never the alert.
    page = django_app.get(shop.kettle.get_absolute_url(), user=wanjiru)
    assert "add_to_basket_form" in page.forms
    assert "alert_form" not in page.forms


def test_write_a_review_is_offered_until_the_shopper_has_written_one(django_app, shop, wanjiru):
    url = shop.kettle.get_absolute_url()
    page = django_app.get(url, user=wanjiru)
    assert page.html.select_one("#write_review") is not None
    assert "be the first to write one" in page
    assert "Write a review" in django_app.get(url + "reviews/add/", user=wanjiru)

    # Waiting for moderation, it is not shown yet, but it is written.
    ProductReview.objects.create(
        product=shop.kettle,
        user=wanjiru,
        score=4,
        title="Inachemsha haraka",
        body="Nzuri.",
        status=ProductReview.FOR_MODERATION,
    )
    page = django_app.get(url, user=wanjiru)
    assert page.html.select_one("#write_review") is None
    assert "be the first to write one" not in page
    assert "This product does not have any reviews yet" in page


def approved_review(product, user, title: str):
    return ProductReview.objects.create(
        product=product,
        user=user,
        score=5,
        title=title,
        body="Imefika salama.",
        status=ProductReview.APPROVED,
    )


def test_reviews_show_their_authors_and_votes_only_where_the_shopper_may_vote(
    django_app, shop, wanjiru
):
    otieno, akinyi = make_user("otieno", first_name="Otieno"), make_user("akinyi")
    votable = approved_review(shop.kettle, otieno, "Votable")
    voted = approved_review(shop.kettle, akinyi, "Already voted")
    Vote.objects.create(review=voted, user=wanjiru, delta=Vote.UP)
    own = approved_review(shop.kettle, wanjiru, "Her own")

    page = django_app.get(shop.kettle.get_absolute_url(), user=wanjiru)
    reviews = {r.select_one("h3 a").text: r for r in page.html.select(".review-list .review")}
    assert set(reviews) == {"Votable", "Already voted", "Her own"}
    voting = {title for title, review in reviews.items() if review.select(".vote_agree")}
    assert voting == {"Votable"}
    # The same answers as Oscar's own rule.
    for review in (votable, voted, own):
        assert review.can_user_vote(wanjiru)[0] is (review.title in voting)
    assert "Reviewed by <strong>Otieno</strong>" in str(reviews["Votable"])
    assert "Reviewed by you" in reviews["Her own"].text
    assert "1 of 1 customer found this useful" in " ".join(reviews["Already voted"].text.split())
    assert page.html.select_one("#write_review") is None


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
