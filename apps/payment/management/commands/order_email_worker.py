"""Send order emails from the outbox as they are owed, in a process of their own.

With ``ORDER_EMAILS_SENT_BY=worker`` the web workers only write the outbox row with the
payment; this process sends it (within ``ORDER_EMAIL_WORKER_POLL_SECONDS``) over one
connection to the mail server, kept open while there is work. Run it under systemd
(deploy/systemd/shop-mail.service, at a lower priority than the web workers: when both
are busy, payments come first and the emails follow). Several may run at once: each email
is claimed before it is sent. It stops on SIGTERM or SIGINT after the email in hand.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from django.conf import settings
from django.core.mail import get_connection
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.payment.mpesa.emails import order_emails_send_due


class Command(BaseCommand):
    help = "Send order emails from the outbox as they are owed (ORDER_EMAILS_SENT_BY=worker)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="send what is owed now, then stop")

    def handle(self, *args, once: bool, **options) -> None:
        stopping = threading.Event()
        if not once:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stopping.set())
        mail = None
        sent_total = 0
        try:
            passes = 0
            while not stopping.is_set():
                if passes:
                    close_old_connections()  # as a request would: drop a broken or aged one
                passes += 1
                mail = mail or get_connection()
                sent = order_emails_send_due(min_age_seconds=0, mail_connection=mail)
                sent_total += sent
                if once:
                    break
                if not sent:
                    with contextlib.suppress(Exception):
                        mail.close()  # nothing to send: give the mail server its slot back
                    mail = None
                    stopping.wait(settings.ORDER_EMAIL_WORKER_POLL_SECONDS)
        finally:
            if mail is not None:
                with contextlib.suppress(Exception):
                    mail.close()
        self.stdout.write(f"order emails sent: {sent_total}")
