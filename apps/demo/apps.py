from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop `make run` shows (``load_demo_shop``) and its start-up banner."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo shop"
