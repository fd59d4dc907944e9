"""URLs of the dashboard's M-Pesa section, mounted at /dashboard/mpesa/.

Every view is wrapped here, so one glance shows who may reach what: staff for the log and
the actions, superusers only for sending a test prompt.
"""

from django.urls import path

from . import views
from .views import staff_required, superuser_required

app_name = "mpesa-dashboard"

urlpatterns = [
    path("", staff_required(views.TransactionListView.as_view()), name="transaction-list"),
    path(
        "attention/",
        staff_required(views.AttentionInboxView.as_view()),
        name="attention-inbox",
    ),
    path("export.csv", staff_required(views.transaction_export), name="transaction-export"),
    path("reconcile/", staff_required(views.reconcile), name="reconcile"),
    path("test/", superuser_required(views.TestSetupView.as_view()), name="test-setup"),
    path(
        "<int:pk>/",
        staff_required(views.TransactionDetailView.as_view()),
        name="transaction-detail",
    ),
    path(
        "<int:pk>/status.json",
        staff_required(views.transaction_status),
        name="transaction-status",
    ),
    path(
        "<int:pk>/check-status/",
        staff_required(views.check_status),
        name="transaction-check-status",
    ),
    path("<int:pk>/mark-paid/", staff_required(views.mark_paid), name="transaction-mark-paid"),
    path("<int:pk>/match/", staff_required(views.match_order), name="transaction-match"),
    path("<int:pk>/resolve/", staff_required(views.resolve), name="transaction-resolve"),
]
