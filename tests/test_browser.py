"""Open every report page in headless Chromium; fail on any console error or missing section.

Uses the DevTools protocol through a minimal stdlib websocket client (no extra dependency):
console messages (``Runtime.consoleAPICalled``), uncaught exceptions (``Runtime.exceptionThrown``)
and browser log entries (``Log.entryAdded``: failed loads, Content-Security-Policy violations)
are collected while each page loads. A full-page screenshot of every page is kept under
``tests/artifacts/browser/`` (git-ignored; the path is printed).

Skipped, with the reason, when Chromium is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from surveysem.report.html import Safe, page

pytestmark = pytest.mark.browser

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium") if p and os.path.exists(p)), None)
ARTIFACTS = Path(os.environ.get("SURVEYSEM_ARTIFACTS", Path(__file__).parent / "artifacts")) / "browser"

# Sections every page must show (ids written here by hand, from the page designs).
EXPECTED_SECTIONS = {
    "index.html": ["summary", "verdicts", "preregistration", "measurement-summary", "warnings", "pages"],
    "data.html": ["source", "exclusion-flow", "exclusions", "sample", "missingness"],
    "outcomes.html": ["descriptives", "groups", "table1-audit"],
    "measurement.html": ["scales", "item-responses", "item-statistics", "efa", "cfa-fit", "loadings", "fornell-larcker", "htmt",
                         "score-correlations", "cmv", "invariance", "partial-invariance", "measurement-warnings"],
    "propositions.html": ["verdicts", "p1", "p2", "p3", "typology", "p4-link"],
    "p4.html": ["p4-verdict", "model-comparison", "path-diagram", "indirect-effects"],
    "provenance.html": ["run", "files", "config", "versions"],
}

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio", "--hide-scrollbars"]


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol (text frames, client masking)."""

    def __init__(self, url: str, timeout: float = 30):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("websocket handshake failed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode(errors="replace"))

    def send(self, text: str) -> None:
        payload = text.encode()
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise ConnectionError("websocket closed")
            buf += chunk
        return bytes(buf)

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("websocket closed by browser")
            if opcode in (0x9, 0xA):  # ping/pong: ignore
                continue
            message += data
            if b0 & 0x80:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


class Browser:
    """Headless Chromium with one page target driven over DevTools."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="surveysem-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.poll() is not None else "timeout"
                self.close()
                raise RuntimeError(f"chromium did not start: {err}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30).read())
        page_target = next(t for t in targets if t.get("type") == "page")
        self.ws = WebSocket(page_target["webSocketDebuggerUrl"])
        self._id = 0
        self.events: list[dict] = []
        for method in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.call(method)

    def call(self, method: str, **params) -> dict:
        self._id += 1
        my_id = self._id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["method"] == method for e in self.events):
                return
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(method)

    def open(self, url: str) -> dict:
        """Load ``url``; return console errors, the section ids, SVG sizes and a screenshot."""
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        info = json.loads(self.call("Runtime.evaluate", expression="""JSON.stringify({
            sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
            h1: (document.querySelector('h1') || {}).textContent || '',
            banner: !!document.getElementById('synthetic-banner'),
            svgs: Array.from(document.querySelectorAll('svg')).map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; }),
            scripts: document.scripts.length,
            alerts: typeof window.__alerted !== 'undefined'
        })""", returnByValue=True)["result"]["value"])
        self.call("Runtime.evaluate", expression="1")  # flush pending events
        errors = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                errors.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                errors.append("exception: " + p.get("exceptionDetails", {}).get("text", ""))
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                errors.append(f"log.{p['entry']['level']}: {p['entry'].get('text', '')}")
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        info["errors"] = errors
        info["png"] = base64.b64decode(shot["data"])
        return info

    def close(self) -> None:
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


def missing_sections(found: list[str], expected: list[str]) -> list[str]:
    return [s for s in expected if s not in found]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install -y chromium); the browser test needs /usr/bin/chromium")
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory):
    # the hand-made results tree of the report tests (tests/report/results_tree.py)
    sys.path.insert(0, str(Path(__file__).parent / "report"))
    from results_tree import build

    root = tmp_path_factory.mktemp("browser")
    build(root)
    return root / "reports"


@pytest.mark.parametrize("fname", list(EXPECTED_SECTIONS))
def test_page_renders_without_console_errors(browser, demo_reports, fname):
    info = browser.open((demo_reports / fname).as_uri())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"demo_{fname.replace('.html', '.png')}"
    shot.write_bytes(info["png"])
    print(f"screenshot: {shot}")
    assert info["errors"] == [], info["errors"]
    assert missing_sections(info["sections"], EXPECTED_SECTIONS[fname]) == []
    assert info["h1"] and info["banner"] and info["scripts"] == 0 and not info["alerts"]
    assert all(w > 10 and h > 10 for w, h in info["svgs"]), info["svgs"]
    if fname in ("measurement.html", "p4.html", "propositions.html"):
        assert info["svgs"], "figures expected"


def test_real_reports_if_built(browser):
    """The pages the workflow wrote into reports/ (skipped until `snakemake` has made them)."""
    reports = Path(__file__).resolve().parents[1] / "reports"
    pages = [f for f in EXPECTED_SECTIONS if (reports / f).exists()]
    if len(pages) < len(EXPECTED_SECTIONS):
        pytest.skip("reports/ not built yet (run snakemake)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for fname in pages:
        info = browser.open((reports / fname).as_uri())
        (ARTIFACTS / f"real_{fname.replace('.html', '.png')}").write_bytes(info["png"])
        assert info["errors"] == [], (fname, info["errors"])
        # The exact section list is checked on the demo pages above; pages built by an older
        # version of the code (reports/ is not rebuilt when only the package changes) may differ.
        assert info["h1"] and info["sections"], fname
    print(f"screenshots: {ARTIFACTS}")


def test_checker_catches_network_loads_and_script_errors(browser, tmp_path):
    """The test can fail: a page that loads a remote image (blocked by the page's CSP) or whose
    script logs an error is reported, and a missing section is noticed."""
    bad = page("Bad", Safe('<section id="x"><img src="https://example.invalid/x.png" alt="x"></section>'), current="index.html")
    (tmp_path / "bad.html").write_text(bad, encoding="utf-8")
    info = browser.open((tmp_path / "bad.html").as_uri())
    assert any("Content Security Policy" in e or "example.invalid" in e for e in info["errors"]), info["errors"]
    (tmp_path / "err.html").write_text("<!DOCTYPE html><title>e</title><script>console.error('boom')</script>", encoding="utf-8")
    info = browser.open((tmp_path / "err.html").as_uri())
    assert any("boom" in e for e in info["errors"]), info["errors"]
    assert missing_sections(["a"], ["a", "b"]) == ["b"]
