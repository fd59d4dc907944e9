import oscar.apps.order.apps as apps


class OrderConfig(apps.OrderConfig):
    """Oscar's orders, whose status reaches Paid only when the order's money is recorded
    (``apps.order.models``), with the order effects in a forked ``EventHandler``."""

    name = "apps.order"
