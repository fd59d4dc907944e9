import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.demo.loader import DemoNotAllowed, load_demo_shop


class Command(BaseCommand):
    help = (
        "Load the demo shop (catalogue, stock, images, pages, staff user). Safe to run "
        "again: only what is missing is created. Refused where SHOP_DEMO_ALLOWED is off."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Oscar logs two lines per new stock record about stock alerts nobody asked for.
        alerts_logger = logging.getLogger("oscar.alerts")
        level = alerts_logger.level
        alerts_logger.setLevel(logging.WARNING)
        try:
            report = load_demo_shop()
        except DemoNotAllowed as exc:
            raise CommandError(str(exc)) from exc
        finally:
            alerts_logger.setLevel(level)
        if report.total == 0:
            self.stdout.write("Demo shop already loaded: nothing to add.")
            return
        created = ", ".join(f"{count} {what}" for what, count in report.created.items() if count)
        self.stdout.write(self.style.SUCCESS(f"Demo shop loaded: {created}."))
