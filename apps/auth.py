"""Dashboard users, password hashes, sign-in throttling and session lifetime.

Nothing here imports Streamlit, so the rules can be tested directly and reused by the CLI
(`shopsight serve --create-demo-users`).

- Users live in a YAML file outside the repository (`SHOPSIGHT_USERS_FILE`, default
  `data/users.yaml`, which git ignores). Passwords are stored only as salted scrypt hashes.
- Roles: `executive` sees every brand; `brand_manager` sees only the brands listed for them.
- Wrong passwords are throttled per user name: an exponential wait between attempts, and a
  lock-out after too many failures in a window.
- A session ends after a maximum age or after a period without activity.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from shopsight.settings import DATA_DIR

Role = Literal["executive", "brand_manager"]
ROLES: tuple[str, ...] = ("executive", "brand_manager")

# scrypt cost: 2^14 x 8 x 1 takes ~16 MiB and tens of milliseconds, which makes offline guessing
# expensive while keeping one sign-in fast.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
HASH_SCHEME = "scrypt"

DEMO_PASSWORD_NOTE = "demo accounts: demo/demo (executive), brand/brand (brand manager)"


class UsersFileError(ValueError):
    """The users file is missing, unreadable or has an invalid entry (the message says which)."""


@dataclass(frozen=True)
class User:
    """A signed-in identity: what the app needs to decide what someone may see."""

    username: str
    role: Role
    brands: tuple[str, ...] = ()
    display_name: str = ""

    @property
    def is_executive(self) -> bool:
        return self.role == "executive"


@dataclass(frozen=True)
class UserRecord:
    """One entry of the users file."""

    user: User
    password_hash: str


# --- passwords ---------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$<salt>$<hash>` (base64), with a fresh random salt unless one is given."""
    if not password:
        raise ValueError("a password must not be empty")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=SCRYPT_DKLEN,
    )
    return f"{HASH_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != HASH_SCHEME:
        raise ValueError("not a scrypt password hash (expected scrypt$n$r$p$salt$hash)")
    n, r, p = (int(v) for v in parts[1:4])
    return n, r, p, base64.b64decode(parts[4]), base64.b64decode(parts[5])


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches the stored hash (constant-time comparison)."""
    n, r, p, salt, expected = _parse_hash(encoded)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(expected))
    return hmac.compare_digest(digest, expected)


# A hash of a random password: checking unknown user names against it costs the same time as a
# real check, so response times do not reveal which user names exist.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


# --- the users file ----------------------------------------------------------------------------


def users_file() -> Path:
    """Where the users file is: `SHOPSIGHT_USERS_FILE`, else `data/users.yaml`."""
    value = os.environ.get("SHOPSIGHT_USERS_FILE")
    return Path(value).expanduser().resolve() if value else DATA_DIR / "users.yaml"


def _record(username: str, entry: Any, path: Path) -> UserRecord:
    where = f"{path}: user {username!r}"
    if not isinstance(entry, Mapping):
        raise UsersFileError(f"{where} must be a mapping with role and password_hash")
    role = entry.get("role")
    if role not in ROLES:
        raise UsersFileError(f"{where} has role {role!r}; expected one of {', '.join(ROLES)}")
    password_hash = entry.get("password_hash")
    if not isinstance(password_hash, str):
        raise UsersFileError(f"{where} has no password_hash (plain-text passwords are refused)")
    try:
        _parse_hash(password_hash)
    except ValueError as exc:
        raise UsersFileError(f"{where}: {exc}") from None
    brands = entry.get("brands") or []
    if not isinstance(brands, list) or not all(isinstance(b, str) and b for b in brands):
        raise UsersFileError(f"{where}: brands must be a list of brand ids")
    if role == "brand_manager" and not brands:
        raise UsersFileError(f"{where} is a brand_manager without brands")
    user = User(
        username=username,
        role=role,
        brands=tuple(brands) if role == "brand_manager" else (),
        display_name=str(entry.get("name") or username),
    )
    return UserRecord(user=user, password_hash=password_hash)


def load_users(path: Path) -> dict[str, UserRecord]:
    """Read and validate the users file; an invalid entry raises `UsersFileError`."""
    if not path.exists():
        raise UsersFileError(f"no users file at {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsersFileError(f"{path} is not valid YAML: {exc}") from None
    users = data.get("users") if isinstance(data, Mapping) else None
    if not isinstance(users, Mapping):
        raise UsersFileError(f"{path} must have a top-level 'users:' mapping")
    return {str(name): _record(str(name), entry, path) for name, entry in users.items()}


def _entry(record: UserRecord) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": record.user.display_name or record.user.username,
        "role": record.user.role,
        "password_hash": record.password_hash,
    }
    if record.user.brands:
        entry["brands"] = list(record.user.brands)
    return entry


def save_users(path: Path, records: Mapping[str, UserRecord]) -> None:
    """Write the users file (owner-readable only), replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"users": {name: _entry(rec) for name, rec in sorted(records.items())}}
    header = (
        "# Shopsight dashboard users. Passwords are salted scrypt hashes; create entries with\n"
        "# `shopsight serve --add-user NAME --role executive|brand_manager [--brands B1,B2]`.\n"
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True), "utf-8")
    tmp.chmod(0o600)
    os.replace(tmp, path)


