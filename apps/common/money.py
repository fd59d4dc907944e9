"""Amounts as a person reads them: ``KSh 3,150``, ``KSh 215.52``.

One formatter for every screen, message, timeline entry and email outside templates
(templates use Oscar's ``currency`` filter, which this calls, so both read the same).
CSV exports keep plain numbers.
"""

from decimal import Decimal

from oscar.templatetags.currency_filters import currency


def ksh(amount: Decimal | int | str | None) -> str:
    """``KSh 3,150`` (with a no-break space), cents only where there are any."""
    if amount is None or amount == "":
        return ""
    return currency(Decimal(amount), "KES")
