"""Fill the database with a large catalogue and order history, for measuring at scale."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.scale_data import generate_orders, generate_products


class Command(BaseCommand):
    help = (
        "Add N scale products (default 10,000) and M paid orders with their M-Pesa "
        "transactions (default 100,000), in bulk. Never in production."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--products", type=int, default=10_000)
        parser.add_argument("--orders", type=int, default=100_000)

    def handle(self, *args, products: int, orders: int, **options) -> None:
        if not settings.SHOP_DEMO_ALLOWED:
            raise CommandError("Scale data is for development and benchmarks only.")
        started = time.monotonic()
        made = generate_products(products, progress=self.stdout.write)
        self.stdout.write(f"{made} products in {time.monotonic() - started:.1f} s")
        placed = time.monotonic()
        generate_orders(orders, progress=self.stdout.write)
        self.stdout.write(f"{orders} orders in {time.monotonic() - placed:.1f} s")
        if connection.vendor == "postgresql":
            # Planner statistics for the rows just loaded, as after any bulk load: without
            # them PostgreSQL guesses, and scans whole tables where an index would answer
            # (autovacuum would get there later, where it is on).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
