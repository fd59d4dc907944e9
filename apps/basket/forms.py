"""The basket's forms: Oscar's, with the product cards' one-tap form given ids of its own."""

from oscar.apps.basket.forms import SimpleAddToBasketForm as OscarSimpleAddToBasketForm


class SimpleAddToBasketForm(OscarSimpleAddToBasketForm):
    """The "Add to basket" form on a product card. A listing shows many cards, so each
    card's fields get ids named for its product (Oscar's `id_quantity` repeated on every
    card, and ids must be unique in a page for assistive technology)."""

    def __init__(self, basket, product, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_product{product.pk}_%s")
        super().__init__(basket, product, *args, **kwargs)
