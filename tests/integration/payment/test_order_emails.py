"""Order emails through the outbox: owed with the payment, sent once, never lost."""

import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.payment.models import OrderEmail
from apps.payment.mpesa import emails, services
from tests.functional.checkout.conftest import wait_until
from tests.helpers import database_url

from .conftest import initiate, place_pending_order, success
from .test_stk_callback_view import post, success_body

Kind = OrderEmail.Kind


class MailServerDown(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class SlowMailServer(MemoryBackend):
    """Holds every email until the test opens ``gate``; then delivers it to mail.outbox."""

    gate = threading.Event()

    def send_messages(self, messages):
        assert self.gate.wait(timeout=10), "the test never opened the gate"
        return super().send_messages(messages)


class CountingMailServer(SlowMailServer):
    """Counts the sessions opened with the mail server."""

    sessions = 0

    def open(self):
        if getattr(self, "session", None) is None:
            self.session = type(self).sessions = type(self).sessions + 1
            return True
        return False

    def close(self):
        self.session = None


def use_backend(settings, backend: type) -> None:
    settings.EMAIL_BACKEND = f"{backend.__module__}.{backend.__qualname__}"


def pay(attempt, capture, receipt: str = "NLJ7RT61SV"):
    with capture(execute=True):
        return services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt, receipt))


@pytest.mark.django_db
class TestOutbox:
    def test_paying_owes_one_confirmation_and_sends_it_once(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        pay(attempt, django_capture_on_commit_callbacks)
        pay(attempt, django_capture_on_commit_callbacks)  # a duplicate success

        [email] = OrderEmail.objects.all()
        assert (email.order, email.kind, email.attempts) == (pending_order, Kind.CONFIRMATION, 1)
        assert email.sent_at is not None and email.last_error == ""
        [message] = mail.outbox
        assert message.to == ["wanjiku@example.com"]

    def test_an_email_can_be_owed_only_once(self, pending_order):
        with transaction.atomic():
            emails.order_email_queue(order_id=pending_order.pk, kind=Kind.CONFIRMATION)
            emails.order_email_queue(order_id=pending_order.pk, kind=Kind.CONFIRMATION)
        assert OrderEmail.objects.count() == 1
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderEmail.objects.create(order=pending_order, kind=Kind.CONFIRMATION)

    def test_nothing_is_owed_when_the_payment_is_rolled_back(self, daraja, pending_order):
        attempt = initiate(pending_order)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))
            raise RuntimeError("the request died before commit")
        assert not OrderEmail.objects.exists()

    def test_cancelling_an_unpaid_order_owes_the_cancellation(
        self, pending_order, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.order_cancel_unpaid(order_id=pending_order.pk)

        [email] = OrderEmail.objects.all()
        assert email.kind == Kind.CANCELLED and email.sent_at is not None
        [message] = mail.outbox
        assert "cancelled" in message.subject

    def test_a_failed_send_keeps_its_error_and_the_timer_sends_it_after_a_pause(
        self, daraja, pending_order, settings, django_capture_on_commit_callbacks
    ):
        use_backend(settings, MailServerDown)
        attempt = initiate(pending_order)
        pay(attempt, django_capture_on_commit_callbacks)

        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"  # the payment stands without its email
        email = OrderEmail.objects.get()
        assert email.sent_at is None and email.attempts == 1
        assert email.last_error.startswith("SMTPServerDisconnected")
        assert mail.outbox == []

        soon = timezone.now() + timedelta(seconds=settings.ORDER_EMAIL_RETRY_SECONDS - 5)
        assert services.mpesa_reconcile(now=soon).emails_sent == 0  # still pausing
        later = timezone.now() + timedelta(seconds=settings.ORDER_EMAIL_RETRY_SECONDS + 1)
        assert services.mpesa_reconcile(now=later).emails_sent == 0  # the server is still down
        email.refresh_from_db()
        assert email.attempts == 2
        assert email.next_try_at >= later + timedelta(
            seconds=2 * settings.ORDER_EMAIL_RETRY_SECONDS
        )

        use_backend(settings, MemoryBackend)
        back_up = email.next_try_at
        assert services.mpesa_reconcile(now=back_up).emails_sent == 1
        assert services.mpesa_reconcile(now=back_up + timedelta(hours=1)).emails_sent == 0
        email.refresh_from_db()
        assert email.sent_at is not None and email.attempts == 3
        assert email.last_error.startswith("SMTPServerDisconnected")  # what happened, kept
        [message] = mail.outbox
        assert message.to == ["wanjiku@example.com"]

    def test_an_email_a_dead_worker_never_sent_goes_with_the_next_timer_run(
        self, daraja, pending_order, settings
    ):
        # Paid, committed, and the process gone before its after-commit send ran.
        attempt = initiate(pending_order)
        services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))
        assert OrderEmail.objects.get().sent_at is None

        assert services.mpesa_reconcile().emails_sent == 0  # its own sender may still send it
        later = timezone.now() + timedelta(seconds=settings.ORDER_EMAIL_RETRY_SECONDS + 1)
        assert services.mpesa_reconcile(now=later).emails_sent == 1
        assert len(mail.outbox) == 1

    def test_an_email_another_sender_holds_is_left_to_it(self, pending_order):
        now = timezone.now()
        OrderEmail.objects.create(
            order=pending_order,
            kind=Kind.CONFIRMATION,
            attempts=1,
            next_try_at=now + timedelta(seconds=emails.CLAIM_SECONDS),
        )
        assert (
            emails.order_email_send(order_id=pending_order.pk, kind=Kind.CONFIRMATION, now=now)
            == emails.SKIPPED
        )
        assert mail.outbox == []
        # A sender that died holding it lets go when its claim runs out.
        after_claim = now + timedelta(seconds=emails.CLAIM_SECONDS)
        assert services.mpesa_reconcile(now=after_claim).emails_sent == 1
        assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
