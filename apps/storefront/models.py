from django.db import models


class CatalogueVersion(models.Model):
    """One row: a number the database advances, in the writer's own transaction, whenever
    anything a storefront page shows changes (``apps.storefront.triggers``). Cached pages,
    product cards and search answers are keyed by it, so a change is never served stale
    for longer than each process goes without reading it (``SHOP_CACHE_STALENESS_SECONDS``).
    """

    version = models.BigIntegerField(default=1)

    class Meta:
        verbose_name = "catalogue version"
        verbose_name_plural = "catalogue version (kept by the database)"

    def __str__(self) -> str:
        return f"catalogue version {self.version}"
