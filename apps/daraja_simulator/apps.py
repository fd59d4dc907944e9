from django.apps import AppConfig


class DarajaSimulatorConfig(AppConfig):
    """Daraja look-alike; never installed in production (see settings.MPESA_ENVIRONMENT)."""

    name = "apps.daraja_simulator"
    label = "daraja_simulator"
    verbose_name = "Daraja simulator"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import delivery  # noqa: F401  (connects the request signals that start callbacks)
        from .keys import key_pair_ensure

        # The certificate the shop encrypts refund credentials with exists before it is read.
        key_pair_ensure()
