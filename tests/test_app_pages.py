"""The dashboard's pages under Streamlit's AppTest, on a snapshot published by the real pipeline.

Covers sign-in (and its throttle and expiry), the empty state, every page for an executive with
numbers checked against the marts, filters that persist across pages, and the brand manager's
scope (pages, filter options, URL parameters).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from apps import auth, filters, periods, signin
from apps import format as fmt
from apps.snapshot import Snapshot
from shopsight.settings import REPO_ROOT, Settings
from tests import app_expected as expect

APP = str(REPO_ROOT / "apps" / "app.py")
PAGES = ("overview", "mobile", "content", "experiments", "omnichannel", "data_health")
TIMEOUT = 60


@pytest.fixture(scope="module")
def serving(published_serving: Settings) -> Path:
    return published_serving.serving


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory, serving: Path) -> Path:
    """The demo accounts, created through the CLI exactly as `make demo` does."""
    path = tmp_path_factory.mktemp("users") / "users.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "shopsight.cli", "serve", "--create-demo-users"],
        env={
            "PATH": "/usr/bin:/bin",
            "SHOPSIGHT_SERVING": str(serving),
            "SHOPSIGHT_USERS_FILE": str(path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "brand_manager" in done.stdout
    return path


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, serving: Path, users_file: Path) -> None:
    monkeypatch.setenv("SHOPSIGHT_SERVING", str(serving))
    monkeypatch.setenv("SHOPSIGHT_USERS_FILE", str(users_file))
    signin._throttle.clear()  # wrong passwords of one test must not slow down the next


def sign_in(
    username: str, password: str | None = None, query: dict[str, str] | None = None
) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password if password is not None else username)
    at.button(key="FormSubmitter:signin-Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def tooltip(at: AppTest, label: str) -> str:
    """A KPI card's tooltip, which carries the unrounded value."""
    return next(m.proto.help for m in at.metric if m.label == label)


def go(at: AppTest, page: str) -> None:
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, (page, [e.value for e in at.exception])


# --- sign-in and empty states ------------------------------------------------------------------


def test_nothing_is_shown_before_sign_in(app_env: None):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert [t.value for t in at.title] == ["Shopsight"]
    assert not at.metric and not at.sidebar.selectbox  # no numbers, no filters


