from oscar.apps.catalogue.abstract_models import AbstractProduct


class Product(AbstractProduct):
    """Oscar's product; its recommended products come with their product class, which
    the product card's template is chosen by (Oscar reads it one product at a time)."""

    @property
    def sorted_recommended_products(self):
        """Keeping order by recommendation ranking."""
        return [
            r.recommendation
            for r in self.primary_recommendations.select_related(
                "recommendation__product_class", "recommendation__parent__product_class"
            )
        ]


from oscar.apps.catalogue.models import *  # noqa: E402, F403  (Oscar's way to fork models)
