from django.db import models


class OrderCount(models.Model):
    """How many orders have each status, for the dashboard's order list (whose page
    numbers would otherwise count every order on every view).

    PostgreSQL triggers on the order table (migration 0001) add a row per statement and
    status with the change; the count of a status is the sum of its rows, exact in any
    snapshot because the rows commit with the orders they count. Only inserts, so orders
    placed at the same moment never queue for one shared row; ``order_counts_fold`` (run
    by ``mpesa_reconcile`` every minute) keeps the table to about one row per status.
    SQLite keeps no counts: there the list counts its orders.
    """

    status = models.CharField(max_length=100)
    count = models.IntegerField()

    class Meta:
        verbose_name = "order count"
        verbose_name_plural = "order counts (kept by the database)"

    def __str__(self) -> str:
        return f"{self.status}: {self.count:+d}"
