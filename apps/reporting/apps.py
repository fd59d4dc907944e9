from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """What the staff pages report: order counts and revenue. Its label is still "shop",
    the app that first held it, so its migrations and tables keep their names."""

    name = "apps.reporting"
    label = "shop"
    verbose_name = "Reporting"
