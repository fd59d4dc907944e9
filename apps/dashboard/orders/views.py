"""The orders dashboard's views that differ from Oscar's (``get_class`` finds the others
in Oscar's module): the order list takes its total from the kept counts; the order page
shows a refused line status as an error."""

from django.db import transaction
from oscar.apps.dashboard.orders.views import OrderDetailView as OscarOrderDetailView
from oscar.apps.dashboard.orders.views import OrderListView as OscarOrderListView
from oscar.core.loading import get_class

from apps.shop.order_counts import order_count

InvalidStatus = get_class("order.exceptions", "InvalidStatus")

# The search form's fields that select orders, besides the status (whose count is kept).
_COUNTED_BY_STATUS_ONLY = {"status", "response_format"}


class OrderListView(OscarOrderListView):
    """Oscar's order list, numbered without ``COUNT(*)`` over every order.

    A staff member's list of all orders, or of one status, takes its total from the
    counts the database keeps (the time to count 100,000 orders would otherwise be most
    of the page's); any other search, or a partner's own orders, is counted as Oscar does.
    """

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        total = self.kept_total()
        if total is not None:
            paginator.count = total  # Paginator.count is a cached property
        return paginator

    def kept_total(self) -> int | None:
        if not self.request.user.is_staff:
            return None  # a partner sees the orders of their own lines only
        if not self.form.is_valid():
            return order_count()  # Oscar lists every order then
        data = self.form.cleaned_data
        if any(value for name, value in data.items() if name not in _COUNTED_BY_STATUS_ONLY):
            return None
        return order_count(status=data["status"] or None)


class OrderDetailView(OscarOrderDetailView):
    """Oscar's order page, whose line status form shows a refused change (a line made Paid
    without its order's money) to staff as an error: Oscar's view catches nothing around
    ``line.set_status``. The lines change together or not at all."""

    def change_line_statuses(self, request, order, lines, quantities):
        try:
            with transaction.atomic():
                return super().change_line_statuses(request, order, lines, quantities)
        except InvalidStatus as refused:
            return self.reload_page(error=str(refused))
