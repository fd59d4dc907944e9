"""The orders dashboard's views that differ from Oscar's (``get_class`` finds the others
in Oscar's module): the order list takes its total from the counts per status, and
reads only what can be an order id from its bulk selection; the order page shows a
refused line status as an error and takes a payment event's amount only when it is one."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from oscar.apps.dashboard.orders.views import OrderDetailView as OscarOrderDetailView
from oscar.apps.dashboard.orders.views import OrderListView as OscarOrderListView
from oscar.core.loading import get_class

from apps.common.row_ids import row_id_from_text
from apps.reporting.order_counts import order_count

from .forms import OrderSearchForm

InvalidStatus = get_class("order.exceptions", "InvalidStatus")

#: A payment event's amount, as its column holds it (Oscar's PaymentEvent.amount).
_PAYMENT_EVENT_AMOUNT = forms.DecimalField(max_digits=12, decimal_places=2)

# The search form's fields that select orders, besides the status (counted per status).
_COUNTED_BY_STATUS_ONLY = {"status", "response_format"}


class OrderListView(OscarOrderListView):
    """Oscar's order list, numbered from the counts per status.

    A staff member's list of all orders, or of one status, takes its total from the
    orders' counts per status (``apps.reporting.order_counts``, kept for a few seconds, so
    paging through the list counts 100,000 orders once, not on every page); any other
    search, or a partner's own orders, is counted as Oscar does.
    """

    form_class = OrderSearchForm

    def get(self, request, *args, **kwargs):
        """Oscar's, which first looks the searched order number up as typed to go straight
        to that order, except for a number with a NUL in it: PostgreSQL refuses NUL in a
        query, a 500. The search finds nothing for it."""
        if "\x00" in request.GET.get("order_number", ""):
            return super(OscarOrderListView, self).get(request, *args, **kwargs)
        return super().get(request, *args, **kwargs)

    def get_selected_ids(self, request) -> list[int]:
        """Oscar's, with only the selected values that are order ids: Oscar put each into
        the query as posted, and text there (an empty value, say) was a 500."""
        if request.POST.get(self.select_across_param, "").lower() == "1":
            return super().get_selected_ids(request)
        posted = request.POST.getlist(f"selected_{self.get_checkbox_object_name()}")
        ids = [row_id for row_id in map(row_id_from_text, posted) if row_id is not None]
        return list(self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True))

    def change_order_statuses(self, request, orders):
        """Oscar's, for a form that names the new status: Oscar read ``new_status`` as
        ``request.POST[...]``, and a form without it answered 500."""
        if "new_status" not in request.POST:
            messages.error(request, _("Choose the new status."))
            return redirect("dashboard:order-list")
        return super().change_order_statuses(request, orders)

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        total = self.total_by_status()
        if total is not None:
            paginator.count = total  # Paginator.count is a cached property
        return paginator

    def total_by_status(self) -> int | None:
        if not self.request.user.is_staff:
            return None  # a partner sees the orders of their own lines only
        if not self.form.is_valid():
            return order_count()  # Oscar lists every order then
        data = self.form.cleaned_data
        if any(value for name, value in data.items() if name not in _COUNTED_BY_STATUS_ONLY):
            return None
        return order_count(status=data["status"] or None)


#: What each line action reads from the form besides the lines: Oscar reads the status and
#: the event type as ``request.POST[...]``, and a missing reference as None, which the
#: shipping event's notes column refuses; a form without one answered 500.
_LINE_ACTION_FIELDS = {
    "change_line_statuses": ("new_status",),
    "create_shipping_event": ("shipping_event_type", "reference"),
}


class OrderDetailView(OscarOrderDetailView):
    """Oscar's order page, whose line status form shows a refused change (a line made Paid
    without its order's money) to staff as an error: Oscar's view catches nothing around
    ``line.set_status``. The lines change together or not at all. A form its actions
    cannot act on is refused with a message, not a 500."""

    def handle_line_action(self, request, order, action):
        """Oscar's, for a form that can be acted on: the selected lines are line ids, each
        with its quantity, and the action's own field is there. Oscar put the posted
        values into the query as found and read the others without a default, and each
        of these answered 500."""
        ids = [row_id_from_text(value) for value in request.POST.getlist("selected_line")]
        if None in ids:
            return self.reload_page(error=_("Invalid lines requested"))
        for line_id in ids:
            if f"selected_line_qty_{line_id}" not in request.POST:
                error = _("The entered quantity for line #%s is not valid") % line_id
                return self.reload_page(error=error)
        if any(name not in request.POST for name in _LINE_ACTION_FIELDS.get(action, ())):
            return self.reload_page(error=_("Invalid form submission"))
        return super().handle_line_action(request, order, action)

    def delete_note(self, request, order):
        """Oscar's, for a note id that is one: Oscar looked up what was posted, and text
        there (an empty value, say) answered 500."""
        if row_id_from_text(request.POST.get("note_id", "")) is None:
            messages.error(request, _("Note cannot be deleted"))
            return self.reload_page()
        return super().delete_note(request, order)

    def change_line_statuses(self, request, order, lines, quantities):
        try:
            with transaction.atomic():
                return super().change_line_statuses(request, order, lines, quantities)
        except InvalidStatus as refused:
            return self.reload_page(error=str(refused))

    def create_order_payment_event(self, request, order):
        """Oscar's, for an amount its column can hold: Oscar read a missing amount as
        ``Decimal(None)`` (a 500) and took NaN, Infinity or 13 digits for one."""
        amount = _posted_amount(request)
        if amount is None:
            messages.error(request, _("Please choose a valid amount"))
            return self.reload_page()
        return self._create_payment_event(request, order, amount)

    def create_payment_event(self, request, order, lines, quantities):
        """Oscar's (no amount: the selected lines' total), with the same check of a given
        amount as the order's payment event."""
        if request.POST.get("amount") and _posted_amount(request) is None:
            messages.error(request, _("Please choose a valid amount"))
            return self.reload_page()
        return super().create_payment_event(request, order, lines, quantities)


def _posted_amount(request) -> Decimal | None:
    try:
        return _PAYMENT_EVENT_AMOUNT.clean(request.POST.get("amount"))
    except ValidationError:
        return None
