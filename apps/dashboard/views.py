"""The dashboard's overview, with the shop's totals taken from the counts the database
keeps; the other dashboard views are Oscar's."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Sum
from django.utils.timezone import now
from oscar.apps.dashboard.views import IndexView as OscarIndexView
from oscar.core.compat import get_user_model
from oscar.core.loading import get_model

from apps.shop.order_counts import order_counts_kept, order_line_count, order_totals_by_status
from apps.shop.queries import total_per_row

Basket = get_model("basket", "Basket")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")
StockAlert = get_model("partner", "StockAlert")
User = get_user_model()


class IndexView(OscarIndexView):
    """Oscar's overview with the same figures, at a cost that does not grow with the
    number of orders.

    Oscar adds up every order and line on each view (at 100,000 orders, most of the
    page's time): here the all-time totals come from the kept counts, and the last day's
    figures are one query that reads that day's orders and, through the index, their
    lines. A partner's overview (their own lines only), or a database that keeps no
    counts, is Oscar's.
    """

    def get_stats(self):
        if not (self.request.user.is_staff and order_counts_kept()):
            return super().get_stats()
        day_ago = now() - timedelta(hours=24)
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
                average=Avg("total_incl_tax"),
                revenue=Sum("total_incl_tax"),
            )
        )
        statuses = order_totals_by_status()
        stats = {
            "total_orders_last_day": last_day["count"],
            "total_lines_last_day": last_day["lines"] or 0,
            "average_order_costs": last_day["average"] or Decimal("0.00"),
            "total_revenue_last_day": last_day["revenue"] or Decimal("0.00"),
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
            "total_revenue": sum((row.total_incl_tax for row in statuses), Decimal("0.00")),
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
        }
        return stats
