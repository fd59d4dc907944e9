"""Oscar's checkout session data, read back only as the types the checkout writes.

The session keeps each checkout step's answers (Oscar's ``CheckoutSessionData``) and the
order just placed (``checkout_order_id``). A session written by an earlier release, or by
hand, can hold anything there; Oscar put it into queries and model constructors, where a
value of another type failed as a 500. Here such a value reads as not given: the step
asks again, and the thank-you and waiting pages treat the order as not this browser's.
"""

from collections.abc import Callable, Mapping

from django.contrib.sessions.backends.base import SessionBase
from oscar.apps.checkout import utils as oscar_utils
from oscar.core.loading import get_model

from apps.common.row_ids import is_row_id

ShippingAddress = get_model("order", "ShippingAddress")
BillingAddress = get_model("order", "BillingAddress")

CHECKOUT_ORDER_ID = "checkout_order_id"


def checkout_order_id(session: SessionBase) -> int | None:
    """The id of the order this browser placed last, if the session holds one."""
    value = session.get(CHECKOUT_ORDER_ID)
    return value if is_row_id(value) else None


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_order_number(value: object) -> bool:
    return isinstance(value, str) or is_row_id(value)


def _address_fields_check(model) -> Callable[[object], bool]:
    """Fields of ``model`` as the address steps keep them: its columns, with text or
    nothing in them (the id, unsaved, is nothing)."""
    columns = frozenset(field.attname for field in model._meta.concrete_fields)

    def check(value: object) -> bool:
        return isinstance(value, Mapping) and all(
            key in columns and (item is None or isinstance(item, str))
            for key, item in value.items()
        )

    return check


class CheckoutSessionData(oscar_utils.CheckoutSessionData):
    #: What each value the checkout keeps must be; any other reads as not given.
    VALUE_CHECKS: dict[tuple[str, str], Callable[[object], bool]] = {
        ("guest", "email"): _is_text,
        ("shipping", "new_address_fields"): _address_fields_check(ShippingAddress),
        ("shipping", "user_address_id"): is_row_id,
        ("shipping", "method_code"): _is_text,
        ("billing", "new_address_fields"): _address_fields_check(BillingAddress),
        ("billing", "user_address_id"): is_row_id,
        ("billing", "billing_address_same_as_shipping"): lambda value: type(value) is bool,
        ("payment", "method"): _is_text,
        ("submission", "order_number"): _is_order_number,
        ("submission", "basket_id"): is_row_id,
    }

    def __init__(self, request) -> None:
        if not isinstance(request.session.get(self.SESSION_KEY, {}), dict):
            request.session[self.SESSION_KEY] = {}
        super().__init__(request)

    def _check_namespace(self, namespace: str) -> None:
        if not isinstance(self.request.session[self.SESSION_KEY].get(namespace, {}), dict):
            self._flush_namespace(namespace)
        super()._check_namespace(namespace)

    def _get(self, namespace: str, key: str, default=None):
        value = super()._get(namespace, key, default)
        check = self.VALUE_CHECKS.get((namespace, key))
        if value is default or check is None or check(value):
            return value
        return default
