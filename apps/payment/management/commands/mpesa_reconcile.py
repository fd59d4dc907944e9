"""Settle M-Pesa payments whose callback never came, cancel orders nobody paid, and
drop prompt counts of ended windows.

Run it from cron every minute or two (see README, "Reconciliation"); it is safe to run
while callbacks arrive and in several places at once.
"""

from django.core.management.base import BaseCommand

from apps.payment.mpesa import services
from apps.payment.mpesa.services import limits


class Command(BaseCommand):
    help = (
        "Ask Daraja about open STK pushes, then expire stale attempts and unpaid orders; "
        "drop ended prompt-limit windows."
    )

    def handle(self, *args, **options):
        report = services.mpesa_reconcile()
        self.stdout.write(
            f"queried {report.queried}, settled {report.settled}, "
            f"expired attempts {report.expired_attempts}, "
            f"cancelled orders {report.cancelled_orders}, "
            f"refunds asked about {report.refunds_asked}, emails sent {report.emails_sent}"
        )
        self.stdout.write(f"prompt counts: {limits.purge_ended_windows()} ended windows dropped")
