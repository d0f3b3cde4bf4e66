"""Outputs that do not fit, and names the file system refuses: one line, the right exit code,
nothing half-written left, never "wrote" for a broken file.

A full disk is a real one where this process may mount a small tmpfs (root on a machine or a
VM); where it may not (an unprivileged container, ``make test`` as a user) a file-size limit
stands in for it: the kernel then refuses the same writes with EFBIG instead of ENOSPC, which
subtool must handle the same way. Another program filling the disk while ffmpeg works is a
wrapper around the real ffmpeg (``SUBTOOL_FFMPEG_DIR``) that fills it first.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SUBTOOL, copy_sample, run_cli

from subtool.testing.gladia import EmulatorProcess


@contextlib.contextmanager
def small_disk(folder: Path, size: int) -> Iterator[bool]:
    """``folder`` as a tmpfs of ``size`` bytes; yields whether it could be mounted
    (``SUBTOOL_TEST_NO_MOUNT=1`` tries the other way where mounting works)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and not os.environ.get("SUBTOOL_TEST_NO_MOUNT") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    ).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=True)


def _fill(folder: Path, leave: int) -> None:
    """Fill the disk of ``folder`` until ``leave`` bytes are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / "filler", "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))


def _ffmpeg_wrapper(folder: Path, disk: Path, mounted: bool) -> dict[str, str]:
    """An ``ffmpeg`` that finds its disk nearly full when it starts: the tmpfs is filled to 64 kB
    free (another program wrote there meanwhile), or, without the tmpfs, it may write only 50
    kB per file (EFBIG, with SIGXFSZ ignored as a quota's writer would see it)."""
    folder.mkdir()
    real = shutil.which("ffmpeg")
    if mounted:
        body = f'avail=$(df -B1 --output=avail "{disk}" | tail -1)\nhead -c $((avail - 65536)) /dev/zero > "{disk}/filler"\n'
    else:
        body = "ulimit -f 100\ntrap '' XFSZ\n"  # 100 blocks of 512 bytes
    script = folder / "ffmpeg"
    script.write_text(f'#!/bin/sh\n{body}exec "{real}" "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return {"SUBTOOL_FFMPEG_DIR": str(folder)}


def _video(path: Path, seconds: int) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=s=640x360:d={seconds}:r=25", "-f", "lavfi", "-i",
                    f"sine=d={seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def _srt(path: Path) -> Path:
    path.write_text("1\n00:00:01,000 --> 00:00:03,000\nHello there.\n", encoding="utf-8")
    return path


def _no_parts(*folders: Path) -> None:
    for folder in folders:
        assert [p.name for p in folder.rglob("*") if ".subtool-part" in p.name] == []


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr and "internal error" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("kind", ["mux-mkv", "burn-mp4"])
def test_an_output_cut_short_by_a_full_disk_is_an_error_and_nothing_is_kept(kind: str, tmp_path: Path) -> None:
    """ffmpeg 5.1 exits 0 when its trailer cannot be written (an MKV without its index, an MP4
    without its moov): subtool said "wrote" and kept an unplayable file."""
    video, sub = _video(tmp_path / "v.mp4", 20 if kind.startswith("mux") else 4), _srt(tmp_path / "v.en.srt")
    disk = tmp_path / "disk"
    with small_disk(disk, 8 * 1024 * 1024) as mounted:
        env = _ffmpeg_wrapper(tmp_path / "wrap", disk, mounted)
        if kind == "mux-mkv":
            r = run_cli("mux", str(video), str(sub), "-o", str(disk / "o.mkv"), env=env)
        else:
            r = run_cli("burn", str(video), str(sub), "-o", str(disk / "o.mp4"), env=env)
        line = _one_line(r.stderr)
        assert r.returncode == 1
        name = "o.mkv" if kind == "mux-mkv" else "o.mp4"
        reason = "no space left on the device" if mounted else "the file is larger than the file system or the file-size limit allows"
        assert line.startswith(f"subtool: {disk}: cannot write {name}: {reason}"), line
        assert "wrote" not in r.stderr
        assert sorted(p.name for p in disk.iterdir()) == (["filler"] if mounted else [])
    _no_parts(tmp_path)


def test_mux_checks_free_space_before_it_starts(tmp_path: Path) -> None:
    """A video larger than the free space (a sparse file here: a real MP4 followed by a hole) is
    refused before ffmpeg writes a byte."""
    video, sub = _video(tmp_path / "v.mp4", 2), _srt(tmp_path / "v.en.srt")
    free = shutil.disk_usage(tmp_path).free
    with open(video, "r+b") as fh:
        fh.truncate(free + 2_000_000_000)
    r = run_cli("mux", str(video), str(sub), "-o", str(tmp_path / "o.mkv"))
    line = _one_line(r.stderr)
    assert r.returncode == 1
    assert line.startswith(f"subtool: {tmp_path}: cannot write o.mkv: not enough free space (about "), line
    assert " needed, " in line and " free)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.en.srt", "v.mp4"]


@pytest.fixture(scope="module")
def service() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as emu:
        yield emu


def _limited(limit: int) -> None:
    """preexec: a small file-size limit with SIGXFSZ ignored (writes fail with EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def test_transcribe_onto_a_full_disk_names_the_folder(tmp_path: Path, service: EmulatorProcess) -> None:
    """After the transcription, the sidecars do not fit: one line naming the folder and the size
    (was: "internal error: OSError")."""
    video = copy_sample("talk.mp4", tmp_path)
    disk = tmp_path / "disk"
    env = {**os.environ, "GLADIA_API_KEY": "k-disk", "GLADIA_API_URL": service.url}
    with small_disk(disk, 1024 * 1024) as mounted:
        preexec = None
        if mounted:
            _fill(disk, 0)
        else:
            # ffmpeg (the audio extraction) gets its limit back; subtool's own writes keep it.
            env.update(_ffmpeg_wrapper(tmp_path / "wrap", disk, mounted=False))
            (tmp_path / "wrap" / "ffmpeg").write_text(f'#!/bin/sh\nulimit -S -f unlimited\nexec "{shutil.which("ffmpeg")}" "$@"\n')
            preexec = lambda: _limited(64)  # noqa: E731
        r = subprocess.run([SUBTOOL, "transcribe", str(video), "-d", str(disk), "--format", "srt,vtt", "-q"], capture_output=True, text=True,
                           env=env, preexec_fn=preexec, timeout=300)
        line = _one_line(r.stderr)
        assert r.returncode == 1
        reason = "no space left on the device" if mounted else "the file is larger than the file system or the file-size limit allows"
        assert line.startswith(f"subtool: {disk}: cannot write talk.en.srt: {reason}"), line
        assert line.endswith("Free some space or write somewhere else")
        assert [p.name for p in disk.iterdir() if p.name != "filler"] == []
    _no_parts(tmp_path)


def test_names_too_long_are_usage_errors_naming_the_path(tmp_path: Path) -> None:
    video, sub = _video(tmp_path / "v.mp4", 1), _srt(tmp_path / "v.en.srt")
    long_out = tmp_path / ("o" * 300 + ".mkv")
    r = run_cli("mux", str(video), str(sub), "-o", str(long_out))
    line = _one_line(r.stderr)
    assert r.returncode == 2
    assert line.startswith(f"subtool: {long_out}: the name or path is too long"), line
    # A 250-byte stem fits as the input, not with ".en.srt" after it.
    stem = "é" * 125
    src = copy_sample("talk.mp4", tmp_path, f"{stem}.mp4")
    r = run_cli("transcribe", str(src), "--engine", "local")
    line = r.stderr.strip().splitlines()[-1]  # after the note saying which engine runs
    assert r.returncode == 2, r.stderr
    assert line.startswith(f"subtool: {tmp_path / stem}.") and ": the name or path is too long" in line, line
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["v.mp4", "v.en.srt", f"{stem}.mp4"])


def test_batch_state_on_a_full_disk_names_the_folder(tmp_path: Path, service: EmulatorProcess) -> None:
    """The batch's SQLite state cannot be written: a full disk, said so (was: "is not a usable
    batch state file (database or disk is full)... delete it", exit 2)."""
    video = copy_sample("talk.mp4", tmp_path)
    disk = tmp_path / "disk"
    env = {**os.environ, "GLADIA_API_KEY": "k-disk", "GLADIA_API_URL": service.url}
    jobs = service.stats()["jobs_created"]
    with small_disk(disk, 1024 * 1024) as mounted:
        preexec = None
        if mounted:
            _fill(disk, 0)
        else:
            preexec = lambda: _limited(64)  # noqa: E731
        r = subprocess.run([SUBTOOL, "batch", str(video), "--sidecars-only", "-d", str(disk)], capture_output=True, text=True, env=env,
                           preexec_fn=preexec, timeout=300)
        line = _one_line(r.stderr)
        if mounted:
            assert r.returncode == 1
            assert line.startswith(f"subtool: {disk}: cannot write .subtool-batch.sqlite: no space left on the device"), line
        else:  # SQLite says only "disk I/O error" for a file-size limit: a clean line is what can be asked then
            assert r.returncode in (1, 2) and line.startswith(f"subtool: {disk}"), line
    assert service.stats()["jobs_created"] == jobs  # refused before anything was sent
