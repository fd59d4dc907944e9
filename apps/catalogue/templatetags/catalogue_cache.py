"""``{% catalogue_cache "name" var ... %}…{% endcatalogue_cache %}``: a fragment cached until
the catalogue changes (see ``apps.storefront.cache``), safe to share between shoppers."""

from django import template
from django.core.cache import cache
from django.utils.safestring import mark_safe

from apps.catalogue.selectors import ready_as_cards
from apps.storefront import cache as shop_cache

register = template.Library()


class CatalogueCacheNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: template.base.FilterExpression, vary):
        self.nodelist = nodelist
        self.name = name
        self.vary = vary

    def render(self, context: template.Context) -> str:
        vary = [expression.resolve(context) for expression in self.vary]
        request = context.get("request")
        version = shop_cache.request_catalogue_version(request)
        key = shop_cache.fragment_key(self.name.resolve(context), *vary, version=version)
        pieces = shop_cache.cached_fragment(request, key)
        if pieces is None:
            placeholder = shop_cache.new_placeholder("csrf")
            with context.push(csrf_token=placeholder):
                pieces = shop_cache.fragment_cut(self.nodelist.render(context), placeholder)
            cache.set(key, pieces, shop_cache.fragment_timeout())
        return mark_safe(shop_cache.fragment_filled(pieces, context.get("csrf_token")))


@register.tag("catalogue_cache")
def do_catalogue_cache(parser: template.base.Parser, token: template.base.Token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a fragment name")
    nodelist = parser.parse(("endcatalogue_cache",))
    parser.delete_first_token()
    return CatalogueCacheNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )


@register.simple_tag(takes_context=True)
def cards_ready(context: template.Context, products: list) -> list:
    """``{% cards_ready products as products %}``: the products' cards read from the cache
    in one call, and only the products whose card must be rendered read with the
    relations a card reads (``apps.catalogue.selectors.ready_as_cards``)."""
    return ready_as_cards(list(products), request=context.get("request"))