class TestBackgroundSender:
    @pytest.fixture(autouse=True)
    def sender(self, settings):
        settings.ORDER_EMAILS_SENT_BY = "thread"
        emails.background_sender.idle_seconds = 0.05
        yield emails.background_sender
        SlowMailServer.gate.set()
        # The thread gives its database connection back before the test database goes.
        assert emails.background_sender.wait_until_idle(timeout=10)
        emails.background_sender.idle_seconds = emails.BackgroundSender.idle_seconds

    def test_the_callback_is_answered_without_waiting_for_the_mail_server(
        self, client, daraja, settings
    ):
        use_backend(settings, SlowMailServer)
        SlowMailServer.gate.clear()
        order = place_pending_order("100801")
        attempt = initiate(order)

        response = post(client, attempt.raw_token, success_body(attempt))

        assert response.status_code == 200  # answered while the mail server holds the email
        order.refresh_from_db()
        assert order.status == "Paid"
        assert OrderEmail.objects.get(order=order).sent_at is None
        assert mail.outbox == []
        SlowMailServer.gate.set()
        wait_until(
            lambda: OrderEmail.objects.filter(order=order, sent_at__isnull=False).exists(),
            what="the confirmation to be sent",
        )
        [message] = mail.outbox
        assert message.to == ["wanjiku@example.com"]

    def test_a_burst_of_emails_goes_over_one_mail_server_session(self, client, daraja, settings):
        use_backend(settings, CountingMailServer)
        CountingMailServer.gate.clear()
        CountingMailServer.sessions = 0
        orders = [place_pending_order(f"10081{n}") for n in range(3)]
        for n, order in enumerate(orders):
            attempt = initiate(order)
            post(client, attempt.raw_token, success_body(attempt, receipt=f"RCPT0081{n}"))

        CountingMailServer.gate.set()
        wait_until(
            lambda: OrderEmail.objects.filter(sent_at__isnull=False).count() == 3,
            what="three confirmations to be sent",
        )
        assert len(mail.outbox) == 3
        assert CountingMailServer.sessions == 1

    def test_senders_racing_for_one_email_send_it_once(self, pending_order, settings):
        use_backend(settings, SlowMailServer)
        SlowMailServer.gate.clear()
        OrderEmail.objects.create(order=pending_order, kind=Kind.CONFIRMATION)
        start = threading.Barrier(6)

        def sender(_):
            start.wait()
            try:
                return emails.order_email_send(order_id=pending_order.pk, kind=Kind.CONFIRMATION)
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = pool.map(sender, range(6))
            time.sleep(0.2)  # every sender has tried while the first one is still sending
            SlowMailServer.gate.set()
            results = list(results)

        assert sorted(results) == [emails.SENT] + [emails.SKIPPED] * 5
        email = OrderEmail.objects.get()
        assert email.attempts == 1 and email.sent_at is not None
        assert len(mail.outbox) == 1


