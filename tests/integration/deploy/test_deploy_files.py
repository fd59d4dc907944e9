"""The samples in deploy/ fit together: gunicorn's settings are valid and sane, the systemd
units run the shop and its reconciliation every minute, nginx proxies to where gunicorn
listens, and the env template holds everything production refuses to start without."""

import configparser
import datetime
import re
import runpy
import secrets
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import get_commands
from gunicorn.config import Config
from gunicorn.glogging import Logger

from tests.unit.settings.production_env import PRODUCTION_ENV, ROOT, production_process

DEPLOY = ROOT / "deploy"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
ENV_TEMPLATE = DEPLOY / "oscar-shop.env"


@pytest.fixture
def gunicorn_conf(monkeypatch):
    """The gunicorn config file's settings, as gunicorn loads them, with no GUNICORN_* set."""
    for name in ("BIND", "WORKERS", "THREADS", "TIMEOUT", "ACCESS_LOG", "MAX_REQUESTS"):
        monkeypatch.delenv(f"GUNICORN_{name}", raising=False)
    return lambda: runpy.run_path(str(GUNICORN_CONF))


def gunicorn_settings(namespace: dict) -> dict:
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_") and not callable(value) and not hasattr(value, "__file__")
    }


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(path)
    return parser


def env_template() -> dict[str, str]:
    values = {}
    for line in ENV_TEMPLATE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip('"')
    return values


def test_every_gunicorn_setting_is_one_gunicorn_knows_and_accepts(gunicorn_conf):
    config = Config()
    conf_settings = gunicorn_settings(gunicorn_conf())
    unknown = set(conf_settings) - set(config.settings) - {"multiprocessing", "os", "sys"}
    assert not unknown
    for name, value in conf_settings.items():
        if name in config.settings:
            config.set(name, value)  # gunicorn's own validators raise on a bad value
    assert config.worker_class_str == "gthread"
    assert config.preload_app is True
    assert issubclass(config.logger_class, Logger)


def test_gunicorn_defaults_are_sane_for_a_shop_that_waits_on_daraja(gunicorn_conf):
    import multiprocessing

    conf = gunicorn_conf()
    assert conf["wsgi_app"] == "oscar_shop.wsgi:application"
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert conf["threads"] >= 2
    # A worker is never killed while an STK push is still allowed to wait on Daraja.
    assert conf["timeout"] > settings.MPESA_CONNECT_TIMEOUT + settings.MPESA_READ_TIMEOUT
    assert 0 < conf["graceful_timeout"] <= conf["timeout"]
    assert 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["preload_app"] is True
    assert conf["accesslog"] == "-"
    assert "status=%(s)s" in conf["access_log_format"]


def test_gunicorn_takes_its_numbers_from_the_environment(gunicorn_conf, monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "unix:/run/oscar-shop/gunicorn.sock")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "90")
    conf = gunicorn_conf()
    assert (conf["bind"], conf["workers"], conf["threads"], conf["timeout"]) == (
        "unix:/run/oscar-shop/gunicorn.sock",
        3,
        8,
        90,
    )


def test_gunicorn_access_lines_never_show_the_callback_token(gunicorn_conf):
    config = Config()
    config.set("accesslog", None)
    logger = gunicorn_conf()["logger_class"](config)
    path = "/payments/stk/callback/Zq3x-9Lk_p0Vw8Hr2TbY6cNe4Ju1Ms7A/"
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=42, headers=[])
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", "196.201.214.200")])

    atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=12))

    assert atoms["U"] == "/payments/stk/callback/[redacted]/"
    assert atoms["r"] == "POST /payments/stk/callback/[redacted]/ HTTP/1.1"
    assert atoms["{x-forwarded-for}i"] == "196.201.214.200"


def test_the_timer_runs_mpesa_reconcile_every_minute():
    timer = unit(DEPLOY / "systemd" / "shop-reconcile.timer")
    assert timer["Timer"]["Unit"] == "shop-reconcile.service"
    assert timer["Timer"]["OnCalendar"] == "minutely"
    assert timer["Install"]["WantedBy"] == "timers.target"

    service = unit(DEPLOY / "systemd" / timer["Timer"]["Unit"])["Service"]
    assert service["Type"] == "oneshot"
    command = service["ExecStart"].split()
    assert command[-2:] == ["manage.py", "mpesa_reconcile"]
    assert "mpesa_reconcile" in get_commands()
    assert service["EnvironmentFile"] == "/etc/oscar-shop/env"
    assert service["Environment"] == "DJANGO_SETTINGS_MODULE=oscar_shop.settings.production"


