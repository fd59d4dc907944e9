from oscar.apps.dashboard.orders import apps


class OrdersDashboardConfig(apps.OrdersDashboardConfig):
    """Oscar's orders dashboard, whose order list numbers its pages from the orders'
    counts per status (``apps.reporting.order_counts``), kept for a few seconds."""

    name = "apps.dashboard.orders"
