"""The dashboard's rules without a browser: formatting, passwords, throttling, sessions, access
scopes, periods, and the snapshot re-opening on a replaced serving file."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from apps import access, auth, periods, snapshot
from apps import format as fmt

# --- number formatting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "style", "expected"),
    [
        (123_456_789.0, "cn", "¥1.23亿"),
        (1_981_000.0, "cn", "¥198万"),
        (389_100.0, "cn", "¥38.9万"),
        (9_999.5, "cn", "¥9,999.50"),
        (1_980_950.0, "intl", "¥1.98M"),
        (2_500_000_000.0, "intl", "¥2.50B"),
        (-45_600.0, "cn", "-¥4.56万"),
        (None, "cn", "–"),
        (float("nan"), "intl", "–"),
    ],
)
def test_money_in_executive_units(value: float | None, style: fmt.NumberStyle, expected: str):
    assert fmt.money(value, style) == expected


def test_counts_rates_and_changes():
    assert fmt.count(9_937, "cn") == "9,937"
    assert fmt.count(123_456, "cn") == "12.3万"
    assert fmt.count(123_456, "intl") == "123K"
    assert fmt.exact_money(1_234_567.891) == "¥1,234,567.89"
    assert fmt.exact_count(12_345) == "12,345"
    assert fmt.percent(0.4567) == "45.7%"
    assert fmt.change_text(110.0, 100.0) == "+10.0%"
    assert fmt.change_text(0.052, 0.048, rate=True) == "+0.4 pp"
    assert fmt.change_text(1.0, 0.0) is None  # no base to compare with
    assert fmt.change_text(None, 3.0) is None
    assert fmt.minutes(45) == "45 min"
    assert fmt.minutes(300) == "5.0 h"


# --- passwords and the users file ----------------------------------------------------------------


def test_password_hash_is_salted_scrypt_and_verifies():
    first = auth.hash_password("s3cret")
    second = auth.hash_password("s3cret")
    assert first.startswith("scrypt$") and "s3cret" not in first
    assert first != second  # a fresh salt each time
    assert auth.verify_password("s3cret", first)
    assert not auth.verify_password("s3cret ", first)
    with pytest.raises(ValueError, match="empty"):
        auth.hash_password("")


def test_demo_users_round_trip(tmp_path: Path):
    path = tmp_path / "users.yaml"
    auth.create_demo_users(path, "B007")
    text = path.read_text()
    assert "demo" in text and "password_hash" in text
    assert "password: " not in text  # never a plain-text password
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    users = auth.load_users(path)
    assert users["demo"].user.role == "executive" and users["demo"].user.brands == ()
    assert users["brand"].user.role == "brand_manager" and users["brand"].user.brands == ("B007",)
    assert auth.verify_password("brand", users["brand"].password_hash)
    # Adding a user keeps the others.
    auth.upsert_user(path, auth.User("ceo", "executive"), "pw")
    assert set(auth.load_users(path)) == {"demo", "brand", "ceo"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("users: {x: {role: boss, password_hash: 'scrypt$1$1$1$AA==$AA=='}}", "role 'boss'"),
        ("users: {x: {role: executive, password: plain}}", "plain-text passwords are refused"),
        ("users: {x: {role: brand_manager, password_hash: 'scrypt$1$1$1$AA==$AA=='}}", "without"),
        ("users: {x: {role: executive, password_hash: 'md5$abc'}}", "not a scrypt password hash"),
        ("nobody: here", "top-level 'users:'"),
        ("users: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_users_file_names_the_problem(tmp_path: Path, body: str, message: str):
    path = tmp_path / "users.yaml"
    path.write_text(body)
    with pytest.raises(auth.UsersFileError, match=message.replace("(", r"\(").replace("$", r"\$")):
        auth.load_users(path)


def test_missing_users_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(auth.UsersFileError, match="no users file"):
        auth.load_users(tmp_path / "absent.yaml")


# --- throttling and sessions -------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_backs_off_exponentially_then_locks():
    clock = FakeClock()
    throttle = auth.LoginThrottle(max_failures=5, window=300, lockout=300, clock=clock)
    assert throttle.wait_seconds("demo") == 0
    waits = []
    for _ in range(4):
        throttle.record_failure("demo")
        waits.append(throttle.wait_seconds("demo"))
        clock.now += waits[-1]  # wait exactly as long as asked
    assert waits == [1, 2, 4, 8]
    throttle.record_failure("demo")  # the fifth failure within five minutes
    assert throttle.wait_seconds("demo") == pytest.approx(300)
    assert throttle.wait_seconds("DEMO ") == pytest.approx(300)  # same account, other spelling
    assert throttle.wait_seconds("brand") == 0  # other accounts are not affected
    clock.now += 301
    assert throttle.wait_seconds("demo") == 0


def test_throttle_forgets_old_failures_and_successes_reset():
    clock = FakeClock()
    throttle = auth.LoginThrottle(clock=clock)
    throttle.record_failure("a")
    throttle.record_failure("a")
    clock.now += 301  # outside the window
    assert throttle.wait_seconds("a") == 0
    throttle.record_failure("a")
    throttle.record_success("a")
    assert throttle.wait_seconds("a") == 0


def test_authenticate_checks_password_and_throttle(tmp_path: Path):
    path = tmp_path / "users.yaml"
    auth.create_demo_users(path, "B001")
    users = auth.load_users(path)
    clock = FakeClock()
    throttle = auth.LoginThrottle(clock=clock)
    assert auth.authenticate(users, throttle, "demo", "demo").user == users["demo"].user
    wrong = auth.authenticate(users, throttle, "demo", "nope")
    assert wrong.user is None and wrong.error == "Wrong user name or password."
    # Immediately again: refused without even checking the (now correct) password.
    blocked = auth.authenticate(users, throttle, "demo", "demo")
    assert blocked.user is None and "Too many failed attempts" in (blocked.error or "")
    # Unknown names give the same answer as wrong passwords.
    assert auth.authenticate(users, throttle, "ghost", "x").error == wrong.error


def test_session_policy(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SHOPSIGHT_SESSION_HOURS", "8")
    monkeypatch.setenv("SHOPSIGHT_SESSION_IDLE_MINUTES", "30")
    policy = auth.SessionPolicy.from_env()
    assert policy.expiry_reason(0, 0, 29 * 60) is None
    assert "without activity" in (policy.expiry_reason(0, 0, 31 * 60) or "")
    assert "maximum length" in (policy.expiry_reason(0, 8 * 3600, 8 * 3600 + 1) or "")
    monkeypatch.setenv("SHOPSIGHT_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ValueError, match="positive"):
        auth.SessionPolicy.from_env()


# --- access scopes -----------------------------------------------------------------------------

EXEC = auth.User("ceo", "executive")
MANAGER = auth.User("bm", "brand_manager", ("B001", "B003"))


def test_executive_scope_is_the_selection_or_everything():
    assert access.scope_for(EXEC).brands is None
    assert access.scope_for(EXEC, ["B002"]).brands == ("B002",)
    assert access.pages_for(EXEC) == access.ALL_PAGES


def test_brand_manager_scope_can_never_widen():
    assert access.scope_for(MANAGER).brands == ("B001", "B003")
    assert access.scope_for(MANAGER, ["B003"]).brands == ("B003",)
    assert access.scope_for(MANAGER, ["B002"]).brands == ("B001", "B003")  # foreign -> own
    assert access.scope_for(MANAGER, ["B002", "B001"]).brands == ("B001",)
    assert access.allowed_brands(MANAGER, ["B001", "B002", "B003"]) == ("B001", "B003")
    assert not access.may_see(MANAGER, "content")
    assert set(access.pages_for(MANAGER)) == {"overview", "mobile"}


# --- periods -----------------------------------------------------------------------------------


def test_comparison_periods():
    assert periods.previous_period(date(2016, 11, 1), date(2016, 11, 30)) == (
        date(2016, 10, 2),
        date(2016, 10, 31),
    )
    assert periods.same_period_last_year(date(2016, 2, 29), date(2016, 3, 6)) == (
        date(2015, 2, 28),
        date(2015, 3, 6),
    )


def test_presets_follow_the_data_not_today():
    bounds = (date(2015, 1, 1), date(2016, 12, 30))
    marked = [date(2015, 11, 11), date(2016, 11, 11)]
    got = periods.presets(bounds, marked)
    assert got[periods.LAST_7] == (date(2016, 12, 24), date(2016, 12, 30))
    assert got[periods.LAST_30] == (date(2016, 12, 1), date(2016, 12, 30))
    assert got[periods.DOUBLE_11_WINDOW] == (date(2016, 11, 4), date(2016, 11, 12))
    assert got[periods.YEAR_TO_DATE] == (date(2016, 1, 1), date(2016, 12, 30))
    # Data that ends before the year's Double 11 uses the previous one.
    early = periods.presets((date(2015, 1, 1), date(2016, 6, 30)), marked)
    assert early[periods.DOUBLE_11_WINDOW] == (date(2015, 11, 4), date(2015, 11, 12))
    # No Double 11 inside the data: no such preset.
    assert periods.DOUBLE_11_WINDOW not in periods.presets((date(2016, 1, 1), date(2016, 3, 1)), [])


# --- snapshot re-opening -----------------------------------------------------------------------


def _write_serving(path: Path, value: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect(str(tmp))
    con.execute("create schema ops")
    con.execute(f"create table ops.publish_info as select {value} as run_id")
    con.close()
    os.replace(tmp, path)


def test_snapshot_reopens_when_the_file_is_replaced(tmp_path: Path):
    path = tmp_path / "serving.duckdb"
    assert snapshot.current(path) is None  # nothing published yet
    _write_serving(path, 1)
    old = snapshot.current(path)
    assert old is not None and old.query("select run_id from ops.publish_info").iloc[0, 0] == 1
    assert snapshot.current(path) is old  # same file: same cached snapshot
    _write_serving(path, 2)
    new = snapshot.current(path)
    assert new is not None and new.version != old.version
    assert new.query("select run_id from ops.publish_info").iloc[0, 0] == 2
    # The old snapshot still answers (a session mid-render keeps its view).
    assert old.query("select run_id from ops.publish_info").iloc[0, 0] == 1


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_values_format_as_absent_not_crash(missing: object) -> None:
    """A period without year-ago data gives pd.NA from pandas; formatting must not raise."""
    assert fmt.change_text(missing, 100.0) is None  # type: ignore[arg-type]
    assert fmt.change_text(100.0, missing) is None  # type: ignore[arg-type]
    assert fmt.change_text(0.5, missing, rate=True) is None  # type: ignore[arg-type]
    assert fmt.relative_change(100.0, missing) is None  # type: ignore[arg-type]
    assert fmt.money(missing) == fmt.money(None)  # type: ignore[arg-type]
