from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Print where the running shop is and how staff sign in (used by `make run`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="Base URL the shop is served at."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["url"].rstrip("/")
        login = settings.DEMO_ADMIN_EMAIL
        if settings.DEMO_ADMIN_PASSWORD == settings.DEMO_ADMIN_PASSWORD_LOCAL_DEFAULT:
            login += f" / {settings.DEMO_ADMIN_PASSWORD}"
        else:
            login += " (password from DEMO_ADMIN_PASSWORD)"
        lines = [
            f"{settings.OSCAR_SHOP_NAME} is starting:",
            f"  Storefront:          {base}/",
            f"  Dashboard:           {base}/dashboard/",
            f"  M-Pesa phone (sim):  {base}/daraja-sim/phone/",
            f"  Staff login:         {login}",
        ]
        if settings.MPESA_ENVIRONMENT == "simulator" and not settings.DARAJA_SIMULATOR_ALLOW_REMOTE:
            lines.append(
                "  The M-Pesa simulator answers this machine only "
                "(DARAJA_SIMULATOR_ALLOW_REMOTE=true to let phones on the network use it)."
            )
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
