"""``manage.py search_timing``: how long the search engine takes to answer, uncached.

Each search is answered by the engine itself (``ShopSearchBackend.answer``, not the cached
``search``), as a page of 24 with Oscar's facets, ``--repeat`` times, in this one process;
prints the products searched and, per search, the hits and p50/p95 in milliseconds, as
JSON (``make bench`` reads it). The searches suit the scale data (``generate_scale_data``:
titles "Scale <word> <n>"): a word, a word start, a misspelling, two words, a word found
nowhere, the whole catalogue and a price range.
"""

import json
import statistics
import time

from django.core.management.base import BaseCommand
from haystack import connections
from oscar.apps.search.facets import base_sqs
from oscar.core.loading import get_model

Product = get_model("catalogue", "Product")

SEARCHES = {
    "word (jiko)": "jiko",
    "word start (kiond)": "kiond",
    "misspelt (sufria)": "sufria",
    "two words (chai 7)": "chai 7",
    "found nowhere (zzxqv)": "zzxqv",
    "whole catalogue": None,
}


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repeat", type=int, default=20)

    def handle(self, *args, repeat: int, **options) -> None:
        backend = connections["default"].get_backend()
        timings = {}
        for label, text in [*SEARCHES.items(), ("whole catalogue, KSh 1,000 to 2,500", "")]:
            sqs = base_sqs().auto_query(text) if text else base_sqs()
            if text == "":
                sqs = sqs.narrow("price:([1000 TO 2500])")
            query = sqs.query
            kwargs = {**query.build_params(), "start_offset": 0, "end_offset": 24}
            taken = []
            for _ in range(repeat):
                started = time.perf_counter()
                answer = backend.answer(query.build_query(), **kwargs)
                taken.append((time.perf_counter() - started) * 1000)
            taken.sort()
            timings[label] = {
                "hits": answer["hits"],
                "p50": round(statistics.median(taken), 1),
                "p95": round(taken[max(0, int(len(taken) * 0.95) - 1)], 1),
            }
        products = Product.objects.filter(is_public=True).count()
        self.stdout.write(json.dumps({"products": products, "searches": timings}))
