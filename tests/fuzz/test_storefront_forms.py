"""Property-based fuzzing of every form a shopper can post: no input yields a 5xx answer,
no input changes a money record, and no input sends the shopper off the site.

Each form gets its own fields filled, missing, odd (unicode of other scripts, NUL bytes,
numbers Python reads and databases do not, markup, 70,000 characters), repeated, in
another encoding (urlencoded, JSON) and beside unknown fields. Covered, by URL:

* ``/basket/add/<pk>/``: add to basket (quantity; real, missing and absurd product ids);
* ``/basket/``: the basket's line formset (management form, line id, quantity, delete,
  save for later); the basket never holds more kettles than are in stock;
* ``/basket/vouchers/add/`` and ``/basket/vouchers/<pk>/remove/``: the voucher code;
* ``/checkout/``: the guest email / returning customer step (a sign-in: only "no 5xx");
* ``/checkout/shipping-address/``: every address field, the phone included; an address
  accepted has a Kenyan phone;
* ``/checkout/shipping-method/``: the method code;
* ``/checkout/payment-details/`` and ``/checkout/preview/``: the M-Pesa phone form, with
  and without "place order"; an order and a prompt appear only for "place order" with a
  number the phone parser accepts;
* ``/accounts/login/`` (sign-in and registration), ``/accounts/register/``: only "no 5xx"
  and no off-site redirect (the sign-in lockout may answer 429);
* ``/password-reset/`` and its confirmation link;
* ``/catalogue/<slug>_<pk>/reviews/add/``: the product review form;
* ``/accounts/order-status-form/<number>/<hash>/``: a guest's order-status lookup;
* ``/accounts/alerts/create/<pk>/``: a guest's stock alert;
* a signed-in customer's profile, address book, password change, wishlist and review vote.

The shop has no contact form.
"""

import phonenumbers
import pytest
from django.db.models import Sum
from django.utils.http import urlencode
from hypothesis import given
from hypothesis import strategies as st
from oscar.core.loading import get_model

from apps.payment.mpesa.phone import InvalidPhoneNumber, normalise_phone
from tests.fuzz.conftest import CUSTOMER_EMAIL, CUSTOMER_PASSWORD, KENYAN_ADDRESS
from tests.fuzz.invariants import (
    assert_no_server_error,
    assert_stays_on_site,
    money_snapshot,
    rolled_back,
    same_browser,
)
from tests.fuzz.strategies import (
    encodings,
    form_data,
    fuzz,
    odd_text,
    post_form,
    quantities,
)

pytestmark = pytest.mark.django_db

Line = get_model("basket", "Line")
Order = get_model("order", "Order")
ProductReview = get_model("reviews", "ProductReview")

ids = st.one_of(st.integers(min_value=0, max_value=10**25), st.sampled_from([1, 2, 3]))
emails = st.one_of(
    st.emails().map(str),
    st.sampled_from([CUSTOMER_EMAIL, CUSTOMER_EMAIL.upper(), f" {CUSTOMER_EMAIL} "]),
    odd_text,
)
redirect_urls = st.one_of(
    st.sampled_from(["/", "/basket/", "//evil.example/", "https://evil.example/", "/\\evil"]),
    odd_text,
)


def posted(client, path, data, encoding="multipart", *, copy=True):
    """POST once (from a copy of ``client`` unless told) and check what every form must:
    no 5xx, no redirect off the site, no money moved."""
    before = money_snapshot()
    response = post_form(same_browser(client) if copy else client, path, data, encoding)
    assert_no_server_error(response)
    assert_stays_on_site(response)
    assert money_snapshot() == before
    return response


def kettles_in_baskets(catalogue) -> int:
    lines = Line.objects.filter(product=catalogue.kettle)
    return lines.aggregate(total=Sum("quantity"))["total"] or 0


# --- Basket -------------------------------------------------------------------------------


