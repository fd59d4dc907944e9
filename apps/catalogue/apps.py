import oscar.apps.catalogue.apps as apps


class CatalogueConfig(apps.CatalogueConfig):
    name = "apps.catalogue"

    def ready(self) -> None:
        super().ready()
        from apps.catalogue import view_counts
        from apps.catalogue.images import ensure_missing_image_link

        ensure_missing_image_link()
        view_counts.connect()
