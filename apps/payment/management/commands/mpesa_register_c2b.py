"""Register the shop's Paybill (C2B) validation and confirmation URLs with Daraja."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse

from apps.payment.mpesa.gateway import DarajaClient, DarajaError

# The shop's C2B views are expected under these URL names, taking the path secret as
# ``secret``; if they are not (yet) routed, the conventional paths below are registered.
URL_NAMES = {"confirmation": "mpesa-c2b-confirmation", "validation": "mpesa-c2b-validation"}
DEFAULT_PATH = "/payments/c2b/{secret}/{kind}/"


def c2b_url(kind: str) -> str:
    """Absolute URL Safaricom should call for ``kind`` ("confirmation" or "validation")."""
    secret = settings.MPESA_C2B_PATH_SECRET
    try:
        path = reverse(URL_NAMES[kind], kwargs={"secret": secret})
    except NoReverseMatch:
        path = DEFAULT_PATH.format(secret=secret, kind=kind)
    return settings.MPESA_CALLBACK_BASE_URL.rstrip("/") + path


class Command(BaseCommand):
    help = (
        "Register the C2B (Paybill) confirmation and validation URLs for MPESA_SHORTCODE, "
        "built from MPESA_CALLBACK_BASE_URL and MPESA_C2B_PATH_SECRET unless given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--confirmation-url", help="Override the confirmation URL.")
        parser.add_argument("--validation-url", help="Override the validation URL.")
        parser.add_argument(
            "--response-type",
            choices=["Completed", "Cancelled"],
            default="Completed",
            help="What Daraja does when the validation URL cannot be reached (default Completed).",
        )

    def handle(self, *args, **options) -> None:
        confirmation_url = options["confirmation_url"] or c2b_url("confirmation")
        validation_url = options["validation_url"] or c2b_url("validation")
        try:
            with DarajaClient.from_settings() as client:
                result = client.register_c2b_urls(
                    confirmation_url=confirmation_url,
                    validation_url=validation_url,
                    response_type=options["response_type"],
                )
        except (DarajaError, ValueError) as error:
            raise CommandError(f"Registering the C2B URLs failed: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Registered C2B URLs for shortcode {client.shortcode} at {client.base_url}: "
                f"{result.response_description}"
            )
        )
        self.stdout.write(f"  confirmation: {confirmation_url}")
        self.stdout.write(f"  validation:   {validation_url}")
