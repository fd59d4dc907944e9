"""The customer's emails about an order's payment, sent through an outbox.

The transaction that pays or cancels an order also writes its ``OrderEmail`` row (one per
order and kind: a second cannot be written), so the email is owed exactly when the change
is committed. After the commit the row is sent off the request's path and marked sent, by
whom ``ORDER_EMAILS_SENT_BY`` says: this process's background sender thread ("thread"),
the ``order_email_worker`` process ("worker": the web workers then spend nothing on mail,
and payments come first when both are busy), or the committing thread itself ("inline":
the test suite).

A sender first claims the row with one conditional UPDATE, so two senders (two workers, a
worker and the reconciliation timer) never send one email twice. A failed send keeps its
error and count, and ``mpesa_reconcile`` (the per-minute timer) tries it again after a
pause that doubles each time; the timer also sends whatever a killed or recycled worker
left unsent once ``ORDER_EMAIL_RETRY_SECONDS`` have passed, so nothing is lost.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sites.models import Site
from django.core.mail import get_connection
from django.db import close_old_connections, connections, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from apps.payment.models import OrderEmail

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")
OrderDispatcher = get_class("order.utils", "OrderDispatcher")

Kind = OrderEmail.Kind

ORDER_CANCELLED_EMAIL_CODE = "ORDER_PAYMENT_EXPIRED"
# How long a claimed row is left to its sender: far longer than a send can take (production
# gives up on a silent mail server after DJANGO_EMAIL_TIMEOUT, 10 s), so a row is never
# claimed twice while it is being sent, yet one whose sender died is sent later.
CLAIM_SECONDS = 300
# The longest pause between two tries of an email that keeps failing.
MAX_RETRY_PAUSE_SECONDS = 3600


# --- Writing and sending -------------------------------------------------------------------


def order_email_queue(*, order_id: int, kind: str, again: bool = False) -> None:
    """Owe the customer this email; call it inside the transaction that decides it.

    The unique constraint on (order, kind) refuses a second row for the same email; the
    INSERT skips it (ON CONFLICT DO NOTHING) instead of aborting the caller's transaction.
    With ``again`` (news that may come more than once, e.g. each refund), a row already
    sent is owed once more: it is sent again with what is true then.
    """
    if again:
        OrderEmail.objects.filter(order_id=order_id, kind=kind).update(
            sent_at=None, next_try_at=None, attempts=0, created_at=timezone.now()
        )
    OrderEmail.objects.bulk_create(
        [OrderEmail(order_id=order_id, kind=kind)], ignore_conflicts=True
    )
    transaction.on_commit(partial(_send_after_commit, order_id, kind), robust=True)


def _send_after_commit(order_id: int, kind: str) -> None:
    sent_by = settings.ORDER_EMAILS_SENT_BY
    if sent_by == "thread":
        background_sender.submit(order_id, kind)
    elif sent_by == "inline":
        order_email_send(order_id=order_id, kind=kind)
    # "worker": the order_email_worker process finds the row (order_emails_send_due).


SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"  # already sent, or another sender holds it


def order_email_send(
    *, order_id: int, kind: str, now: datetime | None = None, mail_connection=None
) -> str:
    """Send one owed email, unless it was sent or another sender holds it.

    With ``mail_connection`` (an email backend) the email goes over it, opened if need be
    and left open for the next one; a connection that failed is closed, not reused.
    """
    now = now or timezone.now()
    rows = OrderEmail.objects.filter(order_id=order_id, kind=kind, sent_at__isnull=True)
    claim = now + timedelta(seconds=CLAIM_SECONDS)
    claimed = rows.filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now)).update(
        next_try_at=claim, attempts=F("attempts") + 1
    )
    if not claimed:
        return SKIPPED
    # Marked sent (or failed) only while still this sender's claim: a row owed again
    # meanwhile (``again``) is left owed, for the news that came after this render.
    rows = rows.filter(next_try_at=claim)
    email = (
        OrderEmail.objects.select_related("order", "order__user")
        .prefetch_related("order__lines", "order__surcharges", "order__mpesa_attempts")
        .get(order_id=order_id, kind=kind)
    )
    try:
        if mail_connection is not None:
            mail_connection.open()
        SENDERS[kind](email.order, mail_connection)
    except Exception as exc:  # whatever the mail server or a template did: try again later
        if mail_connection is not None:
            with contextlib.suppress(Exception):
                mail_connection.close()
        pause = min(
            settings.ORDER_EMAIL_RETRY_SECONDS * 2 ** (email.attempts - 1),
            MAX_RETRY_PAUSE_SECONDS,
        )
        rows.update(
            next_try_at=now + timedelta(seconds=pause),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning(
            "Order email not sent (try %s, next in %s s): %s",
            email.attempts,
            pause,
            exc,
            extra={"order_number": email.order.number, "email_kind": kind},
        )
        return FAILED
    rows.update(sent_at=timezone.now(), next_try_at=None)
    return SENT


def order_emails_send_due(
    *, now: datetime | None = None, min_age_seconds: int | None = None, mail_connection=None
) -> int:
    """Send every email still owed ``min_age_seconds`` after it was queued (by default
    ``ORDER_EMAIL_RETRY_SECONDS``: its worker died, or the mail server failed and the
    pause is over; the mail worker passes 0). Returns how many went.

    Stops at the first failure: a mail server that is down fails them all, and the rest
    wait for the next run rather than each holding this one up.
    """
    now = now or timezone.now()
    if min_age_seconds is None:
        min_age_seconds = settings.ORDER_EMAIL_RETRY_SECONDS
    due = (
        OrderEmail.objects.filter(
            sent_at__isnull=True, created_at__lte=now - timedelta(seconds=min_age_seconds)
        )
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .order_by("created_at")
        .values_list("order_id", "kind")
    )
    sent = 0
    for order_id, kind in list(due):
        result = order_email_send(
            order_id=order_id, kind=kind, now=now, mail_connection=mail_connection
        )
        if result == FAILED:
            break
        if result == SENT:
            sent += 1
    return sent


# --- The background sender ------------------------------------------------------------------


class BackgroundSender:
    """One daemon thread per process sending the emails its requests queued, after commit.

    Started by the first email a process queues (so a gunicorn worker starts its own after
    the fork). It keeps its database connection and one connection to the mail server
    while it has work (a new SMTP session per email costs far more than the email), and
    closes both after ``idle_seconds`` without any. A process that exits (a recycled
    worker, a finished command) first gives it ``exit_seconds`` to finish; what is still
    unsent after that, or after a crash, is sent by the reconciliation timer.
    """

    idle_seconds = 5.0
    exit_seconds = 3.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[int, str]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._connection_closed = True

    def submit(self, order_id: int, kind: str) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._queue = queue.Queue()  # a forked child: the parent's thread is not here
                self._thread = None
            if self._thread is None or not self._thread.is_alive():
                if self._pid is None:
                    atexit.register(self._finish_at_exit)
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="order-emails", daemon=True
                )
                self._thread.start()
            self._queue.put((order_id, kind))

    def _run(self, work: queue.Queue) -> None:
        mail = None
        while True:
            try:
                order_id, kind = work.get(timeout=self.idle_seconds)
            except queue.Empty:
                if mail is not None:
                    with contextlib.suppress(Exception):
                        mail.close()
                    mail = None
                connections.close_all()  # this thread's connections only
                self._connection_closed = True
                continue
            self._connection_closed = False
            try:
                close_old_connections()  # as a request would: drop a broken or aged one
                mail = mail or get_connection()
                order_email_send(order_id=order_id, kind=kind, mail_connection=mail)
            except Exception:
                logger.exception("Order email sender failed; the timer will send it")
            finally:
                work.task_done()

    def _finish_at_exit(self) -> None:
        self.wait_until_idle(self.exit_seconds, connection_closed=False)

    def wait_until_idle(self, timeout: float = 10.0, *, connection_closed: bool = True) -> bool:
        """Wait until every email handed over was dealt with (a process about to exit) and,
        with ``connection_closed``, the thread gave its database connection back (a test,
        before its database goes away). False if that took longer than ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self._queue.unfinished_tasks == 0
            if done and (self._connection_closed or not connection_closed):
                return True
            time.sleep(0.01)
        return False