def test_wrong_password_is_refused_then_throttled(app_env: None):
    at = sign_in("demo", "not-the-password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert not at.metric
    # An immediate second try is refused by the back-off, even with the right password.
    at.text_input(key="signin_password").input("demo")
    at.button(key="FormSubmitter:signin-Sign in").click()
    at.run()
    assert "Too many failed attempts" in at.error[0].value
    assert not at.metric


def test_idle_session_expires(app_env: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SHOPSIGHT_SESSION_IDLE_MINUTES", "30")
    at = sign_in("demo")
    assert at.metric
    at.session_state[signin.SESSION_KEY]["last_seen"] -= 31 * 60
    at.run()
    assert not at.metric
    assert "30 minutes without activity" in at.info[0].value


def test_no_serving_file_shows_the_run_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    users = tmp_path / "users.yaml"
    auth.create_demo_users(users, "B001")
    monkeypatch.setenv("SHOPSIGHT_USERS_FILE", str(users))
    monkeypatch.setenv("SHOPSIGHT_SERVING", str(tmp_path / "not-yet.duckdb"))
    at = sign_in("demo")
    assert "No data published yet" in at.info[0].value
    assert "shopsight run" in at.info[0].value
    assert not at.metric


def test_snapshot_without_days_is_an_empty_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    con = duckdb.connect(str(serving))
    con.execute("create schema marts")
    con.execute("create table marts.kpi_overview_daily (date date, gmv decimal(18, 2))")
    con.close()
    users = tmp_path / "users.yaml"
    auth.create_demo_users(users, "B001")
    monkeypatch.setenv("SHOPSIGHT_USERS_FILE", str(users))
    monkeypatch.setenv("SHOPSIGHT_SERVING", str(serving))
    at = sign_in("demo")
    assert "no marketplace days yet" in at.info[0].value
    assert not at.metric


def test_missing_users_file_explains_how_to_create_users(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOPSIGHT_USERS_FILE", str(tmp_path / "none.yaml"))
    at = sign_in("demo")
    assert "--create-demo-users" in at.error[0].value


# --- executive ---------------------------------------------------------------------------------


def test_overview_numbers_equal_the_marts(app_env: None, serving: Path):
    at = sign_in("demo")
    start, end = expect.last_30_days(serving)
    assert at.session_state[filters.K_RANGE] == (start, end)
    want = expect.overview(serving, start, end)
    prev = expect.overview(serving, *periods.previous_period(start, end))
    shown = metrics(at)
    assert shown["GMV"] == (fmt.money(want.gmv), fmt.change_text(want.gmv, prev.gmv))
    assert f"Exact: {fmt.exact_money(want.gmv)}." in tooltip(at, "GMV")
    assert shown["Orders"][0] == fmt.count(want.orders)
    assert shown["Buyers"][0] == fmt.count(want.buyers)
    assert shown["Conversion rate"][0] == fmt.percent(want.conversion_rate)
    assert shown["Mobile share"][0] == fmt.percent(want.mobile_gmv_share)
    assert shown["Conversion rate"][1] == fmt.change_text(
        want.conversion_rate, prev.conversion_rate, rate=True
    )


def test_every_page_renders_for_an_executive(
    app_env: None, serving: Path, monkeypatch: pytest.MonkeyPatch
):
    at = sign_in("demo")
    start, end = expect.last_30_days(serving)
    for page in PAGES[1:]:
        go(at, page)
        assert at.title[0].value == page.replace("_", " ").capitalize()
        shown = metrics(at)
        if page == "mobile":
            want = expect.brand(serving, [b for b, _ in expect.brands(serving)], start, end)
            assert shown["Mobile GMV share"][0] == fmt.percent(want.mobile_gmv_share)
            assert shown["Wireless GMV"][0] == fmt.money(want.wireless_gmv)
        elif page == "omnichannel":
            share = expect.store_fulfilled_share(serving, start, end)
            assert shown["Store fulfilment share"][0] == fmt.percent(share)
        elif page == "data_health":
            assert shown["Data through"][0] == f"{expect.data_through(serving):%Y-%m-%d}"
        elif page == "experiments":
            flagged = expect.one(
                serving,
                "select bool_or(coalesce(srm_flag, false)) from marts.kpi_experiment_results "
                "where experiment_id = ?",
                [at.selectbox(key="experiment_id").value],
            )
            srm_errors = [e for e in at.error if "Sample ratio mismatch" in e.value]
            assert bool(srm_errors) == bool(flagged)
    # Cached after the first visit: going back to a page reads nothing from the snapshot again.
    # (How fast that is, is the benchmark's business: `shopsight bench`, dashboard section.)
    queried: list[str] = []
    original = Snapshot.query

    def counting(self: Snapshot, sql: str, params: list | None = None):
        queried.append(sql)
        return original(self, sql, params)

    monkeypatch.setattr(Snapshot, "query", counting)
    go(at, "mobile")
    assert not queried, queried
    st.cache_data.clear()  # and the counter does see a page that has to query
    go(at, "mobile")
    assert queried


def test_filters_persist_across_pages_and_presets_apply(app_env: None, serving: Path):
    at = sign_in("demo")
    at.sidebar.selectbox(key=filters.K_PRESET).select(periods.DOUBLE_11_WINDOW).run()
    window = at.session_state[filters.K_RANGE]
    marked = [
        r[0]
        for r in expect.rows(
            serving, "select date from marts.dim_date where festival_code = 'double_11'"
        )
    ]
    assert window[0] <= max(d for d in marked if d <= expect.last_date(serving)) <= window[1]
    want = expect.overview(serving, *window)
    assert metrics(at)["GMV"][0] == fmt.money(want.gmv)
    assert f"Exact: {fmt.exact_money(want.gmv)}." in tooltip(at, "GMV")
    go(at, "omnichannel")
    go(at, "overview")
    assert at.session_state[filters.K_PRESET] == periods.DOUBLE_11_WINDOW
    assert at.session_state[filters.K_RANGE] == window
    assert metrics(at)["GMV"][0] == fmt.money(want.gmv)
    # The number style is a setting too, and it persists.
    at.sidebar.radio(key=filters.K_STYLE).set_value("intl").run()
    assert metrics(at)["GMV"][0] == fmt.money(want.gmv, "intl")


def test_executive_brand_filter_narrows_brand_views(app_env: None, serving: Path):
    at = sign_in("demo")
    names = dict(expect.brands(serving))
    picker = at.sidebar.multiselect(key=filters.K_BRANDS)
    assert sorted(picker.options) == sorted(names.values())  # executives may pick any brand
    start, end = expect.last_30_days(serving)
    top = expect.one(
        serving,
        "select brand_id from marts.kpi_mobile_share_daily where date between ? and ? "
        "group by brand_id order by sum(online_gmv) desc, brand_id limit 1",
        [start, end],
    )
    picker.set_value([top]).run()
    go(at, "mobile")
    want = expect.brand(serving, [top], start, end)
    everyone = expect.brand(serving, list(names), start, end)
    assert metrics(at)["Wireless GMV"][0] == fmt.money(want.wireless_gmv)
    assert want.wireless_gmv < everyone.wireless_gmv


# --- brand manager -----------------------------------------------------------------------------


def _own_and_other(serving: Path, users_file: Path) -> tuple[str, str, str]:
    own = auth.load_users(users_file)["brand"].user.brands[0]
    names = dict(expect.brands(serving))
    other = next(b for b in names if b != own)
    return own, other, names[other]


def test_brand_manager_sees_only_their_brand(app_env: None, serving: Path, users_file: Path):
    own, _other, other_name = _own_and_other(serving, users_file)
    at = sign_in("brand")
    start, end = expect.last_30_days(serving)
    want = expect.brand(serving, [own], start, end)
    shown = metrics(at)
    assert "GMV" not in shown  # no marketplace totals
    assert shown["Online GMV"][0] == fmt.money(want.online_gmv)
    assert f"Exact: {fmt.exact_money(want.online_gmv)}." in tooltip(at, "Online GMV")
    assert shown["Online orders"][0] == fmt.count(want.online_orders)
    picker = at.sidebar.multiselect(key=filters.K_BRANDS)
    assert len(picker.options) == 1 and other_name not in picker.options
    for page in ("content", "experiments", "omnichannel", "data_health"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"views/{page}.py")
    go(at, "mobile")
    assert metrics(at)["Wireless GMV"][0] == fmt.money(want.wireless_gmv)
    page_text = " ".join(str(e.value) for e in at.markdown) + " ".join(c.value for c in at.caption)
    assert other_name not in page_text


def test_brand_manager_cannot_widen_scope_by_url(app_env: None, serving: Path, users_file: Path):
    own, other, _ = _own_and_other(serving, users_file)
    at = sign_in("brand", query={"brand": other, "from": "2015-01-01", "to": "2016-12-31"})
    assert at.session_state[filters.K_BRANDS] == []  # a foreign brand is not even selectable
    go(at, "mobile")
    lo, hi = at.session_state[filters.K_RANGE]
    first = expect.one(serving, "select min(date) from marts.kpi_overview_daily")
    assert (lo, hi) == (max(first, date(2015, 1, 1)), expect.last_date(serving))  # URL dates
    want = expect.brand(serving, [own], lo, hi)
    assert metrics(at)["Wireless GMV"][0] == fmt.money(want.wireless_gmv)
    everyone = expect.brand(serving, [b for b, _ in expect.brands(serving)], lo, hi)
    assert want.wireless_gmv < everyone.wireless_gmv  # the check above could tell them apart


def test_date_range_from_url_is_clamped_to_the_data(app_env: None, serving: Path):
    at = sign_in("demo", query={"from": "1999-01-01", "to": "2999-01-01"})
    lo, hi = at.session_state[filters.K_RANGE]
    first = expect.one(serving, "select min(date) from marts.kpi_overview_daily")
    assert (lo, hi) == (first, expect.last_date(serving))
    assert isinstance(lo, date)
