from django.db import models


class OrderCount(models.Model):
    """How many orders have each status, and their value, for the dashboard (whose order
    list and overview would otherwise read every order on every view).

    PostgreSQL triggers on the order table (migration 0001) add a row per statement and
    status with the change; a status's figures are the sums of its rows, exact in any
    snapshot because the rows commit with the orders they count. Only inserts, so orders
    placed at the same moment never queue for one shared row; ``order_counts_fold`` (run
    by ``mpesa_reconcile`` every minute) keeps the table to about one row per status.
    SQLite keeps no counts: there the dashboard counts the orders.
    """

    status = models.CharField(max_length=100)
    count = models.IntegerField()
    total_incl_tax = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = "order count"
        verbose_name_plural = "order counts (kept by the database)"

    def __str__(self) -> str:
        return f"{self.status}: {self.count:+d} orders, {self.total_incl_tax:+}"


class OrderLineCount(models.Model):
    """How many order lines there are, kept like ``OrderCount`` by triggers on the order
    line table: a row per statement with the change."""

    count = models.IntegerField()

    class Meta:
        verbose_name = "order line count"
        verbose_name_plural = "order line counts (kept by the database)"

    def __str__(self) -> str:
        return f"{self.count:+d} lines"
