"""Helpers of the browser tests: start `shopsight serve`, drive Debian's Chromium with Playwright.

Chromium comes from Debian (`/usr/bin/chromium`; `make test` installs it), never from
`playwright install`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TITLES = {
    "overview": "Overview",
    "mobile": "Mobile",
    "content": "Content",
    "experiments": "Experiments",
    "omnichannel": "Omnichannel",
    "data_health": "Data health",
}
SERVER_START_S = 60.0
UI_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_demo_users(serving: Path, users_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shopsight.cli", "serve", "--create-demo-users"],
        env={
            **os.environ,
            "SHOPSIGHT_SERVING": str(serving),
            "SHOPSIGHT_USERS_FILE": str(users_file),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@contextmanager
def serve(serving: Path, users_file: Path, log: Path) -> Iterator[str]:
    """`shopsight serve` on a free loopback port; yields its URL once it printed it."""
    port = free_port()
    env = {
        **os.environ,
        "SHOPSIGHT_SERVING": str(serving),
        "SHOPSIGHT_USERS_FILE": str(users_file),
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shopsight.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one below
        )
    try:
        deadline = time.monotonic() + SERVER_START_S
        url = None
        while url is None and time.monotonic() < deadline:
            assert proc.poll() is None, f"shopsight serve exited early:\n{log.read_text()}"
            found = re.search(r"Shopsight dashboard: (http://\S+)", log.read_text())
            url = found.group(1) if found else None
            time.sleep(0.2)
        assert url == f"http://127.0.0.1:{port}", f"no URL printed:\n{log.read_text()}"
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def settle(page: Page) -> None:
    """Wait until Streamlit finished the current script run."""
    page.wait_for_timeout(250)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=UI_TIMEOUT_MS,
    )
    page.wait_for_timeout(250)


def sign_in(page: Page, url: str, username: str, password: str | None = None) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password or username)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=UI_TIMEOUT_MS)
    settle(page)


def open_page(page: Page, name: str) -> None:
    links = page.locator('[data-testid="stSidebarNav"] a')
    links.filter(has_text=TITLES[name]).first.click()
    expect(page.locator("h1").first).to_have_text(TITLES[name], timeout=UI_TIMEOUT_MS)
    settle(page)


def nav_pages(page: Page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')
    # A link's text is its icon's ligature name, then the title: keep the title.
    return [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]


def metrics(page: Page) -> dict[str, str]:
    """Metric label -> displayed value."""
    found: dict[str, str] = {}
    cards = page.locator('[data-testid="stMetric"]')
    for i in range(cards.count()):
        card = cards.nth(i)
        label = card.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        found[label] = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return found


def assert_no_error(page: Page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]


def shown_run_id(page: Page) -> str:
    """The short run id the sidebar shows for the snapshot in use."""
    text = page.locator('[data-testid="stSidebar"]').inner_text()
    found = re.search(r"· run\s+(\S+)", text)
    assert found, text
    return found.group(1)


def launch(playwright_instance: object) -> Browser:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
        "`make test` does it"
    )
    return playwright_instance.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=CHROMIUM_ARGS
    )
