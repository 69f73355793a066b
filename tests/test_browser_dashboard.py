"""End to end: real `shopsight serve`, real headless Chromium, the real pipeline's snapshot.

An executive signs in and visits every page; the numbers shown must equal the marts. A brand
manager must not see another brand's numbers, also not by editing the URL, the filter or the
CSV download. Every page is saved as a screenshot under `$SHOPSIGHT_TEST_OUTPUT/screenshots`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from apps import auth
from apps import format as fmt
from shopsight.settings import Settings
from tests import app_expected as want
from tests import browser_support as ui

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def served(
    published_serving: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Path]]:
    root = tmp_path_factory.mktemp("served")
    users = root / "users.yaml"
    ui.create_demo_users(published_serving.serving, users)
    with ui.serve(published_serving.serving, users, root / "serve.log") as url:
        yield url, published_serving.serving, users


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = ui.launch(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(test_output_dir: Path) -> Path:
    out = test_output_dir / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_executive_sees_every_page_with_the_marts_numbers(
    served: tuple[str, Path, Path], browser: Browser, shots: Path
) -> None:
    url, serving, _ = served
    page = browser.new_page(viewport=VIEWPORT)
    ui.sign_in(page, url, "demo")
    assert ui.nav_pages(page) == list(ui.TITLES.values())
    start, end = want.last_30_days(serving)
    overview = want.overview(serving, start, end)
    shown = ui.metrics(page)
    assert shown["GMV"] == fmt.money(overview.gmv)
    assert shown["Orders"] == fmt.count(overview.orders)
    assert shown["Buyers"] == fmt.count(overview.buyers)
    assert shown["Conversion rate"] == fmt.percent(overview.conversion_rate)
    assert shown["Mobile share"] == fmt.percent(overview.mobile_gmv_share)
    assert ui.shown_run_id(page) == want.run_id(serving)[:8]
    page.screenshot(path=shots / "executive_overview.png", full_page=True)

    everyone = want.brand(serving, [b for b, _ in want.brands(serving)], start, end)
    for name in ("mobile", "content", "experiments", "omnichannel", "data_health"):
        ui.open_page(page, name)
        ui.assert_no_error(page)
        shown = ui.metrics(page)
        if name == "mobile":
            assert shown["Mobile GMV share"] == fmt.percent(everyone.mobile_gmv_share)
            assert shown["Wireless GMV"] == fmt.money(everyone.wireless_gmv)
        elif name == "omnichannel":
            share = want.store_fulfilled_share(serving, start, end)
            assert shown["Store fulfilment share"] == fmt.percent(share)
        elif name == "data_health":
            assert shown["Data through"] == f"{want.data_through(serving):%Y-%m-%d}"
        else:
            assert shown, f"{name} shows no KPI"
        page.screenshot(path=shots / f"executive_{name}.png", full_page=True)
    page.close()


def _csv_rows(page, button_name: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    return list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))


def test_brand_manager_cannot_see_other_brands(
    served: tuple[str, Path, Path], browser: Browser, shots: Path
) -> None:
    url, serving, users = served
    own = auth.load_users(users)["brand"].user.brands[0]
    names = dict(want.brands(serving))
    other = next(b for b in names if b != own)
    start, end = want.last_30_days(serving)
    mine = want.brand(serving, [own], start, end)

    page = browser.new_page(viewport=VIEWPORT)
    # A hand-edited URL asks for another brand on the Mobile page.
    ui.sign_in(page, f"{url}/mobile?brand={other}", "brand")
    assert ui.nav_pages(page) == ["Overview", "Mobile"]
    if page.locator("h1").first.inner_text() != "Mobile":
        ui.open_page(page, "mobile")
    ui.assert_no_error(page)
    shown = ui.metrics(page)
    assert shown["Wireless GMV"] == fmt.money(mine.wireless_gmv)
    assert shown["Mobile GMV share"] == fmt.percent(mine.mobile_gmv_share)
    body = page.inner_text("body")
    assert names[own] in body and names[other] not in body
    page.screenshot(path=shots / "brand_manager_mobile.png", full_page=True)

    # The brand filter offers their own brand only.
    page.locator('[data-testid="stMultiSelect"]').first.click()
    options = page.locator('[role="option"]')
    offered = [options.nth(i).inner_text().strip() for i in range(options.count())]
    assert offered == [names[own]]
    page.keyboard.press("Escape")

    # The CSV download carries the same server-side scope.
    rows = _csv_rows(page, "Download mobile by brand (CSV)")
    assert rows and {r["brand_id"] for r in rows} == {own}

    # The overview is built from their brand only, with no marketplace totals.
    ui.open_page(page, "overview")
    shown = ui.metrics(page)
    assert "GMV" not in shown
    assert shown["Online GMV"] == fmt.money(mine.online_gmv)
    page.screenshot(path=shots / "brand_manager_overview.png", full_page=True)

    # A marketplace-wide page typed into the URL is not served to them.
    ui.sign_in(page, f"{url}/content", "brand")
    ui.assert_no_error(page)
    assert page.locator("h1").first.inner_text() == "Overview"
    assert "Content UV" not in page.inner_text("body")
    page.close()
