"""Settings split by purpose: ``local`` (embedded run), ``test``, ``production``."""
