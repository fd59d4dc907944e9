"""What a browser, a script or a careless hand can send the shop, as Hypothesis strategies:
form fields (odd unicode, NUL bytes, huge or missing values, duplicated keys, other
encodings), raw query strings and cookie headers as a WSGI server passes them on."""

import json
import os
from collections.abc import Mapping
from decimal import Decimal

from django.test import Client
from django.utils.http import urlencode
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Every fuzz property: a modest number of examples, no deadline (the first request of a
#: test renders cold), and the function-scoped database fixtures shared by its examples.
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


#: ``make test`` fuzzes once on the suite's database with every example and again on
#: SQLite with a share of them (``SHOP_FUZZ_SHARE``), to keep the suite's time.
SHARE = float(os.environ.get("SHOP_FUZZ_SHARE", "1"))


def fuzz(max_examples: int) -> settings:
    return settings(FUZZ, max_examples=max(5, round(max_examples * SHARE)))


#: Values that broke or nearly broke shops like this one: digits of other scripts, numbers
#: Python reads and databases do not, markup, format strings, control characters.
ODD_VALUES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\u202e\u0661",
    "\ufeff1",
    "\u0661\u0662",  # Arabic-Indic 12
    "\uff11\uff12",  # fullwidth 12
    "\u00b2",  # superscript two: str.isdigit() says yes, int() says no
    "\U0001d7d7",  # mathematical bold 9
    "\u216b",  # Roman numeral twelve
    "\u00bd",
    "-1",
    "-0",
    "0",
    "+1",
    "1.5",
    "1,5",
    "1e3",
    "1e309",
    "-1e-400",
    "NaN",
    "sNaN",
    "Infinity",
    "-inf",
    "0x10",
    "1_000",
    "9" * 25,
    "-" + "9" * 25,
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "' OR '1'='1",
    "%s%d%n",
    "{{ 7|add:1 }}{% now 'Y' %}",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "\U0001f600",
    "e\u0301",
    "\u0130\u00df\u01c5",
    "\u0085\u2028",
    "a" * 256,
    "x" * 5_000,
]


class _Huge(str):
    """70,000 characters, shown short in Hypothesis' reports."""

    def __repr__(self) -> str:
        return "'A' * 70_000"


HUGE_VALUE = _Huge("A" * 70_000)

plain_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
odd_text = st.one_of(
    plain_text,
    st.sampled_from(ODD_VALUES),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.just(HUGE_VALUE),
)
#: A field sent once, or several times (duplicated keys; Django reads the last).
field_value = st.one_of(odd_text, st.lists(odd_text, min_size=2, max_size=3))

quantities = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["1", "2", "3", "0", "-1", "4", "\u0663", "\uff12", "\u00b2", "1.0", "2.5"]),
    odd_text,
)
amounts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=2).map(str),
    odd_text,
)
dates = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(["2026-02-30", "0000-00-00", "9999-12-31", "1-1-1", "31/12/2026", "today"]),
    odd_text,
)


def form_data(fields: Mapping[str, st.SearchStrategy], **always) -> st.SearchStrategy:
    """A form's fields as sent: each known field missing, fitting (from its strategy) or
    odd, once or repeated; a few unknown fields besides; ``always`` sent as given."""
    known = st.fixed_dictionaries(
        {}, optional={name: st.one_of(strategy, field_value) for name, strategy in fields.items()}
    )
    extra = st.dictionaries(plain_text.filter(bool), field_value, max_size=2)
    return st.tuples(extra, known).map(lambda parts: {**parts[0], **parts[1], **always})


def from_valid(valid: Mapping[str, str], fields: Mapping[str, st.SearchStrategy]):
    """A form that would be accepted, with some of its fields left out and some others
    sent fitting, odd or repeated (``form_data``): the errors one field at a time that
    reach deeper than a form wrong everywhere."""
    return st.tuples(st.sets(st.sampled_from(sorted(valid))), form_data(fields)).map(
        lambda parts: {
            **{name: value for name, value in valid.items() if name not in parts[0]},
            **parts[1],
        }
    )


#: How a form's fields travel: as browsers send them, or in a body the form does not read.
encodings = st.sampled_from(["multipart", "multipart", "urlencoded", "json"])


def post_form(client: Client, path: str, data: Mapping, encoding: str = "multipart", **extra):
    """POST ``data`` to ``path`` in the given encoding, without following redirects."""
    if encoding == "urlencoded":
        return client.post(
            path,
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
            **extra,
        )
    if encoding == "json":
        return client.post(path, json.dumps(data), content_type="application/json", **extra)
    return client.post(path, data, **extra)


def latin1(raw: bytes) -> str:
    """Bytes as a WSGI server puts them in the environ (PEP 3333: decoded as Latin-1)."""
    return raw.decode("latin-1")


#: A query string's bytes as they arrive: anything the request line can carry (no space,
#: '#', CR or LF), percent escapes valid or not, UTF-8 or not.
raw_query_strings = st.one_of(
    st.binary(max_size=80).map(lambda raw: raw.translate(None, b" #\r\n")),
    st.text(max_size=60).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"%", b"%zz", b"%ff%fe", b"%00", b"a=%c0%80", b"&&==&", b"a[]=1&a[]=2"]),
).map(latin1)

#: A cookie's value as a browser (or a script) can send it, read back as Django reads it.
raw_cookie_values = st.one_of(
    st.binary(max_size=60).map(lambda raw: raw.translate(None, b"\r\n;")),
    odd_text.map(lambda text: text.encode("utf-8", "surrogatepass")[:5_000]),
).map(latin1)