@pytest.mark.django_db
class TestMailWorker:
    """ORDER_EMAILS_SENT_BY=worker: the web workers write the outbox row only; the
    order_email_worker process sends it, at once (not after the reconcile's pause)."""

    def test_the_callback_leaves_the_email_to_the_worker_which_sends_it_at_once(
        self, client, daraja, settings, django_capture_on_commit_callbacks
    ):
        settings.ORDER_EMAILS_SENT_BY = "worker"
        order = place_pending_order("100851")
        attempt = initiate(order)
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, attempt.raw_token, success_body(attempt))

        assert response.status_code == 200
        assert OrderEmail.objects.get(order=order).sent_at is None
        assert mail.outbox == []
        # Not yet due for the reconcile (ORDER_EMAIL_RETRY_SECONDS), due for the worker.
        assert services.mpesa_reconcile().emails_sent == 0

        out = StringIO()
        call_command("order_email_worker", "--once", stdout=out)

        assert "order emails sent: 1" in out.getvalue()
        assert OrderEmail.objects.get(order=order).sent_at is not None
        [message] = mail.outbox
        assert message.to == ["wanjiku@example.com"]
        call_command("order_email_worker", "--once", stdout=StringIO())
        assert len(mail.outbox) == 1  # sent once

    def test_the_worker_sends_a_burst_over_one_mail_server_session(self, settings):
        use_backend(settings, CountingMailServer)
        CountingMailServer.gate.set()
        CountingMailServer.sessions = 0
        for n in range(3):
            order = place_pending_order(f"10086{n}")
            OrderEmail.objects.create(order=order, kind=Kind.CONFIRMATION)

        call_command("order_email_worker", "--once", stdout=StringIO())

        assert OrderEmail.objects.filter(sent_at__isnull=False).count() == 3
        assert len(mail.outbox) == 3 and CountingMailServer.sessions == 1

    def test_with_the_mail_server_down_the_worker_keeps_the_email_for_later(self, settings):
        use_backend(settings, MailServerDown)
        order = place_pending_order("100871")
        OrderEmail.objects.create(order=order, kind=Kind.CONFIRMATION)

        call_command("order_email_worker", "--once", stdout=StringIO())

        email = OrderEmail.objects.get()
        assert email.sent_at is None and "SMTPServerDisconnected" in email.last_error
        assert email.next_try_at > timezone.now()  # paused, then retried


@pytest.mark.django_db(transaction=True)
def test_the_mail_worker_process_sends_as_emails_are_owed_and_stops_on_sigterm(settings):
    """The worker as systemd runs it: a process of its own, polling the outbox, sending
    what is owed within its poll interval, stopping cleanly on SIGTERM."""
    environment = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="oscar_shop.settings.local",
        DATABASE_URL=database_url(),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        ORDER_EMAILS_SENT_BY="worker",
        ORDER_EMAIL_WORKER_POLL_SECONDS="0.1",
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "order_email_worker"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        order = place_pending_order("100881")
        OrderEmail.objects.create(order=order, kind=Kind.CONFIRMATION)  # owed after it started
        wait_until(
            lambda: OrderEmail.objects.filter(sent_at__isnull=False).exists(),
            timeout=30,
            what="the worker to send the confirmation",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)

    assert worker.returncode == 0, err
    assert "order emails sent: 1" in out
    assert "wanjiku@example.com" in out  # the console mail backend printed the email
