"""50 shoppers checking out and paying with M-Pesa through the Daraja simulator.

Each simulated shopper, as a browser without JavaScript would: opens a product, adds it
to the basket, checks out as a guest with a Kenyan address, picks delivery, gives an
M-Pesa number, places the order and follows the waiting page's status until the payment
settles, then starts again as a new shopper (new cookies). Numbers are the simulator's
test numbers: most pay, some cancel on the phone, some pay with a duplicated callback.

Run by ``make load`` (load/run.py), which checks the records afterwards. Every response
with a 5xx status is counted and printed at the end.
"""

import random
import re
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

from locust import HttpUser, between, events, task

# The same form filling as the test suite's HTTP shopper (locust is run from the repository).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.functional.checkout.http_shopper import KENYAN_ADDRESS, form_data  # noqa: E402

#: (phone, what the simulator does, weight)
PHONES = [
    ("0708374149", "paid", 8),
    ("0700001032", "cancelled", 1),
    ("0700000202", "paid, callback twice", 1),
]
STATUS_POLLS = 30
SETTLED = ("paid", "failed", "review", "cancelled")
PRODUCT_LINK = re.compile(r'href="(/catalogue/[a-z0-9-]+_\d+/)"')
server_errors: list[str] = []


@events.request.add_listener
def count_server_errors(request_type, name, response, exception, **kwargs):
    if response is not None and response.status_code >= 500:
        server_errors.append(f"{request_type} {name} {response.status_code}")


@events.quitting.add_listener
def print_server_errors(environment, **kwargs):
    print(f"LOAD_5XX {len(server_errors)}")
    for line in server_errors[:20]:
        print(f"  {line}")
    if server_errors:
        environment.process_exit_code = 1


class Shopper(HttpUser):
    wait_time = between(1, 3)
    product_paths: list[str] = []

    def on_start(self) -> None:
        if not Shopper.product_paths:
            page = self.client.get("/catalogue/", name="catalogue").text
            Shopper.product_paths = sorted(set(PRODUCT_LINK.findall(page)))

    def submit(self, path: str, selector: str, fields: dict, name: str):
        page = self.client.get(path, name=name)
        action, data = form_data(page.text, selector, fields)
        if action is None:
            return None
        return self.client.post(urljoin(page.url, action or page.url), data=data, name=name)

    @task
    def check_out_and_pay(self) -> None:
        self.client.cookies.clear()  # a new shopper each time
        product = random.choice(Shopper.product_paths)
        added = self.submit(product, "form#add_to_basket_form", {"quantity": "1"}, "product")
        if added is None:  # out of stock, or a product with options
            return
        self.submit(
            "/checkout/",
            "form:has(input[name=username])",
            {"username": f"load{random.randrange(10**9)}@example.co.ke", "options": "anonymous"},
            "checkout: guest email",
        )
        self.submit(
            "/checkout/shipping-address/",
            "form#new_shipping_address",
            KENYAN_ADDRESS,
            "checkout: address",
        )
        self.submit(
            "/checkout/shipping-method/",
            "form:has(input[name=method_code])",
            {},
            "checkout: delivery",
        )
        phone = random.choices([p for p, _, _ in PHONES], [w for _, _, w in PHONES])[0]
        preview = self.submit(
            "/checkout/payment-details/",
            "form#mpesa_phone_form",
            {"phone": phone},
            "checkout: phone",
        )
        if preview is None:
            return
        action, data = form_data(preview.text, "form#place_order_form", {})
        if action is None:
            return
        placed = self.client.post(
            urljoin(preview.url, action), data=data, name="place order", allow_redirects=False
        )
        waiting = placed.headers.get("Location", "")
        if "/checkout/pay/" not in waiting:
            return
        for _ in range(STATUS_POLLS):
            time.sleep(1)
            status = self.client.get(urljoin(waiting, "status/"), name="status check")
            if status.ok and status.json().get("state") in SETTLED:
                break
