"""The app keeps answering from the previous snapshot while `shopsight run` rebuilds and
publishes, then switches to the new snapshot without a restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from shopsight.settings import Settings
from tests import app_expected as want
from tests import browser_support as ui
from tests.conftest import make_settings

pytestmark = pytest.mark.browser

RUN_TIMEOUT_S = 600


def _own_copy(shared: Settings, root: Path) -> Settings:
    """A private copy of the shared warehouse and snapshot: this test publishes over it."""
    settings = make_settings(root, landing=shared.landing_dir)
    for src, dst in ((shared.warehouse, settings.warehouse), (shared.serving, settings.serving)):
        shutil.copy2(src, dst)
        wal = src.with_name(src.name + ".wal")
        if wal.exists():
            shutil.copy2(wal, dst.with_name(dst.name + ".wal"))
    return settings


def test_serving_survives_a_publish_and_switches_to_it(
    published_serving: Settings, tmp_path: Path, test_output_dir: Path
) -> None:
    settings = _own_copy(published_serving, tmp_path)
    old_run = want.run_id(settings.serving)
    users = tmp_path / "users.yaml"
    ui.create_demo_users(settings.serving, users)
    env = {
        **os.environ,
        "SHOPSIGHT_LANDING_DIR": str(settings.landing_dir),
        "SHOPSIGHT_WAREHOUSE": str(settings.warehouse),
        "SHOPSIGHT_SERVING": str(settings.serving),
        "SHOPSIGHT_VALIDATIONS_DIR": str(settings.validations_dir),
    }
    with (
        ui.serve(settings.serving, users, tmp_path / "serve.log") as url,
        sync_playwright() as p,
    ):
        browser = ui.launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        ui.sign_in(page, url, "demo")
        assert ui.shown_run_id(page) == old_run[:8]
        gmv_before = ui.metrics(page)["GMV"]

        with (tmp_path / "run.log").open("w") as log:
            run = subprocess.Popen(
                [sys.executable, "-m", "shopsight.cli", "run"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        seen: list[str] = []
        try:
            target = "mobile"
            while run.poll() is None:  # keep using the app while the pipeline works
                ui.open_page(page, target)
                ui.assert_no_error(page)
                assert ui.metrics(page), "a page without numbers during the run"
                seen.append(ui.shown_run_id(page))
                target = "overview" if target == "mobile" else "mobile"
                page.wait_for_timeout(1000)  # a user's pace; leaves the CPU to the pipeline
            returncode = run.wait(timeout=RUN_TIMEOUT_S)
        finally:
            if run.poll() is None:
                run.kill()
        assert returncode == 0, (tmp_path / "run.log").read_text()[-3000:]

        new_run = want.run_id(settings.serving)
        assert new_run != old_run
        assert seen and seen[0] == old_run[:8], seen  # answered from the old snapshot
        assert set(seen) <= {old_run[:8], new_run[:8]}
        switched = [s == new_run[:8] for s in seen]
        assert switched == sorted(switched), seen  # once switched, never back

        ui.open_page(page, "mobile")
        ui.open_page(page, "overview")
        assert ui.shown_run_id(page) == new_run[:8]  # the next page view uses the new file
        assert ui.metrics(page)["GMV"] == gmv_before  # same data, re-published
        shots = test_output_dir / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / "after_republish_overview.png")
        browser.close()
