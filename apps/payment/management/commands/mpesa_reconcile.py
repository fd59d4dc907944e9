"""Settle M-Pesa payments whose callback never came, and cancel orders nobody paid.

Run it from cron every minute or two (see README, "Reconciliation"); it is safe to run
while callbacks arrive and in several places at once.
"""

from django.core.management.base import BaseCommand

from apps.payment.mpesa import services


class Command(BaseCommand):
    help = "Ask Daraja about open STK pushes, then expire stale attempts and unpaid orders."

    def handle(self, *args, **options):
        report = services.mpesa_reconcile()
        self.stdout.write(
            f"queried {report.queried}, settled {report.settled}, "
            f"expired attempts {report.expired_attempts}, "
            f"cancelled orders {report.cancelled_orders}"
        )
