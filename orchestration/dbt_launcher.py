"""Run dbt so that it dies with the process that started it.

`shopsight run` starts `dbt build` as a child process (through dagster-dbt). When the run is
killed with SIGKILL (`kill -9`, the OOM killer), nothing forwards the kill: dbt would carry on
writing the warehouse, holding DuckDB's file lock, after the run that owned the writer lock
(`<warehouse>.lock`) is gone, so the next run would meet a writer the flock knows nothing about.

dagster-dbt starts dbt with its own `subprocess.Popen` and lets a caller choose only the
executable (`DbtCliResource.dbt_executable`), not a `preexec_fn`. So the executable is a small
launcher, written beside dbt's target folder: it asks Linux to SIGKILL it when its parent dies
(`prctl(PR_SET_PDEATHSIG)`, kept across `execv`), checks that the parent is still the process
that started it (it may have died before the request took effect), then `execv`s the real dbt in
the same process. It also answers `--version` itself (dagster-dbt asks on every run, and real dbt
spends seconds importing itself and asking PyPI for the latest release). On systems without
`prctl` the real dbt is used as before.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# The launcher compares its parent with this pid (the process that asked for dbt): if they
# differ, the parent died before PR_SET_PDEATHSIG was set and dbt must not start at all.
PARENT_ENV = "SHOPSIGHT_DBT_PARENT_PID"
# Exit status of a launcher whose parent was already gone (nobody reads it; it names the case).
ORPHANED_EXIT = 75

_LAUNCHER = """#!{python}
# Written by orchestration/dbt_launcher.py (do not edit): dbt that dies with its parent.
import ctypes, os, signal, sys

PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
    sys.exit("dbt launcher: prctl(PR_SET_PDEATHSIG) failed: " + os.strerror(ctypes.get_errno()))
expected = os.environ.get("{parent_env}")
if expected and os.getppid() != int(expected):
    sys.exit({orphaned})  # the run died before the request above took effect
if {fast_version} and sys.argv[1:] == ["--version"]:
    # dagster-dbt asks every run; real dbt takes seconds and asks PyPI for the latest release.
    from importlib.metadata import version
    print("Core:\\n  - installed: " + version("dbt-core") + " (from the Shopsight launcher)")
    sys.exit(0)
os.execv({dbt!r}, [{dbt!r}, *sys.argv[1:]])
"""


def supported() -> bool:
    return sys.platform.startswith("linux")


def launcher_text(dbt: str) -> str:
    # The launcher's Python can name the installed dbt-core only when dbt is this venv's.
    same_venv = Path(dbt) == Path(sys.executable).parent / "dbt"
    return _LAUNCHER.format(
        python=sys.executable,
        parent_env=PARENT_ENV,
        orphaned=ORPHANED_EXIT,
        dbt=dbt,
        fast_version=same_venv,
    )


def ensure_launcher(dbt: str, folder: Path) -> str:
    """The launcher's path for the real `dbt` executable, (re)written in `folder` if needed.

    Written under a temporary name and renamed, so that two runs starting at once never execute
    a half-written file.
    """
    if not supported():
        return dbt
    dbt = shutil.which(dbt) or dbt  # execv needs a path, not a name to look up on PATH
    text = launcher_text(dbt)
    path = folder / "shopsight-dbt-launcher"
    try:
        if path.read_text() == text and os.access(path, os.X_OK):
            return str(path)
    except OSError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".shopsight-dbt-launcher.{os.getpid()}.tmp"
    tmp.write_text(text)
    tmp.chmod(0o755)
    os.replace(tmp, path)
    return str(path)


def mark_parent() -> None:
    """Record this process as the parent the launcher must find (just before starting dbt)."""
    os.environ[PARENT_ENV] = str(os.getpid())
