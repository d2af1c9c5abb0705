"""A real browser on the real server: ``kgtool serve`` on a free 127.0.0.1 port, driven by headless Debian
Chromium through selenium. Checks that the seed node's page shows its sections, relations and the SVG,
and saves the screenshot ``docs/seed-page.png``. Skipped when Chromium, chromedriver or selenium is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SEED = "org-dim.operational-profile.engineering-led-cdp"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip("Debian chromium and chromium-driver are not installed "
                "(apt-get install -y --no-install-recommends chromium chromium-driver)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    code = f"from kgtool.serve import serve; serve({str(ROOT)!r}, host='127.0.0.1', port={port})"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                pytest.fail("the server exited: " + process.stderr.read().decode(errors="replace")[-2000:])
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the server did not answer within 30 s")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must not download anything
    profile = tempfile.mkdtemp(prefix="kgtool-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1100,1400", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_seed_page_in_chromium(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/kg/{SEED}")
    assert browser.title.startswith("Engineering-Led CDP Operations")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Engineering-Led CDP Operations"
    body = browser.find_element(By.CSS_SELECTOR, "section.body").text
    for heading in ("Distinguishing signal.", "Agent behavior when this dimension matches.",
                    "Where this dimension does NOT apply."):
        assert heading in body
    items = browser.find_elements(By.CSS_SELECTOR, "section.body ol.items > li")
    assert len(items) == 4 and items[0].text.startswith("Surface SQL-first")
    groups = {g.get_attribute("data-type") for g in browser.find_elements(By.CSS_SELECTOR, ".relation-group")}
    assert {"enables", "counter-indicates", "contrasts-with"} <= groups
    assert browser.find_elements(By.CSS_SELECTOR, "ul.backlinks li.edge")
    svg = browser.find_element(By.CSS_SELECTOR, "svg.kg-neighbourhood")
    assert svg.size["width"] > 300 and svg.size["height"] > 200
    assert browser.find_elements(By.CSS_SELECTOR, "svg.kg-neighbourhood line.edge-counter-indicates")
    # A link in the SVG goes to the other node's page.
    browser.get(f"{server}/kg/vendor.hightouch")
    assert browser.find_element(By.TAG_NAME, "h1").text
    browser.get(f"{server}/kg/{SEED}")
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1100, min(max(int(height) + 100, 1400), 12000))
    # The committed screenshot is refreshed on request only, so a test run leaves the checkout clean.
    target = ROOT / "docs" / "seed-page.png" if os.environ.get("KGTOOL_UPDATE_SCREENSHOT") else \
        Path(tempfile.mkdtemp(prefix="kgtool-shot-")) / "seed-page.png"
    target.parent.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(target))
    assert target.stat().st_size > 10_000


def test_sparql_endpoint_answers_a_real_sparql_client(server, kg, qgraph):
    """SPARQLWrapper (through kgtool's remote Endpoint) against the running /sparql: the same rows as embedded."""
    from datetime import date

    import kgtool
    from kgtool.query import execute, named_queries
    from kgtool.stores import Endpoint
    from test_engines import rows_by_value

    endpoint = Endpoint(f"{server}/sparql", graph=None, timeout=30)
    queries = named_queries(kg)
    for name, params in (("profile-enables", {"dim": ["engineering-led-cdp"]}),
                         ("backlinks", {"node": ["pattern.agentification"]}),
                         ("is-enabled", {"dim": ["engineering-led-cdp"], "target": ["hightouch"]})):
        remote = execute(endpoint, queries[name], params, today=date(2026, 11, 26))
        embedded = execute(qgraph, queries[name], params, today=date(2026, 11, 26))
        if hasattr(embedded, "rows"):  # by value: the server's pyoxigraph writes 0.80 as 0.8
            assert rows_by_value(remote) == rows_by_value(embedded), name
        else:
            assert remote == embedded, name
    rec = kgtool.recommend(kg, dims=["engineering-led-cdp", "de-staffing.thin"], as_of=date(2026, 11, 26),
                           endpoint=endpoint)
    assert rec.to_json() == kgtool.recommend(kg, dims=["engineering-led-cdp", "de-staffing.thin"],
                                             as_of=date(2026, 11, 26)).to_json()
    # The server refuses on its own what kgtool's client would refuse before sending: ask it directly.
    from SPARQLWrapper import JSON, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = SPARQLWrapper(f"{server}/sparql")
    client.setReturnFormat(JSON)
    client.setQuery("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(QueryBadFormed, match="SERVICE"):
        client.query()
