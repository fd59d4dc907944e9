"""The mixed run of ``make bench``: the big shop's gunicorn (production settings) serving
everything at once, as a shop does, instead of one page at a time.

For ``seconds`` together:

* anonymous shoppers on the cached pages (home, catalogue, a category, a product) and on
  ``/bench/ceiling/``, one wrk each at the same connections, counting the page cache's
  answers (``X-Shop-Page-Cache``, sent under the bench settings);
* a signed-in shopper on the catalogue (rendered for them);
* Daraja's success callbacks for open STK pushes, posted "through nginx" as in the
  endpoints' run;
* guest checkouts started at ``orders_per_second``: product page, basket, the checkout's
  steps, place order, STK push to the Daraja simulator, whose callback settles the order,
  and the waiting page's status polled until it says so;
* a staff edit every ``edit_every`` seconds: the browsed product's title saved through the
  dashboard's product form, then anonymous shoppers must see it.

The simulator runs in its own gunicorn (local settings, its own scheduler group at the
lowest weight: Daraja's servers are not on the shop's machine). The production settings
want an https callback URL, so the simulator posts its callbacks to a small TLS relay
here that passes them to gunicorn as nginx does, with the caller's address in
X-Forwarded-For: the simulator stands in for Safaricom, so the address is Safaricom's and
the shop's source check stays on.

Afterwards every order placed in the mix is checked in the database: Paid, one debit.
"""

import contextlib
import html
import http.client
import json
import re
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from bench import (
    BASE,
    CALLBACK_LUA,
    PORT,
    REPORT_LUA,
    ROOT,
    VAR,
    log,
    shop,
    shop_env,
)

SIMULATOR_PORT = PORT + 2
RELAY_PORT = PORT + 3
RELAY_CERT = VAR / "relay" / "cert.pem"
RELAY_KEY = VAR / "relay" / "key.pem"
#: The simulator's test number that pays (apps/daraja_simulator/outcomes.py).
PAYING_PHONE = "0708374149"
ADDRESS = {
    "first_name": "Achieng",
    "last_name": "Odhiambo",
    "line1": "Moi Avenue",
    "line4": "Nairobi",
    "state": "Nairobi",
    "phone_number": "0712345678",
}
SETTLED = ("paid", "failed", "review", "cancelled")
SKIPPABLE = ("checkout: delivery",)
CACHED_PAGES = ("home", "catalogue", "category", "product")
CONNECTIONS = 2  # per stream
ORDERS_PER_SECOND = 2
EDIT_EVERY = 10  # seconds
#: What the mix is compared with, measured alone (``--mixed-only`` measures only these).
COMPARED = ("ceiling", *CACHED_PAGES, "catalogue, signed in", "STK callback")

PAGE_LUA = """
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
init = function(args) hits, misses, other = 0, 0, 0 end
response = function(status, headers, body)
  local answer = headers["X-Shop-Page-Cache"]
  if answer == "hit" then hits = hits + 1
  elseif answer == "miss" then misses = misses + 1
  else other = other + 1 end
end
"""

PAGE_REPORT_LUA = """
done = function(summary, latency, requests)
  local h, m, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits"); m = m + thread:get("misses"); o = o + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50\\": %d, \\"p95\\": %d, "
    .. "\\"p99\\": %d, \\"errors\\": %d, \\"status_errors\\": %d, \\"hits\\": %d, "
    .. "\\"misses\\": %d, \\"other\\": %d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status, h, m, o))
end
"""


class MixError(Exception):
    """A request of the mix that did not get the answer a browser would expect."""


# --- Forms, read as a browser without JavaScript would -----------------------------------


