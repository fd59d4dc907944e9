"""`make bench` (bench/bench.py): the production settings, plus the benchmark's ceiling.

The shop is measured as it runs in production; this only mounts /bench/ceiling/ (the
catalogue page's HTML from memory, bench/views.py), which the production
settings refuse, and says what the page cache did (X-Shop-Page-Cache).
"""

from .production import *  # noqa: F403

INSTALLED_APPS += ["bench.apps.BenchConfig"]  # noqa: F405
SHOP_BENCH_CEILING = True
SHOP_PAGE_CACHE_HEADER = True
