from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The shop's own pieces that belong to no Oscar app: the demo loader, shared helpers."""

    name = "apps.shop"
    label = "shop"
    verbose_name = "Shop"
