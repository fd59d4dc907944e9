from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """What the staff pages report: order counts and revenue. It keeps no tables now; it
    stays installed, under the label "shop" of the app that first held it, so that its
    migrations (which made, then dropped, the order counts' tables and triggers) run on
    every database."""

    name = "apps.reporting"
    label = "shop"
    verbose_name = "Reporting"
