"""Oscar's order report with its money read as the overview reads it: each order's status
beside its total, and above the list the revenue of the orders placed in the range (paid
orders only), with the orders awaiting payment and the cancelled ones apart."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.apps.order.reports import OrderReportCSVFormatter as CoreOrderReportCSVFormatter
from oscar.apps.order.reports import OrderReportGenerator as CoreOrderReportGenerator
from oscar.apps.order.reports import OrderReportHTMLFormatter

from apps.common.money import ksh
from apps.reporting.revenue import Revenue, orders_revenue


class OrderReportCSVFormatter(CoreOrderReportCSVFormatter):
    """Oscar's columns and the order's status, so that a sum of the totals can tell paid
    orders from those awaiting payment (and "-" for an order whose account is gone,
    where Oscar's formatter fails)."""

    def generate_csv(self, response, orders):
        writer = self.get_csv_writer(response)
        writer.writerow(
            [_("Order number"), _("Name"), _("Email"), _("Total incl. VAT"), _("Status")]
            + [_("Date placed")]
        )
        for order in orders.select_related("user"):
            writer.writerow(
                [
                    order.number,
                    order.user.get_full_name() if order.user else "-",
                    order.email,
                    order.total_incl_tax,
                    order.status,
                    self.format_datetime(order.date_placed),
                ]
            )


class OrderReportGenerator(CoreOrderReportGenerator):
    formatters = {
        "CSV_formatter": OrderReportCSVFormatter,
        "HTML_formatter": OrderReportHTMLFormatter,
    }

    def revenue(self) -> Revenue:
        """The revenue of the orders placed in the report's range, in one query."""
        return orders_revenue(self.queryset)

    def report_description(self):
        """Oscar's title of the report, followed by the range's revenue: the one place
        above Oscar's report list that the reports page shows."""
        revenue = self.revenue()
        return " · ".join(
            [
                str(super().report_description()),
                ngettext(
                    "Revenue (paid orders): %(amount)s from %(count)d order",
                    "Revenue (paid orders): %(amount)s from %(count)d orders",
                    revenue.paid_orders,
                )
                % {"amount": ksh(revenue.paid), "count": revenue.paid_orders},
                ngettext(
                    "Awaiting payment (not in revenue): %(count)d order, %(amount)s",
                    "Awaiting payment (not in revenue): %(count)d orders, %(amount)s",
                    revenue.awaiting_orders,
                )
                % {"amount": ksh(revenue.awaiting), "count": revenue.awaiting_orders},
                ngettext(
                    "Cancelled (not in revenue): %(count)d order",
                    "Cancelled (not in revenue): %(count)d orders",
                    revenue.cancelled_orders,
                )
                % {"count": revenue.cancelled_orders},
            ]
        )
