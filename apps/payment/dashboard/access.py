"""What a user may do on the M-Pesa pages, for the buttons and links they show: the same
permissions that guard the URLs (``MpesaDashboardConfig.permissions_map``) and, for the
links to orders, those of Oscar's orders dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from oscar.views.decorators import check_permissions


@dataclass(frozen=True)
class MpesaAccess:
    """One user's rights on the M-Pesa pages, read once per request."""

    export: bool
    reconcile: bool
    check_status: bool
    mark_paid: bool
    match: bool
    resolve: bool
    refund: bool
    test_setup: bool
    open_orders: bool


def mpesa_access(user) -> MpesaAccess:
    config = apps.get_app_config("mpesa_dashboard")
    return MpesaAccess(
        export=config.user_may(user, "transaction-export"),
        reconcile=config.user_may(user, "reconcile"),
        check_status=config.user_may(user, "transaction-check-status"),
        mark_paid=config.user_may(user, "transaction-mark-paid"),
        match=config.user_may(user, "transaction-match"),
        resolve=config.user_may(user, "transaction-resolve"),
        refund=config.user_may(user, "transaction-refund"),
        test_setup=config.user_may(user, "test-setup"),
        open_orders=may_open_orders(user),
    )


def may_open_orders(user) -> bool:
    """Whether ``user`` may open /dashboard/orders/<number>/ (Oscar asks for
    ``order.view_order``, or a partner's ``partner.dashboard_access``)."""
    orders = apps.get_app_config("orders_dashboard")
    return check_permissions(user, orders.get_permissions("order-detail"))