class _Forms(HTMLParser):
    """Every form of a page: its attributes and the (name, value) pairs it would send."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._option: list | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": [], "names": set()}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "select", "textarea") and a.get("name"):
            self._form["names"].add(a["name"])
            if tag == "select":
                self._select = {"name": a["name"], "first": None, "chosen": None}
            elif tag == "textarea":
                self._textarea = [a["name"], ""]
            else:
                self._input(a)
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._option = [a.get("value"), "", "selected" in a]

    def _input(self, a: dict) -> None:
        kind = (a.get("type") or "text").lower()
        if kind in ("submit", "button", "image", "reset", "file"):
            return
        if kind in ("checkbox", "radio") and "checked" not in a:
            return
        default = "on" if kind in ("checkbox", "radio") else ""
        self._form["fields"].append((a["name"], a.get("value", default) or default))

    def _end_option(self) -> None:
        if self._option is None:
            return
        value, text, selected = self._option
        value = text.strip() if value is None else value
        if self._select["first"] is None:
            self._select["first"] = value
        if selected and self._select["chosen"] is None:
            self._select["chosen"] = value
        self._option = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        elif self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            chosen = self._select["chosen"] or self._select["first"]
            if chosen is not None:
                self._form["fields"].append((self._select["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append(tuple(self._textarea))
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_in(page: str, *, form_id: str = "", field: str = "", fill: dict) -> tuple[str, list]:
    """The action and the (name, value) pairs of the form with ``form_id`` (or the first
    with a field named ``field``), ``fill`` written over what the page put in it."""
    parser = _Forms()
    parser.feed(page)
    for form in parser.forms:
        if (form_id and form["attrs"].get("id") == form_id) or (field and field in form["names"]):
            pairs = [(name, value) for name, value in form["fields"] if name not in fill]
            return form["attrs"].get("action") or "", pairs + list(fill.items())
    raise MixError(f"no form {form_id or field!r} on the page")


# --- HTTP clients of the mix ---------------------------------------------------------------


class Browser:
    """A shopper's (or staff member's) browser on the loopback, where nginx would hand
    gunicorn the decrypted requests: the production settings mark the session and CSRF
    cookies Secure, and requests would not send them back over plain HTTP, so the Cookie
    header is written here from the cookies kept, redirects followed here too."""

    def __init__(self, address: str, cookies: str = ""):
        self.session = requests.Session()
        self.session.trust_env = False  # the loopback, never a proxy
        self.session.headers["X-Forwarded-For"] = address  # as nginx passes it on
        for pair in filter(None, cookies.split("; ")):
            name, _, value = pair.partition("=")
            self.session.cookies.set(name, value, domain="127.0.0.1", path="/")

    def send(self, method: str, url: str, step: str, data=None, follow=True, status=200):
        url = requests.compat.urljoin(BASE, url)
        while True:
            cookie = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
            response = self.session.request(
                method, url, data=data, headers={"Cookie": cookie}, timeout=60,
                allow_redirects=False,
            )  # fmt: skip
            if not (follow and response.is_redirect):
                break
            url = requests.compat.urljoin(response.url, response.headers["Location"])
            method, data = "GET", None
        if response.status_code != status:
            raise MixError(f"{step}: {response.status_code} from {response.url}")
        return response

    def submit(self, path: str, step: str, *, form_id="", field="", fill=None, status=200):
        """Fill a form of the page at ``path`` and send it; the answer after redirects (or
        the redirect itself when ``status`` is one). A step the shop skips (one delivery
        method: no choice to make) is passed."""
        page = self.send("GET", path, step)
        if step in SKIPPABLE and f'name="{field}"' not in page.text:
            return page
        action, data = form_in(page.text, form_id=form_id, field=field, fill=fill or {})
        target = requests.compat.urljoin(page.url, action or page.url)
        return self.send("POST", target, step, data, follow=status == 200, status=status)


def check_out(n: int, product_path: str) -> dict:
    """One guest shopper: basket, checkout, M-Pesa, then the waiting page until settled."""
    shopper = Browser(f"41.90.{n // 250 % 250}.{n % 250 + 1}")
    started = time.monotonic()
    shopper.submit(product_path, "add to basket", form_id="add_to_basket_form")
    email = {"username": f"mix{n}@example.co.ke", "options": "anonymous"}
    shopper.submit("/checkout/", "checkout: email", field="username", fill=email)
    shopper.submit(
        "/checkout/shipping-address/", "checkout: address", form_id="new_shipping_address",
        fill=ADDRESS,
    )  # fmt: skip
    shopper.submit("/checkout/shipping-method/", "checkout: delivery", field="method_code")
    phone = {"phone": PAYING_PHONE}
    preview = shopper.submit(
        "/checkout/payment-details/", "checkout: phone", form_id="mpesa_phone_form", fill=phone
    )
    action, data = form_in(preview.text, form_id="place_order_form", fill={})
    target = requests.compat.urljoin(preview.url, action)
    placed = shopper.send("POST", target, "place order", data, follow=False, status=302)
    waiting = requests.compat.urljoin(placed.url, placed.headers["Location"])
    match = re.search(r"/checkout/pay/([^/]+)/", waiting)
    if match is None:
        raise MixError(f"place order: went to {waiting}")
    placed_at = time.monotonic()
    shopper.send("GET", waiting, "waiting page")
    state = "starting"
    while state not in SETTLED and time.monotonic() - placed_at < 90:
        time.sleep(3)  # the waiting page asks every MPESA_STATUS_POLL_MS (3 s)
        state = shopper.send("GET", waiting + "status/", "status check").json().get("state")
    return {
        "number": match.group(1),
        "state": state,
        "checkout_s": placed_at - started,
        "paid_s": time.monotonic() - placed_at,
    }


def anonymous_page(path: str) -> str:
    with urllib.request.urlopen(BASE + path, timeout=60) as response:
        return response.read().decode()


def edit_product(staff: Browser, n: int, fixtures: dict) -> dict:
    """Staff save the product's title in the dashboard; anonymous shoppers must see it,
    on every worker, once the staleness bound has passed."""
    edit_path = f"/dashboard/catalogue/products/{fixtures['product_id']}/"
    page = staff.send("GET", edit_path, "staff: product form")
    action, data = form_in(page.text, field="title", fill={})
    title = re.sub(r" \(edit \d+\)$", "", dict(data)["title"]) + f" (edit {n})"
    data = [(name, title if name == "title" else value) for name, value in data]
    target = requests.compat.urljoin(page.url, action or page.url)
    staff.send("POST", target, "staff: save", data, follow=False, status=302)
    saved = time.monotonic()
    shown = html.escape(title)
    page_path, staleness = fixtures["product_url"], fixtures["staleness_seconds"]
    while shown not in anonymous_page(page_path):
        if time.monotonic() - saved > 30:
            raise MixError(f"staff edit {n}: not shown after 30 s")
        time.sleep(0.05)
    seen = time.monotonic() - saved
    time.sleep(max(0.0, staleness + 0.2 - (time.monotonic() - saved)))
    stale = sum(shown not in anonymous_page(page_path) for _ in range(10))
    if stale:
        raise MixError(f"staff edit {n}: {stale} of 10 views still old after the bound")
    return {"seen_s": seen}


# --- Daraja's side ------------------------------------------------------------------------


class CallbackRelay:
    """nginx's part for Daraja's callbacks: TLS in, plain HTTP to gunicorn, the caller's
    address in X-Forwarded-For (the simulator stands in for Safaricom)."""

    def __init__(self, safaricom_address: str):
        self.address = safaricom_address
        self.relayed = 0
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def __enter__(self) -> "CallbackRelay":
        if not RELAY_CERT.exists():
            RELAY_CERT.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650"]
                + ["-keyout", str(RELAY_KEY), "-out", str(RELAY_CERT), "-subj", "/CN=127.0.0.1"]
                + ["-addext", "subjectAltName=IP:127.0.0.1"],
                check=True,
                capture_output=True,
            )
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                self.request.settimeout(30)
                self.request.do_handshake()
                super().setup()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upstream = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                headers = {
                    "Content-Type": self.headers.get("Content-Type", "application/json"),
                    "X-Forwarded-For": relay.address,
                }
                try:
                    upstream.request("POST", self.path, body, headers)
                    answer = upstream.getresponse()
                    status, payload = answer.status, answer.read()
                except OSError as exc:
                    status, payload = 502, str(exc).encode()
                finally:
                    upstream.close()
                with relay.lock:
                    relay.relayed += 1
                    if status != 200:
                        relay.failures.append(f"callback relayed: {status} {payload[:200]!r}")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the simulator stopped waiting (its 15 s read timeout)
                    with relay.lock:
                        relay.failures.append("callback answered after the simulator gave up")
                    self.close_connection = True

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(RELAY_CERT, RELAY_KEY)
        self.server = ThreadingHTTPServer(("127.0.0.1", RELAY_PORT), Handler)
        # The handshake in each connection's own thread, not in the one that accepts.
        self.server.socket = context.wrap_socket(
            self.server.socket, server_side=True, do_handshake_on_connect=False
        )
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def mix_env(env: dict) -> dict:
    """The big shop's environment for the mix: Daraja is the simulator, callbacks come
    through the relay, and every shopper pays from the simulator's one paying number."""
    return {
        **env,
        "MPESA_BASE_URL": f"http://127.0.0.1:{SIMULATOR_PORT}",
        "MPESA_CALLBACK_BASE_URL": f"https://127.0.0.1:{RELAY_PORT}",
        "MPESA_PROMPTS_PER_PHONE": "1000000",
    }


