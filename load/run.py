"""``make load``: 50 simulated shoppers check out and pay for 2 minutes against gunicorn
with PostgreSQL, Redis and the Daraja simulator; then the records are checked and the
books audited (``manage.py mpesa_audit``): the run fails when they do not balance.

The shop runs the local settings (the production settings refuse the simulator and an
http callback URL) with PostgreSQL, Redis, DEBUG off and ``deploy/gunicorn.conf.py``.
All shoppers come from 127.0.0.1 and share the simulator's few test numbers, so the
per-phone and per-address prompt limits are raised for the run. Traffic goes to
127.0.0.1 only and stops after the set time.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench import Gunicorn, ensure_services, log, run  # noqa: E402

VAR = ROOT / "var" / "load"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
LOCUST = str(ROOT / "var" / "bench-venv" / "bin" / "locust")
RESULTS = ROOT / "load" / "results" / "latest.txt"
PORT = int(os.environ.get("LOAD_PORT", "8094"))
DB = "shop_load"


def shop_env() -> dict:
    env = dict(os.environ)
    base = f"http://127.0.0.1:{PORT}"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.local",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
            "REDIS_URL": "redis://127.0.0.1:6379/14",
            "DJANGO_MEDIA_ROOT": str(VAR / "media"),
            "MPESA_ENVIRONMENT": "simulator",
            "MPESA_BASE_URL": base,
            "MPESA_CALLBACK_BASE_URL": base,
            "SHOP_DOMAIN": f"127.0.0.1:{PORT}",
            "MPESA_PROMPTS_PER_PHONE": "1000000",
            "MPESA_PROMPTS_PER_ADDRESS": "1000000",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_BIND": f"127.0.0.1:{PORT}",
            "GUNICORN_ACCESS_LOG": "/dev/null",
            "BENCH_LOG": str(VAR / "gunicorn.log"),
            "SHOP_BENCH_CEILING": "true",  # Gunicorn() waits for this page to answer
        }
    )
    return env


def build() -> None:
    env = shop_env()
    run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
        + ["-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "-c", f"CREATE DATABASE {DB}"]
    )
    run(["redis-cli", "-n", "14", "flushdb"], capture_output=True)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    run([PYTHON, "manage.py", "load_demo_shop"], env=env, stdout=subprocess.DEVNULL)
    # Enough stock that no shopper finds a product sold out during the run.
    run(
        [PYTHON, "manage.py", "shell", "-c"]
        + [
            "from oscar.core.loading import get_model; "
            "get_model('partner', 'StockRecord').objects.update(num_in_stock=1000000)"
        ],
        env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--time", default="2m")
    options = parser.parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    ensure_services()
    log("Building the load database (demo shop on PostgreSQL)")
    build()
    lines = [
        f"make load — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores",
        f"{options.users} shoppers for {options.time}: gunicorn (deploy/gunicorn.conf.py), "
        "local settings with DEBUG off, PostgreSQL, Redis, the Daraja simulator in the same "
        "gunicorn (callbacks 3 s after the push)",
        "",
    ]
    env = shop_env()
    with Gunicorn.with_env(env):
        started = time.monotonic()
        locust = subprocess.run(
            [LOCUST, "-f", "load/locustfile.py", "--headless", "-u", str(options.users)]
            + ["-r", "5", "-t", options.time, "--host", f"http://127.0.0.1:{PORT}"]
            + ["--only-summary", "--stop-timeout", "40"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        log(f"locust ran {time.monotonic() - started:.0f} s, exit {locust.returncode}")
        time.sleep(8)  # the simulator's last callbacks (3 s after their push)
    output = locust.stdout + locust.stderr
    summary = [
        row
        for row in output.splitlines()
        if row.strip() and ("|" in row or row.startswith(("Type", "-", "LOAD_5XX", "  ", "Agg")))
    ]
    lines += summary[-60:]
    check = subprocess.run(
        [PYTHON, "load/check_records.py"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    lines += ["", "records after the run:", check.stdout.strip()]
    # The books balance: every shilling received applied, waiting or resolved; no order
    # paid without its money; no receipt counted twice (apps/payment/mpesa/audit.py).
    audit = subprocess.run(
        [PYTHON, "manage.py", "mpesa_audit"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    breaches = [row for row in audit.stdout.splitlines() if row.startswith("BREACH")]
    totals = [row for row in audit.stdout.splitlines() if row and not row.startswith("BREACH")]
    lines += ["", "books audit (manage.py mpesa_audit):", *breaches[:30], *totals]
    lines += [audit.stderr.strip()] if audit.returncode else []
    verdict = (
        locust.returncode == 0
        and check.returncode == 0
        and audit.returncode == 0
        and "LOAD_5XX 0" in output
    )
    passed = "PASS: every invariant holds, the books balance, zero 5xx"
    lines += ["", passed if verdict else "FAIL: see above"]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    sys.exit(0 if verdict else 1)


if __name__ == "__main__":
    main()
