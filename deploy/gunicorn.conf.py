"""Gunicorn settings for the shop: ``gunicorn -c deploy/gunicorn.conf.py oscar_shop.wsgi``.

Every value can be changed from the environment (the systemd unit reads /etc/oscar-shop/env),
so a bigger server needs no edit here. Why these values:

* ``gthread`` workers: an STK push waits on Daraja for up to MPESA_CONNECT_TIMEOUT +
  MPESA_READ_TIMEOUT seconds; threads keep the other shoppers served meanwhile.
* ``timeout`` above that wait, so a slow Daraja never gets a worker killed mid-payment.
* ``preload_app``: a settings error (a missing secret) stops the master before any worker
  forks, and the code is loaded once and shared.
* ``max_requests`` with jitter: workers are recycled one at a time, never all at once; a
  leak guard, so counted in tens of thousands: a new worker starts cold (templates,
  connections, the search index), and at 1,000 requests a busy shop recycled each worker
  every few seconds, which halved what the server could serve (measured with make bench).
* The access log blanks the callback token and the C2B path secret, which travel in the URL.
"""

import multiprocessing
import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger

# The shop's code (oscar_shop.logging) sits one folder up, wherever the checkout is.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oscar_shop.logging import scrub  # noqa: E402


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


wsgi_app = "oscar_shop.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "") or "127.0.0.1:8000"
workers = _env_int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx keeps connections to gunicorn open (upstream keepalive).
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
preload_app = True
# No control socket (gunicornc): it would live in the home folder systemd keeps read-only;
# systemctl reload / restart do what the shop needs.
control_socket_disable = True
# The heartbeat file on tmpfs: a slow disk must not make workers look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Logs go to stdout/stderr, where systemd's journal picks them up.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "") or "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "") or "info"
# key=value, one request a line. remote is the shopper's address as nginx saw it.
access_log_format = (
    'remote=%({x-forwarded-for}i)s method=%(m)s path="%(U)s" query="%(q)s" status=%(s)s '
    'bytes=%(B)s duration_ms=%(M)s referer="%(f)s" agent="%(a)s"'
)


class SecretRedactingLogger(Logger):
    """Gunicorn's logger with the secrets of the M-Pesa callback paths blanked in access lines."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = scrub(atoms[key])
        return atoms


logger_class = SecretRedactingLogger
