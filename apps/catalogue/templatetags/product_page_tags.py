"""Tags for the product page's per-shopper parts, each answered in at most one query."""

from django import template

from apps.catalogue.selectors import product_reviews_shown
from apps.customer.selectors import wishlists_with_product

register = template.Library()


@register.simple_tag
def wishlists_for_product(user, product) -> list:
    """The user's wish lists, each with ``has_product`` (Oscar reads them in two queries)."""
    if not user.is_authenticated:
        return []
    return wishlists_with_product(user=user, product=product)


@register.simple_tag
def review_permitted(product, user) -> bool:
    """Oscar's ``product|is_review_permitted:user``, asked once per product and user
    however many times the page shows the "write a review" link."""
    answers = product.__dict__.setdefault("_shop_review_permitted", {})
    if user.pk not in answers:
        answers[user.pk] = bool(product.is_review_permitted(user))
    return answers[user.pk]


@register.simple_tag
def reviews_shown(product, user) -> list:
    """The approved reviews the product page shows, read with what they display."""
    return product_reviews_shown(product=product, user=user)


@register.filter
def may_vote_on(review, user) -> bool:
    """Oscar's ``review|may_vote:user`` (``Vote.full_clean()``: five queries per review),
    answered from ``voted_by_user`` when the review was read with it."""
    voted = getattr(review, "voted_by_user", None)
    if voted is None or not user.is_authenticated:
        can_vote, _reason = review.can_user_vote(user)
        return can_vote
    own_review = review.user_id is not None and review.user_id == user.pk
    return not own_review and not voted