@contextlib.contextmanager
def simulator(name: str):
    env = mix_env(shop_env(name, settings="local"))
    env.update(
        {
            "GUNICORN_BIND": f"127.0.0.1:{SIMULATOR_PORT}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "8",
            "REQUESTS_CA_BUNDLE": str(RELAY_CERT),  # trusts the relay's certificate
        }
    )
    with open(VAR / "simulator.log", "ab") as errors:
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
    with contextlib.suppress(OSError):  # Daraja is not on the shop's machine: lowest weight
        Path(f"/proc/{process.pid}/autogroup").write_text("19")
    try:
        for _ in range(240):  # the app is loaded before gunicorn binds (preload_app)
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{SIMULATOR_PORT}/daraja-sim/stk/", timeout=30
                )
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("the Daraja simulator did not answer: see var/bench/simulator.log")
        yield
    finally:
        process.terminate()
        process.wait(timeout=40)


# --- The run ------------------------------------------------------------------------------


def start_wrk(label: str, path: str, seconds: int, script: str, args: tuple = ()):
    lua = VAR / f"mix-{re.sub(r'[^a-z]+', '-', label)}.lua"
    lua.write_text(script)
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(lua), BASE + path] + (["--", *args] if args else [])
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(process: subprocess.Popen) -> dict:
    out, err = process.communicate()
    line = next((row for row in out.splitlines() if row.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {err or out}")
    result = json.loads(line[len("BENCH_JSON ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def streams(data: dict, callbacks: Path) -> list[tuple[str, str, str, tuple]]:
    customer = f'wrk.headers["Cookie"] = "{data["customer_cookie"]}"\n'
    page = PAGE_LUA + PAGE_REPORT_LUA
    return [
        ("ceiling", "/bench/ceiling/", page, ()),
        ("home", "/", page, ()),
        ("catalogue", "/catalogue/", page, ()),
        ("category", data["category_url"], page, ()),
        ("product", data["product_url"], page, ()),
        ("catalogue, signed in", "/catalogue/", customer + page, ()),
        (
            "STK callback",
            "/",
            CALLBACK_LUA.replace("%s", data["safaricom_address"]) + REPORT_LUA,
            (str(callbacks), "1"),
        ),
    ]


def run(name: str, data: dict, seconds: int) -> dict:
    """The mix against the shop's gunicorn, already running with ``mix_env``."""
    callbacks = VAR / "callbacks-mix.tsv"
    bodies = data["callbacks"][len(data["callbacks"]) // 2 :]  # the endpoints' run took the rest
    callbacks.write_text("".join(f"{p['token']}\t{p['body']}\n" for p in bodies))
    staff = Browser("10.0.0.2", data["staff_cookie"])
    errors: list[str] = []
    orders: list[dict] = []
    edits: list[dict] = []
    edits_started = [0]

    def edit_every(staff: Browser, data: dict, started: float, end: float, guarded) -> None:
        """One staff member: an edit every EDIT_EVERY seconds, each checked before the
        next starts (one that overruns its slot delays the next)."""
        while (slot := started + (edits_started[0] + 0.5) * EDIT_EVERY) < end:
            time.sleep(max(0.0, slot - time.monotonic()))
            edits_started[0] += 1
            guarded(edits, edit_product, staff, edits_started[0], data)

    def guarded(into: list, job, *args) -> None:
        try:
            into.append(job(*args))
        except (MixError, OSError, KeyError, ValueError) as exc:  # requests: OSError too
            errors.append(f"{job.__name__}: {exc}")

    with (
        CallbackRelay(data["safaricom_address"]) as relay,
        simulator(name),
        ThreadPoolExecutor(max_workers=64) as pool,
    ):
        log(f"  mixed run: {seconds} s")
        wrks = {
            label: start_wrk(label, path, seconds, script, args)
            for label, path, script, args in streams(data, callbacks)
        }
        started = time.monotonic()
        end = started + seconds
        editing = threading.Thread(target=edit_every, args=(staff, data, started, end, guarded))
        editing.start()
        checkouts = 0
        while (now := time.monotonic()) < end:
            if now >= started + checkouts / ORDERS_PER_SECOND:
                product = data["buy_urls"][checkouts % len(data["buy_urls"])]
                pool.submit(guarded, orders, check_out, checkouts, product)
                checkouts += 1
            time.sleep(0.01)
        editing.join()
        results = {label: wrk_result(process) for label, process in wrks.items()}
        pool.shutdown(wait=True)  # the last shoppers wait for their payment to settle
        time.sleep(2)
        errors += relay.failures
        relayed = relay.relayed
    numbers = VAR / "mix-orders.json"
    numbers.write_text(json.dumps([order["number"] for order in orders]))
    return {
        "streams": results,
        "seconds": seconds,
        "orders_started": checkouts,
        "orders": orders,
        "edits_started": edits_started[0],
        "edits": edits,
        "errors": errors,
        "relayed": relayed,
        "settlement": shop("mix-settlement", name, numbers),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(out, mix: dict, alone: dict) -> list:
    """Print the mix beside each page alone and the ceiling; return the goals as
    (goal, met) pairs."""
    results = mix["streams"]
    ceiling = results["ceiling"]["rps"]
    ceiling_alone = alone["ceiling"]["rps"]
    out(
        f"mixed run: {mix['seconds']} s, all at once, {CONNECTIONS} connections per wrk stream; "
        f"guest checkouts started at {ORDERS_PER_SECOND}/s, a staff product edit every "
        f"{EDIT_EVERY} s"
    )
    out(
        f"{'stream':<22}{'req/s':>7}{'p50 ms':>8}{'p95 ms':>8}{'hits':>7}{'errors':>7}"
        f"{'x ceil':>8}  | alone:{'req/s':>6}{'p50':>7}{'p95':>7}{'x ceil':>8}"
    )
    for label, r in results.items():
        counted = r.get("hits", 0) + r.get("misses", 0)
        hits = f"{r['hits'] / r['requests']:.1%}" if counted else "-"
        a = alone.get(label)
        side = (
            f"{a['rps']:>12.0f}{a['p50'] / 1000:>7.1f}{a['p95'] / 1000:>7.1f}"
            f"{a['rps'] / ceiling_alone:>8.0%}"
            if a
            else ""
        )
        out(
            f"{label:<22}{r['rps']:>7.0f}{r['p50'] / 1000:>8.1f}{r['p95'] / 1000:>8.1f}"
            f"{hits:>7}{r['errors'] + r['status_errors']:>7}{r['rps'] / ceiling:>8.0%}  |{side}"
        )
    anonymous = sum(results[p]["rps"] for p in CACHED_PAGES)
    out(
        f"the four cached pages together: {anonymous:.0f} req/s under the mix "
        f"({anonymous / ceiling_alone:.0%} of the ceiling measured alone, {ceiling_alone:.0f}/s)"
    )
    orders, edits, settled = mix["orders"], mix["edits"], mix["settlement"]
    out(
        f"checkouts: {mix['orders_started']} started, {len(orders)} orders placed "
        f"({len(orders) / mix['seconds']:.2f}/s), checkout p50 "
        f"{percentile([o['checkout_s'] for o in orders], 0.5):.1f} s, place order to the "
        f"waiting page saying paid p50 {percentile([o['paid_s'] for o in orders], 0.5):.1f} s "
        f"/ p95 {percentile([o['paid_s'] for o in orders], 0.95):.1f} s (simulator's callback "
        f"after 3 s, page polled every 3 s)"
    )
    out(
        f"  callbacks relayed from the simulator: {mix['relayed']}; database: {json.dumps(settled)}"
    )
    seen = [e["seen_s"] for e in edits]
    out(
        f"staff edits: {len(edits)}, first seen by an anonymous shopper after "
        f"{percentile(seen, 0.5):.2f} s (p50), {max(seen, default=float('nan')):.2f} s (max); "
        "10 anonymous views after the staleness bound all showed each"
    )
    sent, answered = settled["callbacks sent by the simulator"], settled["callbacks answered 200"]
    if answered < len(orders):
        mix["errors"].append(
            f"simulator: {len(orders) - sent} callbacks never sent, {sent - answered} not "
            "answered 200 (not delivered, or late)"
        )
    errors = mix["errors"] + [
        f"{label}: {r['errors']} socket errors, {r['status_errors']} statuses >= 400"
        for label, r in results.items()
        if r["errors"] + r["status_errors"]
    ]
    for line, times in Counter(errors).most_common(20):
        out(f"  error: {line}" + (f" ({times} times)" if times > 1 else ""))
    goals = []
    for page in CACHED_PAGES:
        r = results[page]
        rate = r["hits"] / r["requests"] if r["requests"] else 0
        goals.append(
            (
                f"{page}: >= 50% of the ceiling under the mix ({r['rps'] / ceiling:.0%}), "
                f"hit rate >= 95% ({rate:.1%})",
                r["rps"] >= ceiling / 2 and rate >= 0.95,
            )
        )
    signed_in, signed_alone = results["catalogue, signed in"]["rps"], alone["catalogue, signed in"]
    goals.append(
        (
            f"catalogue, signed in: within 20% of its rate alone "
            f"({signed_in:.0f} vs {signed_alone['rps']:.0f} req/s, "
            f"{signed_in / signed_alone['rps'] - 1:+.0%})",
            signed_in >= 0.8 * signed_alone["rps"],
        )
    )
    callbacks = results["STK callback"]["rps"]
    goals.append(
        (
            f"STK callbacks >= 5% of the ceiling under the mix ({callbacks / ceiling:.1%}; "
            f"{callbacks / ceiling_alone:.1%} of the ceiling alone)",
            callbacks >= 0.05 * ceiling,
        )
    )
    goals.append((f"zero errors ({len(errors)})", not errors))
    goals.append(
        (
            f"every order placed in the mix paid exactly once ({settled['paid']} Paid with "
            f"one debit of {len(orders)} placed; {settled['debited twice']} debited twice)",
            bool(orders)
            and settled["paid"] == settled["with one debit"] == len(orders)
            and settled["debited twice"] == 0
            and len(orders) == mix["orders_started"],
        )
    )
    goals.append(
        (
            f"every staff edit shown to anonymous shoppers ({len(edits)} of "
            f"{mix['edits_started']})",
            bool(edits) and len(edits) == mix["edits_started"],
        )
    )
    for goal, met in goals:
        out(f"  {'PASS' if met else 'MISS'}  {goal}")
    return goals
