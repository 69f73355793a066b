"""Concurrency: the dashboard under load while the pipeline writes twice, and a third run that
refuses to start while the warehouse is taken.

Twenty sessions loop over every page of their role on a real `shopsight serve` (loopback):
one (three with SHOPSIGHT_LONG_TESTS=1) is a real headless Chromium driven by Playwright, the
others speak Streamlit's websocket protocol (`tests/reliability_wsclient.py`), because twenty
browsers do not fit on a 2-core machine next to two pipeline runs; for the server, a protocol
session costs what a browser session costs (every script run, query and cache lookup).

Meanwhile two `shopsight run --wait` start at the same moment (one waits for the other), and a
plain `shopsight run` started while the lock is held refuses with a clear message. Every page
view must finish without an error and show a complete snapshot of a succeeded run, and the
warehouse must end equal to a clean build.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from apps import auth
from shopsight import warehouse as wh
from tests.reliability_support import (
    LONG,
    RESENT_DAY,
    RESENT_ENTITY,
    Command,
    copy_deployment,
    diff,
    redeliver,
    reference,
    runs_table,
    serving_state,
    warehouse_state,
)
from tests.reliability_wsclient import StreamlitSession, sign_in

pytestmark = [pytest.mark.timeout(2400), pytest.mark.browser]

SESSIONS = 20
BROWSERS = 3 if LONG else 1
EXTRA_LOAD_S = 120.0 if LONG else 5.0  # keep loading this long after both runs finished
# A protocol session's pause between pages. The short mode keeps all twenty sessions looping but
# leaves the two runs some of CI's two cores, so the test stays within a few minutes.
THINK_S = 0.3 if LONG else 1.0
RUN_ID = re.compile(r"run `([0-9a-f]{8})`")


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.views: Counter[str] = Counter()
        self.run_ids: Counter[str] = Counter()
        self.errors: list[str] = []

    def record(self, who: str, page: str, ok: bool, run_id: str | None, detail: str = "") -> None:
        with self.lock:
            self.views[who] += 1
            if run_id:
                self.run_ids[run_id] += 1
            if not ok:
                self.errors.append(f"{who} {page}: {detail[:500]}")


async def _protocol_session(
    url: str, who: str, user: str, password: str, stop: threading.Event, tally: Tally
) -> None:
    async with StreamlitSession(url) as s:
        first = await sign_in(s, user, password)
        tally.record(who, "sign-in", first.ok and bool(first.metrics), None, first.text())
        while not stop.is_set():
            for page in list(s.pages):
                run = await s.run(page=page)
                found = RUN_ID.search(run.text())
                tally.record(
                    who,
                    page or "overview",
                    run.ok and found is not None,
                    found.group(1) if found else None,
                    "; ".join(run.exceptions) or run.text()[-300:],
                )
                await asyncio.sleep(THINK_S)
                if stop.is_set():
                    break


def _protocol_load(url: str, n: int, stop: threading.Event, tally: Tally) -> None:
    async def main() -> None:
        users = [("exec", "exec-pw"), ("bm", "bm-pw")]
        await asyncio.gather(
            *(_protocol_session(url, f"ws{i}", *users[i % 2], stop, tally) for i in range(n))
        )

    try:
        asyncio.run(main())
    except Exception as exc:  # recorded, then asserted on by the test
        tally.record("protocol", "?", False, None, repr(exc))


def _browser_load(url: str, n: int, stop: threading.Event, tally: Tally) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser_support import (
        TITLES,
        assert_no_error,
        launch,
        open_page,
        shown_run_id,
    )
    from tests.browser_support import (
        sign_in as browser_sign_in,
    )

    try:
        with sync_playwright() as p:
            browser = launch(p)
            pages = []
            for _ in range(n):
                page = browser.new_context().new_page()
                browser_sign_in(page, url, "exec", "exec-pw")
                pages.append(page)
            while not stop.is_set():
                for name in TITLES:
                    for i, page in enumerate(pages):
                        who = f"browser{i}"
                        try:
                            open_page(page, name)
                            assert_no_error(page)
                            tally.record(who, name, True, shown_run_id(page))
                        except Exception as exc:
                            tally.record(who, name, False, None, repr(exc))
                    if stop.is_set():
                        break
            browser.close()
    except Exception as exc:
        tally.record("browser", "?", False, None, repr(exc))


def test_dashboard_under_load_while_two_runs_write(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    from tests.browser_support import serve

    refs = reference(tmp_path_factory)
    settings = copy_deployment(refs.original, tmp_path / "deploy")
    users = tmp_path / "users.yaml"
    own = serving_state(settings.serving)  # also proves the copy opens
    auth.upsert_user(users, auth.User("exec", "executive"), "exec-pw")
    first_brand = _first_brand(settings.serving)
    auth.upsert_user(users, auth.User("bm", "brand_manager", (first_brand,)), "bm-pw")
    from shopsight import contract

    e = contract.entity(RESENT_ENTITY)
    redeliver(settings.landing_dir / e.source / e.name / f"dt={RESENT_DAY}")

    stop = threading.Event()
    tally = Tally()
    with serve(settings.serving, users, tmp_path / "serve.log") as url:
        threads = [
            threading.Thread(
                target=_protocol_load, args=(url, SESSIONS - BROWSERS, stop, tally), daemon=True
            ),
            threading.Thread(target=_browser_load, args=(url, BROWSERS, stop, tally), daemon=True),
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 600
        while sum(tally.views.values()) < SESSIONS and time.monotonic() < deadline:
            time.sleep(0.5)  # every session has signed in and drawn a page

        a = Command(settings, ["run", "--wait", "1800"], tmp_path / "run-a.log")
        b = Command(settings, ["run", "--wait", "1800"], tmp_path / "run-b.log")
        lock = wh.lock_path(settings.warehouse)
        a.wait_until("holding the lock", lambda: lock.exists() and lock.read_text().strip() != "")
        c = Command(settings, ["run"], tmp_path / "run-c.log")
        rc_c = c.finish()
        rc_a, rc_b = a.finish(), b.finish()
        time.sleep(EXTRA_LOAD_S)
        stop.set()
        for t in threads:
            t.join(timeout=300)

    assert rc_c == 3, c.output[-2000:]
    assert "another Shopsight run is writing" in c.output
    assert rc_a == 0, a.output[-4000:]
    assert rc_b == 0, b.output[-4000:]
    assert not tally.errors, tally.errors[:10]
    assert len(tally.views) == SESSIONS, tally.views
    runs = {r[0][:8]: r[1] for r in runs_table(settings.warehouse)}
    assert set(tally.run_ids) <= {k for k, v in runs.items() if v == "succeeded"}, (
        tally.run_ids,
        runs,
    )
    # Readers moved on to the new snapshots while they kept working.
    assert own["run_id"][:8] in tally.run_ids and len(tally.run_ids) >= 2, tally.run_ids
    got, want = warehouse_state(settings.warehouse), warehouse_state(refs.original.warehouse)
    assert got["deliveries"] == want["deliveries"]
    assert not diff(got["tables"], want["tables"]), diff(got["tables"], want["tables"])
    print(
        f"page views: {sum(tally.views.values())} by {len(tally.views)} sessions; "
        f"snapshots seen: {dict(tally.run_ids)}"
    )


def _first_brand(serving: Path) -> str:
    import duckdb

    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{serving}' as s (read_only)")
        row: Any = con.execute("select min(brand_id) from s.marts.dim_brands").fetchone()
    return str(row[0])
