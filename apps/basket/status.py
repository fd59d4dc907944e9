"""A small JSON view of the shopper's basket for the storefront's JavaScript."""

from django.contrib import messages
from django.http import HttpRequest, JsonResponse
from django.utils.html import conditional_escape
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from oscar.templatetags.currency_filters import currency


@never_cache
@require_GET
def basket_status(request: HttpRequest) -> JsonResponse:
    """The item count, the total and the pending flash messages, as JSON.

    basket.js adds to the basket through Oscar's own add view (so stock rules, offers
    and signals stay Oscar's) and asks that view to redirect here. Reading the messages
    here hands them to the shopper as a toast instead of on the next full page.
    """
    basket = request.basket
    total = basket.total_incl_tax if basket.is_tax_known else basket.total_excl_tax
    notes = [
        {
            "level": message.level_tag or "info",
            # Oscar marks messages it rendered from its own templates as "safe".
            "html": str(message) if "safe" in message.tags else str(conditional_escape(message)),
        }
        for message in messages.get_messages(request)
    ]
    return JsonResponse(
        {
            "num_items": basket.num_items,
            "total": currency(total, basket.currency),
            "messages": notes,
        }
    )
