import oscar.apps.payment.apps as apps
from django.db.models.signals import post_migrate


class PaymentConfig(apps.PaymentConfig):
    name = "apps.payment"

    def ready(self):
        super().ready()
        from apps.payment.mpesa.services import payment_types_ensure
        from apps.payment.mpesa.services.refunds import refund_types_ensure
        from apps.payment.staff_group import payments_staff_group_ensure

        post_migrate.connect(payment_types_ensure, sender=self, dispatch_uid="payment-types-ensure")
        post_migrate.connect(refund_types_ensure, sender=self, dispatch_uid="refund-types-ensure")
        post_migrate.connect(
            payments_staff_group_ensure, sender=self, dispatch_uid="payments-staff-group-ensure"
        )
