"""Check the M-Pesa settings against Daraja: fetch a fresh OAuth token and say what happened."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.payment.mpesa.gateway import DarajaClient, DarajaError
from apps.payment.mpesa.rules import InvalidCallbackUrl, check_callback_url


class Command(BaseCommand):
    help = (
        "Fetch a new Daraja access token with MPESA_CONSUMER_KEY/SECRET and report the M-Pesa "
        "settings in use (never the secrets)."
    )

    def handle(self, *args, **options) -> None:
        try:
            client = DarajaClient.from_settings()
        except ValueError as error:
            raise CommandError(f"M-Pesa settings are incomplete: {error}") from error
        self.stdout.write(f"Environment:      {settings.MPESA_ENVIRONMENT}")
        self.stdout.write(f"Daraja base URL:  {client.base_url}")
        self.stdout.write(f"Shortcode:        {client.shortcode} ({client.transaction_type})")
        if client.till_number:
            self.stdout.write(f"Till number:      {client.till_number}")
        self.stdout.write(f"Callback base:    {settings.MPESA_CALLBACK_BASE_URL}")
        missing = [
            name
            for name in ("MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_PASSKEY")
            if not getattr(settings, name)
        ]
        if missing:
            raise CommandError(f"Not set: {', '.join(missing)}.")
        try:
            check_callback_url(settings.MPESA_CALLBACK_BASE_URL + "/")
        except InvalidCallbackUrl as error:
            raise CommandError(f"MPESA_CALLBACK_BASE_URL: {error}") from error
        try:
            with client:
                token = client.get_access_token(force_refresh=True)
        except DarajaError as error:
            raise CommandError(f"Daraja refused the credentials: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: Daraja issued an access token ({len(token)} characters) for this key."
            )
        )
        self.stdout.write(
            "The passkey is checked only by an STK push; a wrong one answers "
            "500.001.1001 Wrong credentials."
        )
