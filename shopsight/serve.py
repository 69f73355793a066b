"""`shopsight serve`: run the dashboard on the last published serving snapshot.

Also manages dashboard users (a YAML file outside the repository, `SHOPSIGHT_USERS_FILE`):
`--create-demo-users` writes the documented demo accounts, `--add-user` adds a real one.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HELP = "Serve the executive dashboard (Streamlit) on the last published snapshot."

APP = Path(__file__).resolve().parents[1] / "apps" / "app.py"
STARTUP_TIMEOUT_S = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--users-file",
        type=Path,
        default=None,
        help="users YAML (default: $SHOPSIGHT_USERS_FILE or data/users.yaml)",
    )
    parser.add_argument(
        "--create-demo-users",
        action="store_true",
        help="write the demo accounts demo/demo (executive) and brand/brand (brand manager of "
        "the first brand) into the users file, then exit",
    )
    parser.add_argument(
        "--add-user",
        metavar="NAME",
        help="add or replace a user (password from --password-stdin or a prompt), then exit",
    )
    parser.add_argument("--role", choices=["executive", "brand_manager"], default="executive")
    parser.add_argument("--brands", default="", help="comma-separated brand ids (brand_manager)")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the new user's password from stdin"
    )


def _users_path(args: argparse.Namespace) -> Path:
    from apps import auth

    if args.users_file is not None:
        os.environ["SHOPSIGHT_USERS_FILE"] = str(args.users_file.expanduser().resolve())
    return auth.users_file()


def _first_brand() -> str:
    """The first brand (by id) of the published snapshot: the demo brand manager's brand."""
    from apps import snapshot

    snap = snapshot.current()
    if snap is None:
        raise SystemExit(
            f"no serving snapshot at {snapshot.serving_path()}: run `shopsight run` first, "
            "the demo brand manager needs a brand"
        )
    brands = snap.query("select brand_id from marts.dim_brands order by brand_id limit 1")
    if brands.empty:
        raise SystemExit("the serving snapshot has no brands (marts.dim_brands is empty)")
    return str(brands["brand_id"].iloc[0])


def create_demo_users(path: Path) -> int:
    from apps import auth

    users = auth.create_demo_users(path, _first_brand())
    for user in users:
        scope = "all brands" if user.is_executive else ", ".join(user.brands)
        print(f"[serve] user {user.username!r} ({user.role}, {scope}) -> {path}")
    print(f"[serve] {auth.DEMO_PASSWORD_NOTE}")
    return 0


def add_user(path: Path, args: argparse.Namespace) -> int:
    from apps import auth

    brands = tuple(b.strip() for b in args.brands.split(",") if b.strip())
    if args.role == "brand_manager" and not brands:
        print("[serve] a brand_manager needs --brands", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.add_user}: ")
    if not password:
        print("[serve] refusing an empty password", file=sys.stderr)
        return 2
    user = auth.User(args.add_user, args.role, brands if args.role == "brand_manager" else ())
    auth.upsert_user(path, user, password)
    print(f"[serve] user {user.username!r} ({user.role}) saved to {path}")
    return 0


def streamlit_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=viewer",
        "--client.showErrorDetails=none",
    ]


def _wait_healthy(proc: subprocess.Popen[bytes], url: str) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    return False


def run(args: argparse.Namespace) -> int:
    from apps import snapshot

    path = _users_path(args)
    if args.create_demo_users:
        return create_demo_users(path)
    if args.add_user:
        return add_user(path, args)

    if not path.exists():
        print(
            f"[serve] no users file at {path}; nobody can sign in. Create the demo accounts "
            "with `shopsight serve --create-demo-users`.",
            file=sys.stderr,
        )
    serving = snapshot.serving_path()
    if not serving.exists():
        print(f"[serve] no snapshot at {serving} yet; the app waits for `shopsight run`.")
    host_for_url = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{host_for_url}:{args.port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(streamlit_command(args.host, args.port), cwd=APP.parents[1], env=env)

    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds into `finally`, which stops Streamlit

    signal.signal(signal.SIGTERM, _stop)
    try:
        if _wait_healthy(proc, url):
            print(f"[serve] Shopsight dashboard: {url}  (Ctrl+C to stop)", flush=True)
        elif proc.poll() is None:
            print(f"[serve] still starting; expect the dashboard at {url}", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