background_sender = BackgroundSender()


# --- The emails themselves ------------------------------------------------------------------


def _order_message_context(order) -> dict:
    if order.user_id:
        path = reverse("customer:order", kwargs={"order_number": order.number})
    else:
        path = reverse(
            "customer:anon-order",
            kwargs={"order_number": order.number, "hash": order.verification_hash()},
        )
    site = Site.objects.get_current()
    return {
        "user": order.user or AnonymousUser(),
        "order": order,
        "lines": order.lines.all(),
        "status_path": path,
        "status_url": f"{settings.OSCAR_URL_SCHEMA}://{site.domain}{path}",
        "receipt_numbers": [
            a.receipt_number for a in order.mpesa_attempts.all() if a.receipt_number
        ],
    }


def _send_order_confirmation(order, mail_connection=None) -> None:
    """The order confirmation, sent once the payment has arrived (not when placed)."""
    dispatcher = OrderDispatcher(logger=logger, mail_connection=mail_connection)
    dispatcher.send_order_placed_email_for_user(order, _order_message_context(order))


def _send_order_cancelled(order, mail_connection=None) -> None:
    dispatcher = OrderDispatcher(logger=logger, mail_connection=mail_connection)
    messages = dispatcher.dispatcher.get_messages(
        ORDER_CANCELLED_EMAIL_CODE, _order_message_context(order)
    )
    dispatcher.dispatch_order_messages(order, messages, ORDER_CANCELLED_EMAIL_CODE)


