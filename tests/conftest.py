"""Shared fixtures: the repository samples, a scratch folder, and running the console script."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SUBTOOL = str(Path(sys.executable).parent / "subtool")


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's cache or presets, nor uses a real key."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.delenv("GLADIA_API_KEY", raising=False)
    monkeypatch.delenv("GLADIA_API_URL", raising=False)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: str | Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([SUBTOOL, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout)


def default_signals() -> None:
    """``preexec_fn`` for a child a test will signal: SIGINT, SIGTERM and SIGHUP at their
    defaults. A shell that ignores SIGINT (a background job, nohup, some CI runners) passes the
    ignore on to pytest and from there to every child, and Python only turns SIGINT into
    KeyboardInterrupt when it starts with SIGINT at its default."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def ffprobe_json(path: str | Path) -> dict:
    import json

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", f"file:{path}"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


def copy_sample(name: str, dest_dir: Path, new_name: str | None = None) -> Path:
    dest = dest_dir / (new_name or name)
    shutil.copyfile(SAMPLES / name, dest)
    return dest
