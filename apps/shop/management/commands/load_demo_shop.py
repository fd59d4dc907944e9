from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.shop.demo import DemoNotAllowed, load_demo_shop


class Command(BaseCommand):
    help = (
        "Load the demo shop (catalogue, stock, images, pages, staff user). Safe to run "
        "again: only what is missing is created. Refused where SHOP_DEMO_ALLOWED is off."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_demo_shop()
        except DemoNotAllowed as exc:
            raise CommandError(str(exc)) from exc
        if report.total == 0:
            self.stdout.write("Demo shop already loaded: nothing to add.")
            return
        created = ", ".join(f"{count} {what}" for what, count in report.created.items() if count)
        self.stdout.write(self.style.SUCCESS(f"Demo shop loaded: {created}."))