ORDER_REFUNDED_EMAIL_CODE = "ORDER_REFUNDED"


def _send_order_refunded(order, mail_connection=None) -> None:
    """What the shop has sent back to the customer's M-Pesa for the order, every refund."""
    context = _order_message_context(order)
    context["refunds"] = list(
        order.mpesa_refunds.filter(status="completed").order_by("settled_at", "pk")
    )
    dispatcher = OrderDispatcher(logger=logger, mail_connection=mail_connection)
    messages = dispatcher.dispatcher.get_messages(ORDER_REFUNDED_EMAIL_CODE, context)
    dispatcher.dispatch_order_messages(order, messages, ORDER_REFUNDED_EMAIL_CODE)


ORDER_PAY_REMINDER_EMAIL_CODE = "ORDER_PAY_REMINDER"


def _send_pay_reminder(order, mail_connection=None) -> None:
    """The order's payment link, for a guest whose order is still unpaid (none once it
    is paid or cancelled: the reminder is then done without a message)."""
    # Imported here: the services and the waiting page import this module.
    from .services import ORDER_PENDING, order_money
    from .waiting import waiting_page_url

    if order.status != ORDER_PENDING:
        return
    context = _order_message_context(order)
    site = Site.objects.get_current()
    context.update(
        pay_url=f"{settings.OSCAR_URL_SCHEMA}://{site.domain}{waiting_page_url(order.number)}",
        balance=order_money(order).balance,
        expiry_minutes=settings.MPESA_ORDER_EXPIRY_MINUTES,
        show_paybill=settings.MPESA_C2B_ENABLED,
        paybill_number=settings.MPESA_SHORTCODE,
    )
    dispatcher = OrderDispatcher(logger=logger, mail_connection=mail_connection)
    messages = dispatcher.dispatcher.get_messages(ORDER_PAY_REMINDER_EMAIL_CODE, context)
    dispatcher.dispatch_order_messages(order, messages, ORDER_PAY_REMINDER_EMAIL_CODE)


SENDERS = {
    Kind.CONFIRMATION: _send_order_confirmation,
    Kind.CANCELLED: _send_order_cancelled,
    Kind.REFUND: _send_order_refunded,
    Kind.PAY_REMINDER: _send_pay_reminder,
}
