"""The storefront's Kenyan catalogue and the Daraja simulator, for measuring checkout."""

from tests.functional.checkout.conftest import daraja_simulator  # noqa: F401  (shared fixture)
from tests.functional.storefront.conftest import catalogue  # noqa: F401  (shared fixture)
