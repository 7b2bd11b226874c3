"""The review app in a real browser: `streamlit run` on loopback, Chromium driven by Playwright.

Signs in, uploads a real PDF report through the page, opens it, picks a finding and saves a
screenshot of the review page with the outlined cell to docs/screenshots/review.png (CI keeps it).
Needs Debian's Chromium (/usr/bin/chromium; `playwright install` cannot download browsers here) and
the Python playwright package: `.ci/browser.sh` installs both.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REAL, ROOT

CHROMIUM = os.environ.get("XXGK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "screenshots" / "review.png"
REPORT = REAL / "2023-huaian-hongze-district.pdf"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not answer on " + url)


def _red_pixels(png: bytes) -> int:
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    raw = img.tobytes()
    return sum(1 for i in range(0, len(raw), 3) if raw[i] > 190 and raw[i + 1] < 90 and raw[i + 2] < 90)


@pytest.fixture()
def app_url(tmp_path: Path):
    pytest.importorskip("playwright.sync_api", reason="the browser test needs `pip install playwright` (.ci/browser.sh)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (.ci/browser.sh)")
    from ui.auth import add_user

    users = tmp_path / "users.json"
    add_user("李审核", "browser-pw", path=users)
    port = _free_port()
    env = {**os.environ, "XXGK_DATA_DIR": str(tmp_path / "data"), "XXGK_USERS_FILE": str(users),
           "PYTHONPATH": str(ROOT)}
    env.pop("XXGK_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--theme.base", "light", "--theme.primaryColor", "#b91c1c", "--client.toolbarMode", "minimal"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_review_page_in_chromium_outlines_the_cell(app_url: str) -> None:
    if not REPORT.exists():
        pytest.skip(f"the real report is not here ({REPORT}); the browser test reads ../shared/real in place")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1680, "height": 1050}, locale="zh-CN")
            page.set_default_timeout(60_000)
            page.goto(app_url)
            page.get_by_label("用户名").fill("李审核")
            page.get_by_label("密码", exact=True).fill("browser-pw")
            page.get_by_role("button", name="登录").click()
            page.get_by_text("审核员：").wait_for()

            page.locator("section[data-testid='stSidebar']").get_by_text("上传", exact=True).click()
            page.locator("input[type='file']").set_input_files(str(REPORT))
            start = page.get_by_role("button", name="开始提取")
            expect(start).to_be_enabled()
            start.click()
            page.get_by_role("button", name="打开第一份进行审核").click()

            expect(page.get_by_text("淮安市洪泽区人民政府").first).to_be_visible()
            # pick the first finding: its cells are outlined in the form, its first value on the page image
            page.locator(".st-key-review_finding").get_by_text("1. 表四").click()
            focus = page.locator("td.focus")
            expect(focus).to_have_count(1)
            key = focus.get_attribute("data-key")
            assert key and key.startswith("t4.")
            image = page.locator("[data-testid='stImage'] img").first
            expect(image).to_be_visible()
            # the <img> can be in the page before its bytes have arrived: wait for it to load
            image.evaluate("i => (i.complete && i.naturalWidth > 0) ? true : "
                           "new Promise(r => i.addEventListener('load', () => r(true), {once: true}))")
            assert image.evaluate("i => i.naturalWidth") > 800  # the page's text width rendered at 2x
            assert _red_pixels(image.screenshot()) > 200  # the outline is drawn on the page image
            expect(page.get_by_text("红框：行政复议·总计")).to_be_visible()
            expect(page.locator("td.inf")).to_have_count(5)  # the finding's five cells, dashed in the form
            # the app scrolls inside its own container: back to the top so the shot shows the header too
            page.evaluate("() => { for (const e of document.querySelectorAll('*')) if (e.scrollTop > 0) e.scrollTop = 0; }")
            page.wait_for_timeout(800)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
            # keyboard: Ctrl+Enter confirms the report without the mouse
            page.mouse.click(5, 700)
            page.keyboard.press("Control+Enter")
            expect(page.get_by_text("已确认（审核人：李审核）")).to_be_visible()
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 50_000
