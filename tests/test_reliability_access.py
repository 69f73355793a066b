"""Access: the sign-in resists the usual attacks, and a brand manager sees only their brands.

- Static: no SQL in `apps/queries.py` is built from anything but fixed text (an AST scan), and
  no other dashboard module runs SQL; secrets are not committed.
- Behavioural, on a real serving file: injection strings as query parameters change nothing
  and read nothing they should not.
- Against the real server (`shopsight serve`), through Streamlit's own websocket protocol (a
  client that sends what a browser sends, including messages no browser UI would produce):
  wrong passwords are throttled, idle sessions end, and a brand manager cannot reach another
  brand through any page, filter, download, query string or crafted widget value.
"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apps import auth
from shopsight.settings import REPO_ROOT
from tests.reliability_support import reference
from tests.reliability_wsclient import ScriptRun, StreamlitSession, sign_in

QUERIES = REPO_ROOT / "apps" / "queries.py"
# Names an f-string in queries.py may interpolate into SQL, and why each is not user input.
FIXED_SQL_NAMES = {
    "unit": "a value of the GRAINS dict, looked up by key",
    "col": "a value of the CONTENT_BREAKDOWNS dict, looked up by key",
    "where": "the fragment `_scope_sql` returns (placeholders only)",
    "where_orders": "the fragment `_scope_sql` returns (placeholders only)",
    "brand_col": "a column name `_scope_sql` is called with, always a literal",
    "category_col": "a column name `_scope_sql` is called with, always a literal",
    "_BRAND_SUMS": "a module constant",
}
INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE marts.dim_brands; --",
    "x') UNION SELECT brand_id FROM marts.dim_brands --",
    '" OR ""="',
    "%' --",
    "\x00",
    "B0001' --",
]


# --- static ------------------------------------------------------------------------------------


def _fstring_names(node: ast.JoinedStr) -> list[str]:
    names = []
    for part in node.values:
        if isinstance(part, ast.FormattedValue):
            expr = part.value
            names.append(expr.id if isinstance(expr, ast.Name) else ast.unparse(expr))
    return names


def test_queries_interpolate_only_fixed_text_into_sql() -> None:
    tree = ast.parse(QUERIES.read_text())
    offenders: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for name in _fstring_names(node):
                if name not in FIXED_SQL_NAMES:
                    offenders.append(f"line {node.lineno}: f-string interpolates {name}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
        ):
            offenders.append(f"line {node.lineno}: str.format")
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            offenders.append(f"line {node.lineno}: % formatting")
    assert not offenders, offenders
    # The interpolated names come from where FIXED_SQL_NAMES says they do.
    source = QUERIES.read_text()
    assert re.findall(r"\bunit = (\w+)\[", source) and set(
        re.findall(r"\bunit = (\w+)\[", source)
    ) == {"GRAINS"}
    assert set(re.findall(r"\bcol = (\w+)\[", source)) == {"CONTENT_BREAKDOWNS"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_scope_sql":
            for arg in [*node.args[1:], *(k.value for k in node.keywords)]:
                assert isinstance(arg, ast.Constant) and re.fullmatch(r"[a-z_.]+", arg.value), (
                    f"line {node.lineno}: _scope_sql called with {ast.unparse(arg)}"
                )
    # The fixed dictionaries hold plain identifiers, nothing that could carry SQL.
    from apps import queries

    for mapping in (queries.GRAINS, queries.CONTENT_BREAKDOWNS):
        assert all(re.fullmatch(r"[a-z_]+", v) for v in mapping.values())


def test_only_queries_and_snapshot_run_sql() -> None:
    runners = re.compile(r"\.(query|execute|sql)\(")
    found = []
    for path in sorted((REPO_ROOT / "apps").rglob("*.py")):
        if path.name in ("queries.py", "snapshot.py"):
            continue
        found += [
            f"{path.name}:{i}"
            for i, line in enumerate(path.read_text().splitlines(), 1)
            if runners.search(line)
        ]
    assert not found, f"SQL run outside apps/queries.py: {found}"


def test_no_secrets_are_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    hits = []
    for name in tracked:
        path = REPO_ROOT / name
        if not path.is_file() or path.suffix in (".png", ".lock", ".parquet", ".duckdb"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        real_hash = r"scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]{16,}=*\$[A-Za-z0-9+/]{20,}"
        if re.search(real_hash, text) or re.search(r"cookieSecret\s*=", text):
            hits.append(name)
    assert not hits, f"password hashes or cookie secrets committed in {hits}"
    # The default users file lives in data/, which git ignores.
    assert auth.users_file().is_relative_to(REPO_ROOT / "data") or os.environ.get(
        "SHOPSIGHT_USERS_FILE"
    )
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "data/users.yaml"], cwd=REPO_ROOT, check=False
    )
    assert ignored.returncode == 0, "data/users.yaml is not git-ignored"


# --- the auth rules, directly ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_passwords_are_throttled_then_locked_out(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    auth.upsert_user(path, auth.User("victim", "executive"), "correct horse")
    records = auth.load_users(path)
    clock = Clock()
    throttle = auth.LoginThrottle(max_failures=5, lockout=300, base_delay=1.0, clock=clock)
    assert auth.authenticate(records, throttle, "victim", "guess-1").user is None
    # Immediately again: refused without even checking the password, and the right one too.
    refused = auth.authenticate(records, throttle, "victim", "correct horse")
    assert refused.user is None and "Too many" in (refused.error or "")
    waits = []
    for i in range(2, 6):
        clock.now += throttle.wait_seconds("victim") + 0.01
        waits.append(throttle.wait_seconds("victim"))
        assert auth.authenticate(records, throttle, "VICTIM ", f"guess-{i}").user is None
    # Five failures: locked out for the lock-out period, whatever the password.
    assert throttle.wait_seconds("victim") == pytest.approx(300, abs=0.1)
    clock.now += 299
    assert auth.authenticate(records, throttle, "victim", "correct horse").user is None
    clock.now += 2
    assert auth.authenticate(records, throttle, "victim", "correct horse").user is not None
    # Another name was never slowed down by the attack on this one.
    assert throttle.wait_seconds("someone-else") == 0


def test_unknown_users_and_wrong_passwords_look_the_same(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    auth.upsert_user(path, auth.User("real", "executive"), "pw-real")
    records = auth.load_users(path)
    throttle = auth.LoginThrottle(base_delay=0.0, max_failures=10_000)
    timings: dict[str, list[float]] = {"real": [], "ghost": []}
    messages = set()
    for _ in range(7):
        for name in timings:
            t0 = time.perf_counter()
            messages.add(auth.authenticate(records, throttle, name, "nope").error)
            timings[name].append(time.perf_counter() - t0)
    assert len(messages) == 1, messages
    # The fastest of several tries is the least disturbed by other load on the machine. Without
    # the dummy check an unknown name would answer about a thousand times faster than this.
    real, ghost = min(timings["real"]), min(timings["ghost"])
    assert 0.2 < real / ghost < 5.0, (timings["real"], timings["ghost"])


def test_sessions_expire() -> None:
    policy = auth.SessionPolicy(max_age=3600, idle=60)
    assert policy.expiry_reason(0, 0, 59) is None
    assert "without activity" in (policy.expiry_reason(0, 0, 61) or "")
    assert policy.expiry_reason(0, 3500, 3550) is None
    assert "maximum" in (policy.expiry_reason(0, 3599, 3601) or "")


def test_users_file_refuses_plain_passwords_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  eve:\n    role: executive\n    password: hunter2\n")
    with pytest.raises(auth.UsersFileError, match="plain-text"):
        auth.load_users(path)
    path.write_text("users:\n  bob:\n    role: brand_manager\n    password_hash: x\n")
    with pytest.raises(auth.UsersFileError):
        auth.load_users(path)
    good = tmp_path / "good.yaml"
    auth.upsert_user(good, auth.User("ann", "brand_manager", ("B1",)), "pw")
    assert good.stat().st_mode & 0o077 == 0, oct(good.stat().st_mode)
    assert "pw" not in good.read_text().split("password_hash")[0]


# --- injection, behaviourally, on a real serving file ------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference(tmp_path_factory).original.serving


def test_injection_strings_are_only_ever_values(served: Path) -> None:
    from apps import queries, snapshot
    from apps.access import BrandScope

    snap = snapshot.current(served)
    assert snap is not None
    all_brands = queries.brands(snap, BrandScope(None))
    bounds = queries.data_bounds(snap)
    assert bounds is not None and len(all_brands) > 1
    start, end = bounds
    own = str(all_brands["brand_id"].iloc[0])
    for text in INJECTIONS:
        assert queries.brands(snap, BrandScope((text,))).empty
        mixed = queries.mobile_by_brand(snap, BrandScope((own, text)), start, end)
        assert set(mixed["brand_id"]) <= {own}, text
        assert queries.experiment_results(snap, text).empty
        assert queries.content_growth(snap, text, start, end).empty
        with pytest.raises(KeyError):
            queries.terminal_trend(snap, start, end, text)
        with pytest.raises(KeyError):
            queries.content_breakdown(snap, start, end, text)
    # Nothing was dropped or changed.
    assert len(queries.brands(snap, BrandScope(None))) == len(all_brands)


# --- against the real server -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(served: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from apps import queries, snapshot
    from apps.access import BrandScope
    from tests.browser_support import serve

    root = tmp_path_factory.mktemp("access_server")
    users = root / "users.yaml"
    snap = snapshot.current(served)
    assert snap is not None
    brands = queries.brands(snap, BrandScope(None)).sort_values("brand_id")
    own = str(brands["brand_id"].iloc[0])
    auth.upsert_user(users, auth.User("exec", "executive"), "exec-pw")
    auth.upsert_user(users, auth.User("bm", "brand_manager", (own,)), "bm-pw")
    auth.upsert_user(users, auth.User("victim", "executive"), "victim-pw")
    old = os.environ.get("SHOPSIGHT_SESSION_IDLE_MINUTES")
    os.environ["SHOPSIGHT_SESSION_IDLE_MINUTES"] = "0.1"  # six seconds
    try:
        with serve(served, users, root / "serve.log") as url:
            yield {
                "url": url,
                "own": own,
                "foreign": {str(b) for b in brands["brand_id"] if b != own},
                "foreign_names": {
                    str(n)
                    for b, n in zip(brands["brand_id"], brands["brand_name"], strict=True)
                    if b != own
                },
            }
    finally:
        if old is None:
            os.environ.pop("SHOPSIGHT_SESSION_IDLE_MINUTES", None)
        else:
            os.environ["SHOPSIGHT_SESSION_IDLE_MINUTES"] = old


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_server_throttles_wrong_passwords(server: dict[str, Any]) -> None:
    """Five wrong passwords (waiting out each back-off, as a patient attacker would) lock the
    name: then even the right password is refused."""

    async def attack() -> tuple[list[str], ScriptRun]:
        replies: list[str] = []
        async with StreamlitSession(server["url"]) as s:
            form = await s.run()
            ids = [form.widgets[k][1] for k in ("User name", "Password", "Sign in")]

            async def submit(password: str) -> ScriptRun:
                return await s.run(
                    widgets=[
                        (ids[0], "string_value", "victim"),
                        (ids[1], "string_value", password),
                        (ids[2], "trigger_value", True),
                    ]
                )

            wrong = 0
            while wrong < 5 and len(replies) < 40:
                text = (await submit(f"guess-{len(replies)}")).text()
                replies.append(text)
                if "Wrong user name or password" in text:
                    wrong += 1
                    continue
                wait = re.search(r"Try again in (\d+) s", text)
                assert wait, text
                await asyncio.sleep(min(float(wait.group(1)), 10.0) + 0.3)
            return replies, await submit("victim-pw")

    replies, right = _run(attack())
    assert sum("Wrong user name or password" in r for r in replies) == 5, replies
    assert "Too many failed attempts" in right.text()
    assert not right.metrics


def test_server_ends_idle_sessions(server: dict[str, Any]) -> None:
    async def idle() -> tuple[ScriptRun, ScriptRun]:
        async with StreamlitSession(server["url"]) as s:
            signed = await sign_in(s, "exec", "exec-pw")
            await asyncio.sleep(7)
            return signed, await s.run()

    signed, later = _run(idle())
    assert signed.metrics, signed.text()
    assert "without activity" in later.text()
    assert not later.metrics and "User name" in later.widgets


def _leaks(run: ScriptRun, server: dict[str, Any]) -> list[str]:
    text = run.text()
    found = [b for b in server["foreign"] if re.search(rf"\b{re.escape(b)}\b", text)]
    found += [n for n in server["foreign_names"] if re.search(rf"\b{re.escape(n)}\b", text)]
    return found


def test_brand_manager_cannot_reach_another_brand(server: dict[str, Any]) -> None:
    url, own = server["url"], server["own"]
    other = sorted(server["foreign"])[0]

    async def probe() -> list[tuple[str, ScriptRun]]:
        seen: list[tuple[str, ScriptRun]] = []

        async with StreamlitSession(url, fetch_downloads=True) as s:
            seen.append(("sign-in", await sign_in(s, "bm", "bm-pw")))
            pages = dict(s.pages)
            seen.append(("navigation", ScriptRun(texts=list(pages))))
            for page in ("", "mobile"):
                seen.append((f"page {page or 'overview'}", await s.run(page=page)))
            # Crafted: marketplace-wide pages by name, and URLs naming another brand.
            for page in ("content", "experiments", "omnichannel", "data_health"):
                seen.append((f"crafted page {page}", await s.run(page=page)))
            for qs in (f"brand={other}", f"brand={own}&brand={other}", "brand=' OR '1'='1"):
                seen.append((f"query {qs}", await s.run(page="mobile", query_string=qs)))
        # A fresh session whose very first URL names another brand (seeds the filters).
        async with StreamlitSession(url, fetch_downloads=True) as s:
            await s.run(query_string=f"brand={other}")
            seen.append(("deep link", await sign_in(s, "bm", "bm-pw")))
            run = await s.run(page="mobile", query_string=f"brand={other}")
            seen.append(("deep link mobile", run))
            # Crafted widget state: the brand picker set to another brand's id.
            _kind, wid = run.widgets.get("Brand (yours)", ("", ""))
            assert wid, run.widgets
            seen.append(
                (
                    "crafted brand widget",
                    await s.run(page="mobile", widgets=[(wid, "string_array_value", [other])]),
                )
            )
        return seen

    seen = _run(probe())
    csv_texts = [text for _, run in seen for text in run.download_texts]
    navigation = dict(seen)["navigation"].texts
    assert set(navigation) <= {"", "overview", "mobile"}, navigation
    for what, run in seen:
        assert not run.exceptions or what.startswith("crafted"), (what, run.exceptions)
        assert not _leaks(run, server), (what, _leaks(run, server))
    assert csv_texts, "no download was offered to check"
    for csv_text in csv_texts:
        leaked = [b for b in server["foreign"] if re.search(rf"\b{re.escape(b)}\b", csv_text)]
        assert not leaked, leaked
    assert any(own in run.text() or run.metrics for _, run in seen if _.startswith("page"))
