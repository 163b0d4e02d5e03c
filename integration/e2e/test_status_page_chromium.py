"""The status page as a real browser renders it: headless Chromium against the demo exporter.

Checks the DOM Chromium built (one colour-coded row per demo provider, the details page with its models), the
stylesheet's status colours, and screenshots at desktop and phone width that must show the green and red status
colours. Needs Debian's `chromium` (scripts/install-deps.sh --test installs it).
"""
import colorsys
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser

import pytest

from harness import DEMO_STATUSES, run_exporter, wait_until

EXPECTED_STATUS = DEMO_STATUSES

# Hue ranges (degrees) each status colour must fall in; red wraps around 0.
STATUS_HUES = {
    "healthy": (90, 160),  # green
    "degraded": (38, 62),  # amber / yellow
    "rate_limited": (12, 37),  # orange
    "unauthorized": (250, 300),  # purple
    "down": (345, 375),  # red
}


# --- Chromium -------------------------------------------------------------------------------------------------------

def chromium(*args):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium not found: run scripts/install-deps.sh --test (Debian package `chromium`)")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
               "--no-first-run", "--force-color-profile=srgb", f"--user-data-dir={profile}", *args]
        proc = subprocess.run(cmd, capture_output=True, timeout=90)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode("utf-8", errors="replace")


def dump_dom(url):
    return chromium("--dump-dom", url)


def screenshot(url, width, height, path):
    chromium(f"--screenshot={path}", f"--window-size={width},{height}", url)
    assert os.path.exists(path), f"chromium wrote no screenshot for {url}"
    with open(path, "rb") as f:
        return f.read()


# --- DOM ------------------------------------------------------------------------------------------------------------

class PageParser(HTMLParser):
    """Collects the status page's machine-readable parts from a DOM dump."""

    def __init__(self):
        super().__init__()
        self.providers = []  # attributes of each <tr class="provider ...">
        self.models = []  # attributes of each <tr class="model ...">
        self.summary = None  # attributes of the details page's <section class="provider-summary ...">
        self.best = None
        self.meta = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "tr" and "provider" in classes:
            self.providers.append(a)
        elif tag == "tr" and "model" in classes:
            self.models.append(a)
        elif tag == "section" and "provider-summary" in classes:
            self.summary = a
        elif tag == "section" and a.get("id") == "best":
            self.best = a
        elif tag == "meta":
            self.meta.append(a)
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def parse(dom):
    parser = PageParser()
    parser.feed(dom)
    return parser


def row_statuses(page):
    return {row.get("data-provider"): row.get("data-status") for row in page.providers}


def status_colours(css):
    """`.status-<x> { --status: #rrggbb; ... }` rules of the stylesheet, as {status: (r, g, b)}."""
    found = {}
    for status, hexcolour in re.findall(r"\.status-([a-z_]+)\s*\{\s*--status:\s*#([0-9a-fA-F]{6})", css):
        found[status] = tuple(int(hexcolour[i:i + 2], 16) for i in (0, 2, 4))
    return found


def hue(rgb):
    h, _, _ = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    return h * 360


def in_hue_range(status, rgb):
    low, high = STATUS_HUES[status]
    h = hue(rgb)
    return low <= h <= high or low <= h + 360 <= high


# --- PNG (zlib only) ------------------------------------------------------------------------------------------------

def decode_png(data):
    """8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) to (width, height, channels, pixel bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return width, height, channels, bytes(out)


def count_pixels_near(png, rgb, tolerance=6):
    width, height, channels, pixels = decode_png(png)
    r0, g0, b0 = rgb
    count = 0
    for i in range(0, width * height * channels, channels):
        if abs(pixels[i] - r0) <= tolerance and abs(pixels[i + 1] - g0) <= tolerance \
                and abs(pixels[i + 2] - b0) <= tolerance:
            count += 1
    return count


def distinct_colours(png, step=7):
    width, height, channels, pixels = decode_png(png)
    return len({pixels[i:i + 3] for i in range(0, width * height * channels, channels * step)})


# --- the checks, shared by every page source ------------------------------------------------------------------------

def check_overview(url, shots):
    """Asserts the overview at `url` and screenshots it into `shots`; returns the parsed page."""
    # The first probes and cycles take a moment: retry until every row shows its status.
    seen = {}

    def every_status_shown():
        nonlocal seen
        page = parse(dump_dom(url))
        seen = row_statuses(page)
        return page if seen == EXPECTED_STATUS else None

    try:
        page = wait_until(every_status_shown, 60, interval=0.5, what="every demo status on the status page")
    except AssertionError as e:
        raise AssertionError(f"{e}; rows last seen on {url}: {seen}") from None

    assert len(page.providers) == len(EXPECTED_STATUS), "one row per provider"
    for row in page.providers:
        status = row["data-status"]
        assert f"status-{status}" in row["class"].split(), row
    assert page.best is not None and page.best.get("data-best") == "demo-healthy"
    assert any(m.get("http-equiv") == "refresh" and m.get("content") == "30" for m in page.meta)
    assert any(m.get("name") == "viewport" and "width=device-width" in m.get("content", "") for m in page.meta)
    assert "@media (max-width: 600px)" in page.style

    colours = status_colours(page.style)
    assert set(colours) == set(STATUS_HUES), colours
    for status, rgb in colours.items():
        assert in_hue_range(status, rgb), f"status-{status} is {rgb}, hue {hue(rgb):.0f}, expected {STATUS_HUES[status]}"

    desktop = screenshot(url, 1200, 800, os.path.join(shots, "desktop.png"))
    phone = screenshot(url, 390, 844, os.path.join(shots, "phone.png"))
    for png, width in ((desktop, 1200), (phone, 390)):
        w, h, _, _ = decode_png(png)
        assert w == width and h > 0, (w, h)
        assert len(png) > 5000 and distinct_colours(png) > 20, "screenshot is blank"
    assert count_pixels_near(desktop, colours["healthy"]) > 100, "no green status colour on screen"
    assert count_pixels_near(desktop, colours["down"]) > 100, "no red status colour on screen"
    assert count_pixels_near(phone, colours["healthy"]) > 100, "no green status colour on the phone screen"
    return page


def check_details(url, shots):
    page = parse(dump_dom(url))
    assert page.summary is not None
    assert page.summary.get("data-provider") == "demo-healthy"
    assert page.summary.get("data-status") == "healthy"
    assert "status-healthy" in page.summary["class"].split()
    names = [m.get("data-model") for m in page.models]
    assert names == ["gpt-4o", "gpt-4o-mini", "o3-mini"], names
    for model in page.models:
        assert model.get("data-available") == "true", model
        assert "model-available" in model["class"].split(), model
    png = screenshot(url, 1200, 800, os.path.join(shots, "details.png"))
    assert count_pixels_near(png, status_colours(page.style)["healthy"]) > 100
    return page


def test_status_page_renders_every_demo_provider_in_chromium(tmp_path):
    with run_exporter("--demo", "--aggregation.interval", "1s") as exporter:
        check_overview(exporter.base + "/", str(tmp_path))
        check_details(exporter.base + "/providers/demo-healthy", str(tmp_path))
