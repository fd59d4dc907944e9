from decimal import Decimal

import pytest

from apps.common.money import ksh


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("3150"), "KSh\u00a03,150"),
        (Decimal("3150.00"), "KSh\u00a03,150"),
        (Decimal("215.52"), "KSh\u00a0215.52"),
        (1, "KSh\u00a01"),
        ("1250000", "KSh\u00a01,250,000"),
        (None, ""),
    ],
)
def test_amounts_read_as_shillings_with_thousands_separators(amount, shown):
    assert ksh(amount) == shown
