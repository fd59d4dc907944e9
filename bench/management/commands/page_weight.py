"""Print what a phone downloads on the first load of the home and catalogue pages."""

from django.core.management.base import BaseCommand

from bench.page_weight import measure

BUDGET_KB = 500


class Command(BaseCommand):
    help = "Weigh the first load of storefront pages on a phone (compressed, as served)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("urls", nargs="*", default=["/", "/catalogue/"])

    def handle(self, *args, urls: list[str], **options) -> None:
        for url in urls:
            weight = measure(url)
            for line in weight.lines():
                self.stdout.write(line)
            verdict = "within" if weight.total_bytes < BUDGET_KB * 1024 else "OVER"
            self.stdout.write(f"  {verdict} the {BUDGET_KB} KB budget\n")
