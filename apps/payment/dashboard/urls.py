"""URLs of the dashboard's M-Pesa section, mounted at /dashboard/mpesa/.

Each URL is guarded by the permissions its name has in ``MpesaDashboardConfig``'s
``permissions_map`` (apps.py), as Oscar guards its own dashboard: guests are sent to the
dashboard's login, signed-in users without the permission get 403.
"""

from django.apps import apps
from django.urls import path

from . import books, views

app_name = "mpesa-dashboard"

urlpatterns = apps.get_app_config("mpesa_dashboard").post_process_urls(
    [
        path("", views.TransactionListView.as_view(), name="transaction-list"),
        path("attention/", views.AttentionInboxView.as_view(), name="attention-inbox"),
        path("export.csv", views.transaction_export, name="transaction-export"),
        path("reconcile/", views.reconcile, name="reconcile"),
        path("test/", views.TestSetupView.as_view(), name="test-setup"),
        path("books/", books.BooksView.as_view(), name="books"),
        path("<int:pk>/", views.TransactionDetailView.as_view(), name="transaction-detail"),
        path("<int:pk>/status.json", views.transaction_status, name="transaction-status"),
        path("<int:pk>/check-status/", views.check_status, name="transaction-check-status"),
        path("<int:pk>/mark-paid/", views.mark_paid, name="transaction-mark-paid"),
        path("<int:pk>/match/", views.match_order, name="transaction-match"),
        path("<int:pk>/resolve/", views.resolve, name="transaction-resolve"),
        path("refunds/", views.RefundListView.as_view(), name="refund-list"),
        path("<int:pk>/refund/", views.refund, name="transaction-refund"),
        path("orders/<str:number>/refund/", views.order_refund, name="order-refund"),
        path("refunds/<int:pk>/outcome/", views.refund_outcome, name="refund-outcome"),
    ]
)
