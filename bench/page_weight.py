"""What a phone downloads on the first visit of a page: the HTML and every stylesheet,
script, image and web font it references, each as the server would send it compressed.

Text (HTML, CSS, JavaScript, SVG) is counted gzip-compressed, as WhiteNoise serves the
static files (it stores a ``.gz`` beside each) and nginx compresses the pages; images and
woff2 fonts are already compressed and counted as they are. Images marked
``loading="lazy"`` are counted anyway: on a small screen several are in view at once,
and an upper bound is what a budget needs.
"""

import gzip
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client

#: What a mid-range Android phone's browser says it is.
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 12; SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0 Mobile Safari/537.36"
)
_STYLESHEET = re.compile(
    r'<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"|<link[^>]+href="([^"]+)"[^>]*rel="stylesheet"'
)
_SCRIPT = re.compile(r'<script[^>]+src="([^"]+)"')
_IMAGE = re.compile(r'<img[^>]+src="([^"]+)"')
_FONT = re.compile(r'url\(["\']?([^"\')]+\.woff2)["\']?\)')
_COMPRESSED_ALREADY = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff2", ".woff", ".ico")


@dataclass
class PageWeight:
    url: str
    html_bytes: int
    #: (kind, url, bytes on the wire) for every file the page makes the phone fetch.
    assets: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + sum(size for _, _, size in self.assets)

    def lines(self) -> list[str]:
        rows = [f"{self.url}: {self.total_bytes / 1024:.1f} KB on the wire"]
        rows.append(f"  {'html':<6} {self.html_bytes / 1024:8.1f} KB  {self.url}")
        for kind, url, size in self.assets:
            rows.append(f"  {kind:<6} {size / 1024:8.1f} KB  {url}")
        return rows


def wire_size(content: bytes, name: str) -> int:
    if name.lower().endswith(_COMPRESSED_ALREADY):
        return len(content)
    return len(gzip.compress(content, compresslevel=9))


def _static_path(url: str) -> str | None:
    name = unquote(urlsplit(url).path)[len(settings.STATIC_URL) :]
    found = finders.find(name)
    if found:
        return found
    try:  # a hashed name after collectstatic
        path = staticfiles_storage.path(name)
    except NotImplementedError:
        return None
    return path if os.path.exists(path) else None


def _file_for(url: str) -> str | None:
    path = urlsplit(url).path
    if path.startswith(settings.STATIC_URL):
        return _static_path(path)
    if path.startswith(settings.MEDIA_URL):
        local = os.path.join(settings.MEDIA_ROOT, unquote(path[len(settings.MEDIA_URL) :]))
        return local if os.path.exists(local) else None
    return None


def _read(url: str) -> bytes:
    path = _file_for(url)
    if path is None:
        raise FileNotFoundError(f"{url} is referenced by the page but not found")
    with open(path, "rb") as handle:
        return handle.read()


def _allowed_host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host not in ("*", "") and not host.startswith("."):
            return host
    return "localhost"


def measure(url: str, client: Client | None = None) -> PageWeight:
    """Fetch ``url`` as a phone would on its first visit and weigh what it downloads."""
    client = client or Client(HTTP_HOST=_allowed_host())
    response = client.get(url, HTTP_USER_AGENT=PHONE_USER_AGENT)
    if response.status_code != 200:
        raise ValueError(f"{url} answered {response.status_code}")
    html = response.content
    weight = PageWeight(url=url, html_bytes=wire_size(html, ".html"))
    text = html.decode()
    seen: set[str] = set()

    def add(kind: str, asset_url: str) -> bytes:
        content = _read(asset_url)
        if asset_url not in seen:
            seen.add(asset_url)
            weight.assets.append((kind, asset_url, wire_size(content, asset_url)))
        return content

    for match in _STYLESHEET.finditer(text):
        css_url = match.group(1) or match.group(2)
        css = add("css", css_url).decode("utf-8", "replace")
        for font in _FONT.findall(css):
            add("font", urljoin(css_url, font))
    for script_url in _SCRIPT.findall(text):
        add("js", script_url)
    for image_url in _IMAGE.findall(text):
        if not image_url.startswith("data:"):
            add("image", image_url)
    return weight
