from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Measuring tools, installed by the local, test and bench settings only (never by
    production): ``generate_scale_data``, ``page_weight`` and the bench's ceiling page."""

    name = "bench"
    label = "bench"
    verbose_name = "Measuring"
