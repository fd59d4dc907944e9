from oscar.apps.dashboard.orders import apps


class OrdersDashboardConfig(apps.OrdersDashboardConfig):
    """Oscar's orders dashboard, whose order list numbers its pages from the counts the
    database keeps (``apps.reporting.order_counts``) instead of counting every order."""

    name = "apps.dashboard.orders"
