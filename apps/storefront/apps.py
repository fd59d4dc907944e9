from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StorefrontConfig(AppConfig):
    """What the storefront keeps for speed: the catalogue version its caches are keyed by,
    advanced by the database itself on every change a shopper could see."""

    name = "apps.storefront"
    label = "storefront"
    verbose_name = "Storefront caching"

    def ready(self) -> None:
        from apps.storefront import triggers

        # After every migrate (new tables and columns included), for every database.
        post_migrate.connect(triggers.install_after_migrate, dispatch_uid="storefront-triggers")
