"""The orders dashboard's views that differ from Oscar's (``get_class`` finds the others
in Oscar's module): the order list takes its total from the kept counts."""

from oscar.apps.dashboard.orders.views import OrderListView as OscarOrderListView

from apps.shop.order_counts import order_count

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
