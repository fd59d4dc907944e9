"""Settle M-Pesa payments whose callback never came, cancel orders nobody paid, remind
guests of orders still unpaid, and drop prompt counts of ended windows.

Run it from cron every minute or two (see README, "Reconciliation"); it is safe to run
while callbacks arrive and in several places at once. ``--every SECONDS`` keeps it running,
one pass every SECONDS until stopped: the embedded run (``make run``) reconciles this way,
with no cron; a pass that fails is logged and the next one runs.
"""

import logging
import time

from django.core.management.base import BaseCommand

from apps.payment.mpesa import services
from apps.payment.mpesa.services import limits
from apps.payment.mpesa.services.reminders import pay_reminders_queue

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Ask Daraja about open STK pushes, then expire stale attempts and unpaid orders; "
        "drop ended prompt-limit windows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="keep running: one pass every SECONDS until stopped",
        )
        parser.add_argument(
            "--times", type=int, metavar="N", help="with --every: stop after N passes"
        )

    def handle(self, *args, every=None, times=None, **options):
        if not every:
            self.reconcile()
            return
        passes = 0
        while times is None or passes < times:
            if passes:
                time.sleep(every)
            passes += 1
            try:
                self.reconcile()
            except Exception:  # the next pass tries again; the loop must not die
                logger.exception("mpesa_reconcile pass failed")

    def reconcile(self) -> None:
        report = services.mpesa_reconcile()
        self.stdout.write(
            f"queried {report.queried}, settled {report.settled}, "
            f"expired attempts {report.expired_attempts}, "
            f"cancelled orders {report.cancelled_orders}, "
            f"refunds asked about {report.refunds_asked}, emails sent {report.emails_sent}"
        )
        self.stdout.write(f"prompt counts: {limits.purge_ended_windows()} ended windows dropped")
        self.stdout.write(f"pay reminders queued: {pay_reminders_queue()}")
