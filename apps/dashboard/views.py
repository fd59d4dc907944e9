"""The dashboard's overview, with the shop's all-time totals counted once per status
(``apps.reporting.order_counts``) and its revenue counting money received only
(``apps.reporting.revenue``); the other dashboard views are Oscar's."""

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils.timezone import now
from oscar.apps.dashboard.views import IndexView as OscarIndexView
from oscar.core.compat import get_user_model
from oscar.core.loading import get_class, get_model

from apps.common.queries import total_per_row
from apps.reporting.order_counts import order_line_count, order_totals_by_status
from apps.reporting.revenue import (
    PAID_STATUSES,
    Revenue,
    orders_revenue,
    revenue_aggregates,
    revenue_from_aggregate,
    revenue_from_status_totals,
)

Basket = get_model("basket", "Basket")
# The orders a user's dashboard covers: all for staff, their partners' for the others.
queryset_orders_for_user = get_class("dashboard.orders.views", "queryset_orders_for_user")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")
StockAlert = get_model("partner", "StockAlert")
User = get_user_model()


class IndexView(OscarIndexView):
    """Oscar's overview with the same figures, in fewer queries.

    Oscar adds up every order and line several times on each view (the number, the
    value, the statuses): here the all-time totals are one query per status and one count
    of the lines, kept for a few seconds (``apps.reporting.staff_cache``), and the last
    day's figures are one query that reads that day's orders and, through the index,
    their lines. A partner's overview (their own lines only) is Oscar's but for its
    revenue.

    Revenue, unlike Oscar's, is money received: paid orders only, with the orders awaiting
    payment shown apart and cancelled ones in neither (``apps.reporting.revenue`` says why by
    status). The figures' names are Oscar's, so its template and any other reader keep
    working; ``revenue`` and ``revenue_last_day`` carry the rest.
    """

    def get_stats(self):
        day_ago = now() - timedelta(hours=24)
        if not self.request.user.is_staff:
            stats = super().get_stats()
            orders = queryset_orders_for_user(self.request.user)
            stats.update(
                self.revenue_stats(
                    all_time=orders_revenue(orders),
                    last_day=orders_revenue(orders.filter(date_placed__gt=day_ago)),
                )
            )
            return stats
        orders = Order.objects.all()
        customers = User.objects.filter(orders__isnull=False).distinct()
        baskets = Basket.objects.filter(status=Basket.OPEN)
        last_day = (
            orders.filter(date_placed__gt=day_ago)
            # Each order's lines counted through the order_line index: a join would read
            # the whole line table when the day's orders are many.
            .annotate(line_count=total_per_row(Line.objects.all(), "order", Count("pk")))
            .aggregate(
                count=Count("pk"),
                lines=Sum("line_count"),
                **revenue_aggregates(),
            )
        )
        statuses = order_totals_by_status()
        stats = {
            "total_orders_last_day": last_day["count"],
            "total_lines_last_day": last_day["lines"] or 0,
            "hourly_report_dict": self.get_hourly_report(orders),
            "total_customers_last_day": customers.filter(date_joined__gt=day_ago).count(),
            "total_open_baskets_last_day": baskets.filter(date_created__gt=day_ago).count(),
            "total_products": Product.objects.count(),
            "total_open_stock_alerts": StockAlert.objects.filter(status=StockAlert.OPEN).count(),
            "total_closed_stock_alerts": StockAlert.objects.filter(
                status=StockAlert.CLOSED
            ).count(),
            "total_customers": customers.count(),
            "total_open_baskets": baskets.count(),
            "total_orders": sum(row.count for row in statuses),
            "total_lines": order_line_count(),
            "order_status_breakdown": [
                {"status": row.status, "freq": row.count} for row in statuses
            ],
            "offer_maps": (
                ConditionalOffer.objects.filter(end_datetime__gt=now())
                .values("offer_type")
                .annotate(count=Count("id"))
                .order_by("offer_type")
            ),
            "total_vouchers": self.get_active_vouchers().count(),
            **self.revenue_stats(
                all_time=revenue_from_status_totals(statuses),
                last_day=revenue_from_aggregate(last_day),
            ),
        }
        return stats

    def revenue_stats(self, *, all_time: Revenue, last_day: Revenue) -> dict:
        """Oscar's revenue figures, as money received, and the orders awaiting payment."""
        return {
            "total_revenue": all_time.paid,
            "total_revenue_last_day": last_day.paid,
            "average_order_costs": last_day.average_paid_order,
            "revenue": all_time,
            "revenue_last_day": last_day,
        }

    def get_hourly_report(self, orders, hours=24, segments=10):
        """Oscar's chart of the last day's revenue by hour, from paid orders only."""
        return super().get_hourly_report(
            orders.filter(status__in=PAID_STATUSES), hours=hours, segments=segments
        )