@fuzz(40)
@given(
    data=form_data({"quantity": quantities}),
    encoding=encodings,
    product=st.sampled_from(["kettle", "voucher", "unknown"]),
    unknown_id=ids,
)
def test_add_to_basket(shopper, catalogue, data, encoding, product, unknown_id):
    pk = unknown_id if product == "unknown" else getattr(catalogue, product).pk
    with rolled_back():
        posted(shopper, f"/basket/add/{pk}/", data, encoding)
        assert kettles_in_baskets(catalogue) <= 3  # what is in stock


@fuzz(40)
@given(
    data=form_data(
        {
            "form-TOTAL_FORMS": st.sampled_from(["1", "0", "2", "1000", "99999999"]),
            "form-INITIAL_FORMS": st.sampled_from(["1", "0", "2"]),
            "form-MIN_NUM_FORMS": st.just("0"),
            "form-MAX_NUM_FORMS": st.just("1000"),
            "form-0-id": st.one_of(st.just("LINE"), ids.map(str)),
            "form-0-quantity": quantities,
            "form-0-DELETE": st.sampled_from(["on", ""]),
            "form-0-save_for_later": st.sampled_from(["on", "true"]),
            "form-1-id": ids.map(str),
            "form-1-quantity": quantities,
        },
    ),
    encoding=encodings,
)
def test_basket_line_formset(shopper, catalogue, data, encoding):
    line_id = str(Line.objects.get().pk)
    data = {key: line_id if value == "LINE" else value for key, value in data.items()}
    with rolled_back():
        posted(shopper, "/basket/", data, encoding)
        assert kettles_in_baskets(catalogue) <= 3


@fuzz(30)
@given(data=form_data({"code": odd_text}), encoding=encodings, voucher_id=ids)
def test_voucher_code(shopper, data, encoding, voucher_id):
    with rolled_back():
        posted(shopper, "/basket/vouchers/add/", data, encoding)
        posted(shopper, f"/basket/vouchers/{voucher_id}/remove/", data, encoding)


# --- Checkout -----------------------------------------------------------------------------


@fuzz(40)
@given(
    data=form_data(
        {
            "username": emails,
            "options": st.sampled_from(["anonymous", "existing", "new", "", "ANONYMOUS"]),
            "password": st.sampled_from([CUSTOMER_PASSWORD, "wrong"]) | odd_text,
        }
    ),
    encoding=encodings,
)
def test_checkout_gateway_guest_email_or_sign_in(shopper, customer, data, encoding):
    with rolled_back():
        posted(shopper, "/checkout/", data, encoding)


phone_numbers = st.one_of(
    st.sampled_from(
        [
            "0712 345 678",
            "+254712345678",
            "254712345678",
            "0712\u00a0345\u00a0678",
            "\u0660\u0667\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
            "\uff10\uff17\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
            "+1 202 555 0143",
            "020 222 2222",
            "07123456789999",
        ]
    ),
    st.text(st.sampled_from("0123456789 +-()\u0660\u0661\uff10x#*"), max_size=20),
    odd_text,
)


@fuzz(50)
@given(
    data=form_data(
        {
            "first_name": odd_text,
            "last_name": odd_text,
            "line1": odd_text,
            "line2": odd_text,
            "line3": odd_text,
            "line4": odd_text,
            "state": st.sampled_from(["Nairobi", "Kisumu", "nairobi", "Atlantis"]),
            "postcode": st.sampled_from(["00100", "40100", "SW1A 1AA", "0"]),
            "country": st.sampled_from(["KE", "GB", "XX", ""]),
            "phone_number": phone_numbers,
            "notes": odd_text,
        }
    ),
    encoding=encodings,
    base=st.booleans(),
)
def test_shipping_address(guest_at_address, data, encoding, base):
    if base:
        data = {**KENYAN_ADDRESS, **data}  # mostly valid: one odd field at a time
    with rolled_back():
        browser = same_browser(guest_at_address)
        response = posted(browser, "/checkout/shipping-address/", data, encoding, copy=False)
        if response.status_code == 302 and response["Location"].endswith("/shipping-method/"):
            address = browser.session["checkout_data"]["shipping"]["new_address_fields"]
            assert phonenumbers.parse(address["phone_number"]).country_code == 254


