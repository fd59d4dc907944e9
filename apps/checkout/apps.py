from django.urls import path
from oscar.apps.checkout import apps
from oscar.core.loading import get_class


class CheckoutConfig(apps.CheckoutConfig):
    name = "apps.checkout"

    def ready(self):
        super().ready()
        self.mpesa_wait_view = get_class("checkout.views", "MpesaWaitingView")
        self.mpesa_status_view = get_class("checkout.views", "MpesaStatusView")
        self.mpesa_resend_view = get_class("checkout.views", "MpesaResendView")
        self.mpesa_cancel_view = get_class("checkout.views", "MpesaCancelView")

    def get_urls(self):
        mpesa_urls = [
            path(
                "pay/<str:order_number>/<str:hash>/",
                self.mpesa_wait_view.as_view(),
                name="mpesa-wait",
            ),
            path(
                "pay/<str:order_number>/<str:hash>/status/",
                self.mpesa_status_view.as_view(),
                name="mpesa-status",
            ),
            path(
                "pay/<str:order_number>/<str:hash>/resend/",
                self.mpesa_resend_view.as_view(),
                name="mpesa-resend",
            ),
            path(
                "pay/<str:order_number>/<str:hash>/cancel/",
                self.mpesa_cancel_view.as_view(),
                name="mpesa-cancel",
            ),
        ]
        return super().get_urls() + self.post_process_urls(mpesa_urls)