def test_the_mail_unit_runs_the_order_email_worker_the_env_template_asks_for():
    service = unit(DEPLOY / "systemd" / "shop-mail.service")["Service"]
    command = service["ExecStart"].split()
    assert command[-2:] == ["manage.py", "order_email_worker"]
    assert "order_email_worker" in get_commands()
    assert service["EnvironmentFile"] == "/etc/oscar-shop/env"
    assert service["Environment"] == "DJANGO_SETTINGS_MODULE=oscar_shop.settings.production"
    assert service["Restart"] == "always"
    # Below the web workers (systemd's default CPUWeight is 100): payments first.
    assert int(service["CPUWeight"]) < 100 and int(service["Nice"]) > 0
    assert env_template()["ORDER_EMAILS_SENT_BY"] == "worker"


def test_the_web_unit_runs_gunicorn_with_the_repository_config():
    service = unit(DEPLOY / "systemd" / "shop-web.service")["Service"]
    command = service["ExecStart"].split()
    assert command[0].endswith("/.venv/bin/gunicorn")
    assert command[1:] == ["--config", "deploy/gunicorn.conf.py"]
    assert command[2] == str(GUNICORN_CONF.relative_to(ROOT))
    assert service["EnvironmentFile"] == "/etc/oscar-shop/env"
    assert service["Environment"] == "DJANGO_SETTINGS_MODULE=oscar_shop.settings.production"
    assert service["Type"] == "notify"


def test_nginx_proxies_to_gunicorn_over_tls_and_serves_media_from_disk(gunicorn_conf):
    site = (DEPLOY / "nginx" / "oscar-shop.conf").read_text()
    upstream = re.search(r"upstream oscar_shop \{\s*server ([^;]+);", site).group(1)
    assert upstream == gunicorn_conf()["bind"]
    assert "proxy_pass http://oscar_shop;" in site
    assert re.search(r"listen 443 ssl", site)
    assert "return 301 https://$host$request_uri;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_set_header Host $host;" in site
    assert re.search(r"client_max_body_size \d+m;", site)
    media = re.search(r"location /media/ \{\s*alias ([^;]+);", site).group(1)
    assert media.rstrip("/") == env_template()["DJANGO_MEDIA_ROOT"]
    # The callback token is blanked in nginx's access log too.
    assert (
        "[redacted]" in site
        and "access_log /var/log/nginx/oscar-shop.access.log oscar_shop;" in site
    )


def test_the_env_template_names_every_setting_production_requires():
    production = (ROOT / "oscar_shop" / "settings" / "production.py").read_text()
    required = set(re.findall(r'_required\("(\w+)"\)', production))
    assert {"DJANGO_SECRET_KEY", "REDIS_URL", "DJANGO_EMAIL_HOST"} <= required
    template = env_template()
    # Present in the template; that its values suffice is the check --deploy test below.
    assert required <= set(template)
    assert template["DJANGO_ALLOWED_HOSTS"]
    assert template["DATABASE_URL"].startswith("postgres://")


def test_the_env_templates_placeholders_keep_production_from_starting():
    template = env_template()
    assert template["DJANGO_SECRET_KEY"].startswith("CHANGE")
    environment = {name: None for name in PRODUCTION_ENV} | template
    environment["DJANGO_SETTINGS_MODULE"] = "oscar_shop.settings.production"
    result = production_process(["manage.py", "check"], **environment)
    assert result.returncode != 0
    assert (
        "DJANGO_SECRET_KEY must be set in production: it still has the template's placeholder"
        in (result.stderr)
    )


def test_a_server_set_up_from_the_env_template_passes_check_deploy():
    # Only what the template and the systemd unit set: nothing borrowed from the test's own env.
    template = env_template()
    # What an operator fills in: random hex (it can spell no word Safaricom refuses in a URL).
    filled_in = {
        name: value.replace("CHANGE", secrets.token_hex(16)) for name, value in template.items()
    }
    environment = {name: None for name in PRODUCTION_ENV} | filled_in
    environment["DJANGO_SETTINGS_MODULE"] = "oscar_shop.settings.production"
    result = production_process(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **environment
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_every_variable_production_and_gunicorn_read_is_documented_in_env_example():
    production = (ROOT / "oscar_shop" / "settings" / "production.py").read_text()
    gunicorn = GUNICORN_CONF.read_text()
    read = set(re.findall(r'(?:_required|_bool|_int|env(?:\.\w+)?)\("(\w+)"', production))
    read |= set(re.findall(r'(?:os\.environ\.get|_env_int)\("(\w+)"', gunicorn))
    assert {"DJANGO_SECURE_HSTS_SECONDS", "DJANGO_EMAIL_HOST", "GUNICORN_WORKERS"} <= read
    documented = set(re.findall(r"^#? ?(\w+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - documented == set()
