"""The search results page, its product cards read from the cache in one call and its
products in bulk (``apps.catalogue.mixins.CardPrefetchMixin``), and the search told to
Oscar's analytics as its table can keep it."""

from oscar.apps.search.signals import user_search
from oscar.apps.search.views import search as oscar_search
from oscar.core.loading import get_model

from apps.catalogue.mixins import CardPrefetchMixin

Category = get_model("catalogue", "Category")
UserSearch = get_model("analytics", "UserSearch")

#: The longest search the shop runs; what is typed past it is dropped. No title or phrase
#: a shopper looks for is longer, and a search of thousands of characters could hold a
#: worker (every word is looked up, and corrected when nothing finds it).
SEARCH_QUERY_MAX_LENGTH = 200


class FacetedSearchView(CardPrefetchMixin, oscar_search.FacetedSearchView):
    load_all = False  # the mixin reads the page's products, only as deep as it needs

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        data = kwargs.get("data")
        if data is not None and len(data.get("q", "")) > SEARCH_QUERY_MAX_LENGTH:
            data = data.copy()
            data["q"] = data["q"][:SEARCH_QUERY_MAX_LENGTH]
            kwargs["data"] = data
        return kwargs

    def get_context_data(self, *args, **kwargs):
        """Oscar's, with what the search engine says about the query: the words it searched
        instead of misspelt ones, whether only some words were found, and for a search
        that found nothing, the closest words the catalogue has and its departments."""
        context = super().get_context_data(*args, **kwargs)
        paginator = context.get("paginator")
        searched = getattr(paginator, "object_list", None)
        said = getattr(getattr(searched, "query", None), "shop", None) or {}
        context["search_corrected"] = said.get("corrected", "")
        context["search_partial"] = said.get("partial", False)
        context["search_suggestions"] = said.get("suggestions", [])
        if paginator is not None and not paginator.count:
            context["departments"] = Category.objects.filter(depth=1, is_public=True)
        return context

    def dispatch(self, request, *args, **kwargs):
        """Oscar's, whose analytics keep a signed-in shopper's searches (``UserSearch``):
        told the search as that column can hold it. Oscar sent it as typed, and on
        PostgreSQL a search longer than the column, or with a NUL, answered 500."""
        user_search.send(
            sender=self,
            session=request.session,
            user=request.user,
            query=recorded_query(request.GET.get("q", "")),
        )
        # Past Oscar's dispatch, which would send the signal again with the raw query.
        return super(oscar_search.FacetedSearchView, self).dispatch(request, *args, **kwargs)


def recorded_query(query: str) -> str:
    """``query`` as it was searched and ``UserSearch.query`` can hold it: no NUL, cut to
    the searched length (shorter than the column's)."""
    return query[:SEARCH_QUERY_MAX_LENGTH].replace("\x00", "")
