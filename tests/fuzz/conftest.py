from tests.integration.payment.conftest import daraja, pending_order  # noqa: F401
