"""The dashboard's M-Pesa section as an Oscar dashboard app: who may reach each of its URLs
is one ``permissions_map``, applied to the views (``post_process_urls``) and read by
Oscar's navigation (``default_access_fn``) and by the pages' buttons (``user_may``).

Reading is one permission (Django's ``payment.view_mpesapaymentattempt``): the log, the
inbox, one transaction, its status.json, the CSV and the books check. Each action that
changes money or asks M-Pesa is a permission of its own, on top of reading (as Oscar's
order notes need ``view_order`` and ``change_order``):

- ``payment.mark_mpesa_paid`` "Mark paid with receipt" (a receipt staff checked);
- ``payment.match_mpesa_payment`` match a payment waiting in the inbox to an order;
- ``payment.resolve_mpesa_payment`` close an inbox item with a note;
- ``payment.reconcile_mpesa`` run the reconciliation now (it may cancel unpaid orders);
- ``payment.check_mpesa_status`` ask M-Pesa about one prompt now. A permission of its own
  because it calls Daraja (whose query limits the shop shares) and applies the answer,
  which can pay or fail an order; it is in the "Payments staff" group;
- ``payment.refund_mpesa_payment`` send money back to a customer (a payment, or a whole
  cancelled order). Money out: not in the "Payments staff" group, given to whom the
  merchant chooses. The list of refunds is reading.

The KES 1 test prompt moves real money from the dashboard: superusers only. Every URL
also asks for a staff account: the log shows every merchant's money, so Oscar's partner
access (``partner.dashboard_access``) is not enough. A URL the map does not name is for
superusers (``default_permissions``), so a page added without naming its permission is
closed, not open.
"""

from importlib import import_module

from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarDashboardConfig
from oscar.views.decorators import check_permissions

VIEW = "payment.view_mpesapaymentattempt"
STAFF = ["is_staff"]
SUPERUSER = ["is_staff", "is_superuser"]


class MpesaDashboardConfig(OscarDashboardConfig):
    label = "mpesa_dashboard"
    name = "apps.payment.dashboard"
    verbose_name = _("M-Pesa dashboard")
    namespace = "mpesa-dashboard"

    default_permissions = SUPERUSER

    def configure_permissions(self) -> None:
        reading = STAFF + [VIEW]
        self.permissions_map = {
            "transaction-list": reading,
            "attention-inbox": reading,
            "transaction-export": reading,
            "transaction-detail": reading,
            "transaction-status": reading,
            "books": reading,
            "reconcile": reading + ["payment.reconcile_mpesa"],
            "transaction-check-status": reading + ["payment.check_mpesa_status"],
            "transaction-mark-paid": reading + ["payment.mark_mpesa_paid"],
            "transaction-match": reading + ["payment.match_mpesa_payment"],
            "transaction-resolve": reading + ["payment.resolve_mpesa_payment"],
            "refund-list": reading,
            "transaction-refund": reading + ["payment.refund_mpesa_payment"],
            "order-refund": reading + ["payment.refund_mpesa_payment"],
            "refund-outcome": reading + ["payment.refund_mpesa_payment"],
            "test-setup": SUPERUSER,
        }

    def ready(self) -> None:
        self.configure_permissions()

    def get_urls(self) -> list:
        """The section's URLs, as ``urls.py`` lists them and guards them with
        ``post_process_urls`` (Oscar's navigation reads their names from here)."""
        return import_module(f"{self.name}.urls").urlpatterns

    def user_may(self, user, url_name: str) -> bool:
        """Whether ``user`` passes the permissions guarding one of this section's URLs
        (named without the namespace): the same check as the view's decorator."""
        return check_permissions(user, self.get_permissions(url_name))
