"""kehu as a new user runs it: `make run` on a fresh data folder (the web server, the task worker and
the scheduler, a small demo), walked in a real browser — issue 12's end-to-end check, which would
have caught its items 1–5:

sales1 creates a customer with a Chinese name and an order from its card → the home page and the
card's History tab load → an import of a GBK CSV with Chinese headers and one bad row names the row
→ the corrected file imports → as manager1, "refresh now" on the value page completes (the worker
ran it) → the 404 and 403 pages are the friendly ones in both languages → Ctrl-C stops everything.

Checks that do not block the walk are collected and reported together, so one failure does not hide
the state of the others.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from core.testing_run import alive, command_line, descendants, free_port, http_status, user_env, wait_for

pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="reads process trees from /proc"),
]

DEMO_PASSWORD = "kehu-demo-2026"
HEADER = ["客户编号", "客户名称", "类型", "手机", "邮箱", "城市"]
GOOD = [["E2E-1", "上官婉儿", "个人", "13912345670", "waner@example.cn", "西安"],
        ["E2E-2", "西安大唐丝路贸易有限公司", "企业", "029-88886666", "", "西安"]]
BAD = ["E2E-3", "司马相如", "个人", "", "xiangru@", "成都"]


def gbk_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("gbk")


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """`make run` with a fresh data folder and a 200-customer demo, in a process group of its own as
    in a terminal; yields (base URL, the make process, its log)."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    port = free_port()
    log_path = tmp_path / "make-run.log"
    log = log_path.open("wb")
    # The venv is already installed (-o: make does not rebuild it); KEHU: this interpreter's kehu.
    process = subprocess.Popen(  # noqa: S603
        ["make", "-o", ".venv/.installed", "run", f"PORT={port}", "DEMO_CUSTOMERS=200",  # noqa: S607
         f"KEHU={sys.executable} -m kehu"],
        cwd=settings.BASE_DIR, env=user_env(tmp_path / "data"), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is not None or http_status(f"{base}/healthz") == 200, 150, "make run")
        assert process.poll() is None, log_path.read_text()[-3000:]
        yield base, process, log_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            for pid in descendants(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture
def browser_page(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(f"{base}/")


def upload(page: Any, base: str, path: Path) -> None:
    page.goto(f"{base}/data/import/?kind=customers")
    page.set_input_files("input[name=file]", str(path))
    page.click("form.uploadform button[type=submit]")
    page.wait_for_url(re.compile(r"/data/import/\d+/$"))
    page.click("form[action$='/mapping/'] button.primary")  # "check the file" with the suggested columns
    page.wait_for_load_state()


def test_make_run_as_a_new_user(make_run, browser_page, tmp_path):
    base, make, log_path = make_run
    page = browser_page
    started_walk = time.monotonic()
    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    def status_of(url: str) -> int:
        response = page.goto(url)
        return response.status if response else 0

    # The three processes are up.
    commands = [command_line(pid) for pid in descendants(make.pid)]
    for part in ("gunicorn kehu.wsgi", "db_worker", "periodic --loop"):
        assert any(part in c for c in commands), (part, commands)

    # sales1: a new customer with a Chinese name, then an order from its card.
    log_in(page, base, "sales1")
    page.goto(f"{base}/customers/add/")
    page.fill("form.cardform input[name=name]", "欧阳端到端")
    page.fill("form.cardform input[name=phone]", "13912340001")
    page.click("form.cardform button[type=submit].primary")
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    card = page.url
    customer_id = int(re.search(r"/customers/(\d+)/$", card).group(1))
    page.locator("a[href$='?tab=timeline']").first.click()
    page.wait_for_url(re.compile(r"tab=timeline"))
    page.click(f"a[href$='/orders/new/{customer_id}/']")  # "new order" among the timeline's actions
    page.wait_for_url(re.compile(rf"/orders/new/{customer_id}/$"))
    page.select_option("select[name='lines-0-product']", index=1)
    page.fill("input[name='lines-0-quantity']", "1")
    page.click("form.cardform button[type=submit].primary")
    page.wait_for_load_state()
    assert "/orders/new/" not in page.url, page.locator("main").inner_text()[:500]

    # Home and the card's History tab after the order (issue 12, items 1–2).
    check(status_of(f"{base}/") == 200, "home page after an order is not 200")
    check(status_of(f"{card}?tab=history") == 200, "History tab after an order is not 200")

    # An import through the pages (item 3: "database is locked" while the server runs).
    bad = tmp_path / "客户导入.csv"
    bad.write_bytes(gbk_csv([HEADER, *GOOD, BAD]))
    upload(page, base, bad)
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1, page.locator("main").inner_text()[:1000]
    assert "4" in errors.first.inner_text() and "xiangru@" in errors.first.inner_text()
    assert page.locator("#confirm-import").count() == 0
    fixed = tmp_path / "客户导入-改.csv"
    fixed.write_bytes(gbk_csv([HEADER, *GOOD, [*BAD[:4], "xiangru@example.cn", BAD[5]]]))
    upload(page, base, fixed)
    assert page.locator("#import-errors").count() == 0, page.locator("main").inner_text()[:1000]
    page.click("#confirm-import")
    page.wait_for_load_state()
    wait_for(lambda: (page.reload() or True) and page.locator("#job-status").get_attribute("class", timeout=5000)
             .endswith("ok"), 30, "the import to finish")
    page.goto(f"{base}/customers/?q=上官婉儿")
    assert "上官婉儿" in page.locator("main").inner_text()

    # The 403 page as sales1 (only administrators manage users), in Chinese.
    check(status_of(f"{base}/accounts/users/") == 403, "users page for sales1 is not 403")
    check("无权访问" in page.locator("main").inner_text(), "403 page is not the friendly Chinese one")

    # manager1: "refresh now" on the value page is done by the worker (item 4).
    page.click("form[action$='/logout/'] button")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    log_in(page, base, "manager1")
    page.goto(f"{base}/insights/value/")
    page.click("form[action$='/insights/refresh/'] button")
    page.wait_for_url(re.compile(r"/insights/value/$"))
    started = time.monotonic()
    wait_for(lambda: (page.reload() or True) and page.locator("#progress").count() == 0, 60,
             "the scoring run (is the worker running?)")
    check(page.locator(".badge.bad").count() == 0, "the scoring run failed")
    check(time.monotonic() - started < 60, "the scoring run took a minute")

    # The 404 and 403 pages, friendly in both languages (item 5).
    check(status_of(f"{base}/no-such-page/") == 404, "unknown address is not 404")
    body = page.locator("body").inner_text()
    check("页面不存在" in body and "URLconf" not in page.content(), "404 page is not the friendly Chinese one")
    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    check("Page not found" in page.locator("main").inner_text(), "404 page is not the friendly English one")
    check(status_of(f"{base}/accounts/users/") == 403, "users page for manager1 is not 403")
    check("Not allowed" in page.locator("main").inner_text(), "403 page is not the friendly English one")
    check(page.locator("link[href='/static/kehu/kehu.css']").count() == 1
          and http_status(f"{base}/static/kehu/kehu.css") == 200, "static files are not served")
    csp = [e for e in page.console_errors if "Content Security Policy" in e]
    check(not csp, f"CSP errors: {csp}")

    # Ctrl-C in the terminal: make and kehu run get SIGINT; nothing is left behind.
    processes = descendants(make.pid)
    os.killpg(make.pid, signal.SIGINT)
    make.wait(timeout=60)
    left = [(pid, command_line(pid)) for pid in processes if alive(pid)]
    check(not left, f"processes left after Ctrl-C: {left}")
    check(http_status(f"{base}/healthz") is None, "the server still answers after Ctrl-C")

    print(f"walk: {time.monotonic() - started_walk:.0f} s")  # noqa: T201 (the runtime, for the record)
    assert not problems, problems