@fuzz(30)
@given(
    data=form_data(
        {
            "method_code": st.sampled_from(
                ["nairobi-delivery", "countrywide-courier", "collect-in-store", "free-shipping"]
            )
        }
    ),
    encoding=encodings,
)
def test_shipping_method(guest_at_shipping_method, data, encoding):
    with rolled_back():
        posted(guest_at_shipping_method, "/checkout/shipping-method/", data, encoding)


def accepted_phone(value) -> bool:
    value = value[-1] if isinstance(value, list) else value
    try:
        normalise_phone(value)
    except InvalidPhoneNumber:
        return False
    return True


@fuzz(40)
@given(
    data=form_data(
        {
            "phone": phone_numbers,
            "action": st.sampled_from(["place_order", "", "preview", "PLACE_ORDER"]),
        }
    ),
    encoding=encodings,
    path=st.sampled_from(["/checkout/payment-details/", "/checkout/preview/"]),
)
def test_payment_phone_form(guest_at_payment, daraja, data, encoding, path):
    """The one form here that may place an order: "place order" with a number the phone
    parser accepts. Anything else leaves every money record as it was; placing the order
    receives no money (the order waits for payment, its source only allocated)."""
    places_order = (
        encoding != "json"
        and data.get("action") == "place_order"
        and accepted_phone(data.get("phone", ""))
    )
    with rolled_back():
        before = money_snapshot()
        response = post_form(same_browser(guest_at_payment), path, data, encoding)
        assert_no_server_error(response)
        assert_stays_on_site(response)
        after = money_snapshot()
        if not places_order:
            assert after == before
        else:
            assert len(after["orders"]) - len(before["orders"]) <= 1
            assert {status for _number, status in after["orders"]} <= {"Pending payment"}
            assert all(debited == 0 for _order, _allocated, debited, _ in after["sources"])
            assert after["transactions"] == before["transactions"]


# --- Accounts -----------------------------------------------------------------------------


@fuzz(40)
@given(
    data=form_data(
        {
            "login-username": emails,
            "login-password": st.sampled_from([CUSTOMER_PASSWORD, "wrong", ""]) | odd_text,
            "login-redirect_url": redirect_urls,
            "login_submit": st.just("Sign in"),
            "registration-email": emails,
            "registration-password1": st.sampled_from(["Mandazi-na-chai-7"]) | odd_text,
            "registration-password2": st.sampled_from(["Mandazi-na-chai-7"]) | odd_text,
            "registration-redirect_url": redirect_urls,
            "registration_submit": st.just("Register"),
        }
    ),
    encoding=encodings,
    query=st.fixed_dictionaries({}, optional={"next": redirect_urls}),
)
def test_sign_in_and_registration(customer, client, data, encoding, query):
    """Sign-ins may be refused by the lockout (429): only "no 5xx" and no off-site
    redirect; the lockout's counts are rolled back with each example."""
    path = f"/accounts/login/?{urlencode(query)}"
    with rolled_back():
        posted(client, path, data, encoding)


@fuzz(30)
@given(
    data=form_data(
        {
            "email": emails,
            "password1": st.just("Mandazi-na-chai-7") | odd_text,
            "password2": st.just("Mandazi-na-chai-7") | odd_text,
            "redirect_url": redirect_urls,
        }
    ),
    encoding=encodings,
)
def test_registration_page(customer, client, data, encoding):
    with rolled_back():
        posted(client, "/accounts/register/", data, encoding)


url_part = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"),
    min_size=1,
    max_size=40,
)


@fuzz(30)
@given(
    data=form_data({"email": emails, "new_password1": odd_text, "new_password2": odd_text}),
    encoding=encodings,
    uid=url_part,
    token=url_part,
)
def test_password_reset(customer, client, data, encoding, uid, token):
    with rolled_back():
        posted(client, "/password-reset/", data, encoding)
        confirm = f"/password-reset/confirm/{uid}/{token}/"
        assert_no_server_error(same_browser(client).get(confirm))
        posted(client, confirm, data, encoding)


