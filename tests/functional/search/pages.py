"""Reading the storefront's listing pages as a shopper sees them: the product cards in
their order, across the pages, and the filters (facets) beside them with their links."""

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from apps.demo import data as demo_data

PRICE_OF_TITLE = {product.title: product.price for product in demo_data.PRODUCTS}


@dataclass(frozen=True)
class FacetItem:
    label: str
    #: The link that chooses this value (None when it is chosen already or disabled).
    url: str | None
    #: The number shown beside it, if any.
    count: int | None
    selected: bool


def card_titles(page) -> list[str]:
    """The full titles of the product cards on one page, in their order."""
    return [link["title"] for link in page.html.select("#main .shop-card-title a")]


def listed_titles(app, url: str, max_pages: int = 10) -> list[str]:
    """Every product a listing shows, following its "next" links."""
    titles: list[str] = []
    for _ in range(max_pages):
        page = app.get(url)
        titles += card_titles(page)
        next_link = next(
            (
                link
                for link in page.html.select("#main .pagination a.page-link")
                if link.text.strip().lower() == "next"
            ),
            None,
        )
        if next_link is None:
            return titles
        url = urljoin(url, next_link["href"])
    raise AssertionError(f"{url} has more than {max_pages} pages")


def facets(page) -> dict[str, list[FacetItem]]:
    """The filters beside the products, by heading ("Type", "Price range", …)."""
    found: dict[str, list[FacetItem]] = {}
    for block in page.html.select("#main dl"):
        heading = block.select_one("dt")
        if heading is None:
            continue
        items = [facet_item(value) for value in block.select("dd")]
        found[heading.get_text(" ", strip=True)] = items
    return found


def facet_item(value) -> FacetItem:
    link = value.select_one("a[href]")
    chosen = value.select_one("input[type=checkbox][checked]") is not None
    if link is not None:
        label = link.get_text(" ", strip=True)
    else:
        shown = value.select_one("strong") or value
        label = re.sub(r"\s*\(\d+\)\s*$", "", shown.get_text(" ", strip=True))
    count = re.search(r"\((\d[\d,]*)\)\s*$", value.get_text(" ", strip=True))
    return FacetItem(
        label=label,
        url=link["href"] if link is not None else None,
        count=int(count.group(1).replace(",", "")) if count else None,
        selected=chosen,
    )


def all_facet_items(page) -> list[tuple[str, FacetItem]]:
    return [(name, item) for name, items in facets(page).items() for item in items]
