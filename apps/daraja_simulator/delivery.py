"""POSTing callbacks to the shop from background threads, after Daraja's answer has gone out.

Each thread closes its database connections when done: it runs outside Django's request cycle,
which would otherwise leave them open.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import requests
from django.core.signals import request_finished, request_started
from django.db import connections, transaction
from django.dispatch import receiver

from .models import CallbackDelivery

logger = logging.getLogger(__name__)

CALLBACK_TIMEOUT = (5.0, 15.0)
CALLBACK_HEADERS = {"Content-Type": "application/json;charset=UTF-8"}


_request = threading.local()


@receiver(request_started, dispatch_uid="daraja_simulator.request_started")
def _collect_jobs(**kwargs) -> None:
    _request.pending_starts = []


@receiver(request_finished, dispatch_uid="daraja_simulator.request_finished")
def _start_collected_jobs(**kwargs) -> None:
    """Start the request's jobs only now: the answer (e.g. the push's) has gone out first."""
    pending, _request.pending_starts = getattr(_request, "pending_starts", None), None
    for start in pending or ():
        start()


def run_later(delay: float, job: Callable[..., None], *args) -> None:
    """Run ``job(*args)`` in a daemon thread after ``delay`` seconds.

    The thread starts once the caller's transaction commits and, inside a request, once the
    response has been sent, so a callback never overtakes the answer to the push.
    """

    def runner() -> None:
        try:
            if delay > 0:
                time.sleep(delay)
            job(*args)
        except Exception:
            logger.exception("Daraja simulator background job %s failed", job.__name__)
        finally:
            connections.close_all()

    def start() -> None:
        threading.Thread(target=runner, name=f"daraja-sim-{job.__name__}", daemon=True).start()

    def schedule() -> None:
        pending = getattr(_request, "pending_starts", None)
        if pending is None:
            start()
        else:
            pending.append(start)

    transaction.on_commit(schedule)


def post(kind: str, reference: str, url: str, body: str) -> requests.Response | None:
    """POST one JSON body to the shop and record what happened; never raises."""
    delivery = CallbackDelivery(kind=kind, reference=reference, url=url, body=body)
    response = None
    try:
        response = requests.post(
            url, data=body.encode(), headers=CALLBACK_HEADERS, timeout=CALLBACK_TIMEOUT
        )
        delivery.status_code = response.status_code
        delivery.response_body = response.text[:2000]
    except requests.RequestException as exc:
        delivery.error = str(exc)[:500]
        logger.warning("Daraja simulator could not deliver %s to %s: %s", kind, url, exc)
    delivery.save()
    return response