@fuzz(30)
@given(
    data=form_data(
        {
            "title": odd_text,
            "score": st.sampled_from(["1", "5", "0", "6", "-1", "\u0663"]),
            "body": odd_text,
            "name": odd_text,
            "email": emails,
        }
    ),
    encoding=encodings,
)
def test_product_review(client, catalogue, data, encoding):
    product = catalogue.kettle
    with rolled_back():
        posted(client, f"{product.get_absolute_url()}reviews/add/", data, encoding)


@fuzz(30)
@given(
    data=form_data({"email": emails}),
    encoding=encodings,
    real_link=st.booleans(),
    number=st.from_regex(r"[\w-]{0,20}", fullmatch=True),
    hash_=st.from_regex(r"[A-z0-9\-_=:]{1,40}", fullmatch=True),
)
def test_guest_order_status_lookup(client, pending_order, data, encoding, real_link, number, hash_):
    if real_link:
        number, hash_ = pending_order.number, pending_order.verification_hash()
    with rolled_back():
        posted(client, f"/accounts/order-status-form/{number}/{hash_}/", data, encoding)
        assert_no_server_error(
            same_browser(client).get(f"/accounts/order-status/{number}/{hash_}/")
        )


@fuzz(25)
@given(data=form_data({"email": emails}), encoding=encodings, product_id=ids)
def test_stock_alert(client, catalogue, data, encoding, product_id):
    with rolled_back():
        posted(client, f"/accounts/alerts/create/{catalogue.kettle.pk}/", data, encoding)
        posted(client, f"/accounts/alerts/create/{product_id}/", data, encoding)


# --- A signed-in customer -----------------------------------------------------------------


@fuzz(30)
@given(
    data=form_data(
        {
            "first_name": odd_text,
            "last_name": odd_text,
            "email": emails,
            "old_password": st.just(CUSTOMER_PASSWORD) | odd_text,
            "new_password1": odd_text,
            "new_password2": odd_text,
            "name": odd_text,
            "password": st.just(CUSTOMER_PASSWORD) | odd_text,
        }
    ),
    encoding=encodings,
    page=st.sampled_from(
        [
            "/accounts/profile/edit/",
            "/accounts/change-password/",
            "/accounts/wishlists/create/",
            "/accounts/wishlists/create/with-product/PRODUCT/",
            "/accounts/wishlists/add/PRODUCT/",
            "/accounts/profile/delete/",
        ]
    ),
)
def test_customer_account_forms(signed_in, catalogue, data, encoding, page):
    with rolled_back():
        posted(signed_in, page.replace("PRODUCT", str(catalogue.kettle.pk)), data, encoding)


@fuzz(30)
@given(
    data=form_data(
        {
            "first_name": odd_text,
            "last_name": odd_text,
            "line1": odd_text,
            "line4": odd_text,
            "state": st.sampled_from(["Nairobi", "Mombasa", "Atlantis"]),
            "postcode": st.sampled_from(["00100", "SW1A 1AA"]),
            "country": st.sampled_from(["KE", "GB", "XX"]),
            "phone_number": phone_numbers,
            "notes": odd_text,
        }
    ),
    encoding=encodings,
)
def test_customer_address_book(signed_in, catalogue, data, encoding):
    with rolled_back():
        posted(signed_in, "/accounts/addresses/add/", data, encoding)


@pytest.fixture
def review(catalogue):
    return ProductReview.objects.create(
        product=catalogue.kettle, title="Boils fast", score=5, body="Good", name="Juma"
    )


@fuzz(25)
@given(
    data=form_data({"delta": st.sampled_from(["1", "-1", "0", "2"])}),
    encoding=encodings,
    review_id=ids,
)
def test_review_vote(signed_in, review, data, encoding, review_id):
    product = review.product
    pk = review.pk if review_id == 1 else review_id
    with rolled_back():
        posted(signed_in, f"{product.get_absolute_url()}reviews/{pk}/vote/", data, encoding)
