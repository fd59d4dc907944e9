"""Prompt limits count prompts that went out, per phone, order, session and address, in
the database, atomically (apps/payment/mpesa/services/limits.py)."""

import threading
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import close_old_connections, connection, transaction

from apps.payment.models import MpesaAttemptStatus, MpesaPaymentAttempt, MpesaPromptCount
from apps.payment.mpesa import gateway, services
from apps.payment.mpesa.services import limits
from tests.integration.payment.conftest import place_pending_order

pytestmark = pytest.mark.django_db

PHONE = "254712345678"


def ask(order, phone=PHONE, session="session-a", address="41.90.1.1"):
    return services.stk_push_initiate(
        order_number=order.number,
        order=order,
        amount=order.total_incl_tax,
        phone=phone,
        requester=services.Requester(session_key=session, address=address),
    )


def counted(kind, value):
    row = MpesaPromptCount.objects.filter(kind=kind, key=limits.limit_key(kind, value)).first()
    return row.count if row else 0


def close_prompt(attempt):
    MpesaPaymentAttempt.objects.filter(pk=attempt.pk).update(status=MpesaAttemptStatus.FAILED)


@pytest.mark.parametrize(
    "setting, vary",
    [
        # Each case changes everything but the one value under test between prompts.
        ("MPESA_PROMPTS_PER_PHONE", lambda i: {"session": f"s{i}", "address": f"10.0.0.{i}"}),
        ("MPESA_PROMPTS_PER_SESSION", lambda i: {"phone": f"25471100000{i}", "address": f"a{i}"}),
        ("MPESA_PROMPTS_PER_ADDRESS", lambda i: {"phone": f"25471100000{i}", "session": f"s{i}"}),
    ],
)
def test_each_limit_refuses_once_its_prompts_are_used_up(daraja, settings, setting, vary):
    setattr(settings, setting, 3)
    for i in range(3):
        close_prompt(ask(place_pending_order(f"20{i}"), **vary(i)))

    with pytest.raises(services.PromptLimitReached, match="Too many payment prompts") as refused:
        ask(place_pending_order("299"), **vary(9))

    assert len(daraja.pushes) == 3
    assert refused.value.wait_seconds > 0
    # Nothing is recorded for the refused request: no attempt, no slot taken.
    assert not MpesaPaymentAttempt.objects.filter(order_number="299").exists()


def test_one_order_gets_at_most_its_own_number_of_prompts(daraja, settings, pending_order):
    settings.MPESA_PROMPTS_PER_ORDER = 2
    for i in range(2):
        close_prompt(ask(pending_order, phone=f"25472200000{i}", session=f"s{i}", address=f"a{i}"))

    with pytest.raises(services.PromptLimitReached):
        ask(pending_order, phone="254722000009", session="s9", address="a9")
    assert counted("order", pending_order.number) == 2


def test_a_push_daraja_refuses_sent_no_prompt_and_counts_against_nothing(
    daraja, settings, pending_order
):
    settings.MPESA_PROMPTS_PER_PHONE = 1
    daraja.push_error = gateway.DarajaBusy("busy", error_code="500.003.02")
    for _ in range(3):
        with pytest.raises(services.PushRefused):
            ask(pending_order)
    assert counted("phone", PHONE) == 0

    daraja.push_error = None
    assert ask(pending_order).status == MpesaAttemptStatus.PENDING
    assert counted("phone", PHONE) == 1


def test_a_push_whose_outcome_is_unknown_keeps_its_slot(daraja, settings, pending_order):
    daraja.push_error = gateway.DarajaTimeout("read timed out")
    attempt = ask(pending_order)
    assert attempt.status == MpesaAttemptStatus.UNCONFIRMED  # the prompt may be on the phone
    assert counted("phone", PHONE) == 1


def test_requests_refused_before_a_prompt_count_against_nothing(daraja, settings, pending_order):
    """A prompt still open, a resend too soon, an order already settled: refused first."""
    settings.MPESA_RESEND_SPACING_SECONDS = 120
    requester = services.Requester(session_key="attacker", address="41.90.1.1")
    ask(pending_order, session="attacker")
    stranger = "254733000111"

    with pytest.raises(services.AttemptAlreadyOpen):
        ask(pending_order, phone=stranger, session="attacker")  # the open prompt's order
    for _ in range(5):
        with pytest.raises(services.AttemptAlreadyOpen):
            services.stk_push_resend(order=pending_order, phone=stranger, requester=requester)
    MpesaPaymentAttempt.objects.update(status=MpesaAttemptStatus.FAILED)
    with pytest.raises(services.ResendTooSoon):
        services.stk_push_resend(order=pending_order, phone=PHONE, requester=requester)
    pending_order.set_status("Cancelled")
    with pytest.raises(services.OrderNotPayable):
        services.stk_push_resend(order=pending_order, phone=stranger, requester=requester)

    assert counted("phone", stranger) == 0
    assert counted("session", "attacker") == 1
    assert counted("order", pending_order.number) == 1
    assert len(daraja.pushes) == 1


def test_emptying_the_cache_does_not_reset_a_limit(daraja, settings, pending_order):
    settings.MPESA_PROMPTS_PER_PHONE = 1
    close_prompt(ask(pending_order))
    cache.clear()  # a flood evicting everything, or Redis restarted

    with pytest.raises(services.PromptLimitReached):
        ask(place_pending_order("100778"))


def test_the_table_holds_no_session_key_or_phone_in_clear(daraja, pending_order):
    ask(pending_order, session="secret-session-key")
    keys = " ".join(MpesaPromptCount.objects.values_list("key", flat=True))
    assert "secret-session-key" not in keys and PHONE not in keys and "41.90.1.1" not in keys


def test_mpesa_reconcile_drops_ended_windows_only(daraja, settings, pending_order):
    ask(pending_order)
    now = limits.current_window()
    MpesaPromptCount.objects.create(kind="phone", key="old", window=now - 1, count=4)

    out = StringIO()
    call_command("mpesa_reconcile", stdout=out)

    assert "prompt counts: 1 ended windows dropped" in out.getvalue()
    assert not MpesaPromptCount.objects.filter(window__lt=now).exists()
    assert counted("phone", PHONE) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_take_more_slots_than_the_limit(settings):
    """Twelve requests race for the last three slots of one phone: exactly three win."""
    settings.MPESA_PROMPTS_PER_PHONE = 3
    start = threading.Barrier(12)
    outcomes = []

    def request(i):
        try:
            start.wait()
            with transaction.atomic():
                limits.reserve(
                    phone=PHONE,
                    order_number=f"9{i}",
                    requester=services.Requester(session_key=f"s{i}", address=f"a{i}"),
                )
            outcomes.append("sent")
        except services.PromptLimitReached:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * 9 + ["sent"] * 3
    assert counted("phone", PHONE) == 3
    # Every other limit moved only for the three winners.
    assert MpesaPromptCount.objects.filter(kind="order", count=1).count() == 3
