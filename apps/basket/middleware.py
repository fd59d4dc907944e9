"""Oscar's basket middleware, reading from the basket cookie only what can be a basket id."""

from django.core.signing import BadSignature, Signer
from django.http import HttpRequest
from oscar.apps.basket import middleware as oscar_middleware

from apps.common.row_ids import row_id_from_text


class BasketMiddleware(oscar_middleware.BasketMiddleware):
    def get_cookie_basket(self, cookie_key: str, request: HttpRequest, manager):
        """Oscar's, but a cookie whose signed value is not a basket id is dropped like a
        cookie of a basket that is gone. Only the shop can sign the cookie, yet Oscar put
        whatever it held into the query, where text or a fraction failed as a 500."""
        value = request.COOKIES.get(cookie_key)
        if value is not None and _signed_basket_id(value) is None:
            request.cookies_to_delete.append(cookie_key)
            return None
        return super().get_cookie_basket(cookie_key, request, manager)


def _signed_basket_id(value: str) -> int | None:
    try:
        return row_id_from_text(Signer().unsign(value))
    except BadSignature:
        return None