def upsert_user(path: Path, user: User, password: str) -> None:
    """Add or replace one user in the file, keeping everyone else."""
    records = load_users(path) if path.exists() else {}
    records[user.username] = UserRecord(user=user, password_hash=hash_password(password))
    save_users(path, records)


def create_demo_users(path: Path, first_brand: str) -> list[User]:
    """The documented demo accounts: `demo`/`demo` (executive), `brand`/`brand` (one brand)."""
    demo = User("demo", "executive", (), "Demo executive")
    brand = User("brand", "brand_manager", (first_brand,), f"Demo brand manager ({first_brand})")
    upsert_user(path, demo, "demo")
    upsert_user(path, brand, "brand")
    return [demo, brand]


# --- throttling --------------------------------------------------------------------------------


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class LoginThrottle:
    """Per-user-name brake on wrong passwords.

    After the k-th consecutive failure the next attempt must wait `base_delay * 2^(k-1)` seconds
    (1 s, 2 s, 4 s, ...), and `max_failures` failures within `window` seconds lock the name for
    `lockout` seconds. A success clears the record. Keyed by the name typed, so guessing one
    account cannot lock out another. Thread-safe: all Streamlit sessions share one instance.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window: float = 300.0,
        lockout: float = 300.0,
        base_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.base_delay = base_delay
        self.clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, _Failures] = {}

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().lower()

    def wait_seconds(self, username: str) -> float:
        """Seconds before `username` may try again (0 when it may try now)."""
        now = self.clock()
        with self._lock:
            state = self._state.get(self._key(username))
            if state is None:
                return 0.0
            if state.locked_until > now:
                return state.locked_until - now
            recent = [t for t in state.times if now - t < self.window]
            if not recent:
                return 0.0
            delay = self.base_delay * 2 ** (len(recent) - 1)
            return max(0.0, recent[-1] + delay - now)

    def record_failure(self, username: str) -> None:
        now = self.clock()
        with self._lock:
            state = self._state.setdefault(self._key(username), _Failures())
            state.times = [t for t in state.times if now - t < self.window] + [now]
            if len(state.times) >= self.max_failures:
                state.locked_until = now + self.lockout
                state.times = []

    def record_success(self, username: str) -> None:
        with self._lock:
            self._state.pop(self._key(username), None)


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str | None = None


def authenticate(
    records: Mapping[str, UserRecord], throttle: LoginThrottle, username: str, password: str
) -> SignInResult:
    """Check a user name and password against the users file, honouring the throttle."""
    username = username.strip()
    wait = throttle.wait_seconds(username)
    if wait > 0:
        return SignInResult(None, f"Too many failed attempts. Try again in {wait:.0f} s.")
    record = records.get(username)
    ok = verify_password(password, record.password_hash if record else _DUMMY_HASH)
    if record is None or not ok:
        throttle.record_failure(username)
        return SignInResult(None, "Wrong user name or password.")
    throttle.record_success(username)
    return SignInResult(record.user)


# --- session lifetime --------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPolicy:
    """How long a signed-in session lives: at most `max_age` seconds, `idle` without activity."""

    max_age: float
    idle: float

    @classmethod
    def from_env(cls) -> SessionPolicy:
        """`SHOPSIGHT_SESSION_HOURS` (default 8) and `SHOPSIGHT_SESSION_IDLE_MINUTES` (30)."""
        hours = float(os.environ.get("SHOPSIGHT_SESSION_HOURS", "8"))
        idle_minutes = float(os.environ.get("SHOPSIGHT_SESSION_IDLE_MINUTES", "30"))
        if hours <= 0 or idle_minutes <= 0:
            raise ValueError("session lifetimes must be positive")
        return cls(max_age=hours * 3600, idle=idle_minutes * 60)

    def expiry_reason(self, signed_in_at: float, last_seen: float, now: float) -> str | None:
        """Why a session has ended, or None while it is still valid."""
        if now - signed_in_at > self.max_age:
            return f"Your session reached its maximum length ({self.max_age / 3600:g} h)."
        if now - last_seen > self.idle:
            return f"You were signed out after {self.idle / 60:g} minutes without activity."
        return None
