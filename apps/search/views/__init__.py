"""Oscar's search views, with the results page forked in ``search.py``."""
