"""A shopper that drives the real shop over HTTP, form by form, as a browser without
JavaScript would: for tests against separately started server processes."""

from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

#: The delivery address both the test shopper and the load script give at checkout.
KENYAN_ADDRESS = {
    "first_name": "Achieng",
    "last_name": "Odhiambo",
    "line1": "Moi Avenue",
    "line4": "Nairobi",
    "state": "Nairobi",
    "phone_number": "0712345678",
}


def form_data(page: str, selector: str, fields: dict) -> tuple[str | None, dict]:
    """The action and the values a browser would send for the form ``selector`` on
    ``page``, with ``fields`` filled in; ``(None, {})`` when there is no such form.

    Also used by the load script (load/locustfile.py).
    """
    form = BeautifulSoup(page, "html.parser").select_one(selector)
    if form is None:
        return None, {}
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        kind = field.get("type", "")
        if kind in ("submit", "button") or (
            kind in ("checkbox", "radio") and not field.has_attr("checked")
        ):
            continue
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            data[field["name"]] = chosen.get("value", "") if chosen else ""
        else:
            data[field["name"]] = field.get("value", field.text or "")
    data.update(fields)
    return form.get("action") or "", data


class HttpShopper:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def get(self, path: str) -> BeautifulSoup:
        response = self.session.get(urljoin(self.base_url, path), timeout=30)
        response.raise_for_status()
        return BeautifulSoup(response.text, "html.parser")

    def submit(self, page_path: str, selector: str, fields: dict, follow: bool = True):
        """Fill the form matched by ``selector`` on ``page_path`` and post it."""
        response = self.session.get(urljoin(self.base_url, page_path), timeout=30)
        response.raise_for_status()
        action, data = form_data(response.text, selector, fields)
        assert action is not None, f"no form {selector!r} on {page_path}"
        target = urljoin(response.url, action or response.url)
        return self.session.post(target, data=data, timeout=60, allow_redirects=follow)

    def check_out_as_guest(self, product_path: str, phone: str) -> str:
        """Basket → guest email → Kenyan address → delivery → M-Pesa number → place order.

        Returns the waiting page's path.
        """
        self.submit(product_path, "form#add_to_basket_form", {"quantity": "1"})
        self.submit(
            "/checkout/",
            "form:has(input[name=username])",
            {"username": "guest@example.co.ke", "options": "anonymous"},
        )
        self.submit(
            "/checkout/shipping-address/",
            "form#new_shipping_address",
            KENYAN_ADDRESS,
        )
        self.submit("/checkout/shipping-method/", "form:has(input[name=method_code])", {})
        placed = self.submit(
            "/checkout/payment-details/", "form#mpesa_phone_form", {"phone": phone}
        )
        action, data = form_data(placed.text, "form#place_order_form", {})
        assert action is not None, placed.text[:2000]
        response = self.session.post(
            urljoin(placed.url, action), data=data, timeout=60, allow_redirects=False
        )
        assert response.status_code == 302, response.text[:2000]
        return response.headers["Location"]
