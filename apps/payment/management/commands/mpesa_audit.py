"""Check that the books balance: every shilling M-Pesa brought in is applied to an order,
was refunded through the shop, waits in "Needs attention" or was resolved by staff, and
Oscar's payment records agree.

Lists every breach and exits 1 when there is one (``make load`` runs it at the end; run it
from cron or after a hand edit of the database). Reads only.
"""

from django.core.management.base import BaseCommand, CommandError

from apps.common.money import ksh
from apps.payment.mpesa.audit import Breach, books_audit


class Command(BaseCommand):
    help = (
        "Check the books over all records: money received = applied + waiting + refunded + "
        "resolved, "
        "no paid order without money, no receipt counted twice, sources equal to their "
        "transactions. Exits 1 when anything does not balance."
    )

    def handle(self, *args, **options):
        report = books_audit(listed=0, each=self._write_breach)
        self.stdout.write(
            f"Received {ksh(report.received)} in {report.payments} payment(s) = "
            f"applied {ksh(report.applied)} + waiting {ksh(report.waiting)} + "
            f"refunded {ksh(report.refunded)} + "
            f"resolved by staff (refunded outside the shop) {ksh(report.resolved)}"
        )
        if report.unaccounted or report.over_applied or report.debited_without_payment:
            self.stdout.write(
                f"Not balanced: unaccounted {ksh(report.unaccounted)}, applied beyond "
                f"payments {ksh(report.over_applied)}, debited without a payment "
                f"{ksh(report.debited_without_payment)}"
            )
        self.stdout.write(
            f"Test prompts (apart): {ksh(report.test_received)} in {report.test_payments}"
        )
        if not report.ok:
            raise CommandError(f"The books do not balance: {report.breach_count} breach(es)")
        self.stdout.write(self.style.SUCCESS("Books balance: OK"))

    def _write_breach(self, breach: Breach) -> None:
        self.stdout.write(f"BREACH {breach.kind}: {breach.message}")
