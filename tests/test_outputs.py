"""Atomic outputs, refusal to overwrite, safe names, and the error lines."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import SUBTOOL, copy_sample

from subtool.errors import Interrupted, JobError, MediaError, OutputExistsError, UsageError
from subtool.outputs import atomic_path, check_writable, remove_stale_parts, safe_filename, write_text
from subtool.testing.gladia import EmulatorProcess


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.srt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_on_interrupt(tmp_path: Path) -> None:
    target = tmp_path / "out.srt"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.vtt", "WEBVTT\n")
    with pytest.raises(OutputExistsError) as exc:
        write_text(target, "other")
    assert "--force" in exc.value.line() and exc.value.exit_code == 2
    assert target.read_text() == "WEBVTT\n"
    write_text(target, "new", force=True)
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.vtt"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("My talk: part 1/2?", "My talk_ part 1_2"),
        ("  ..hidden.  ", "hidden"),
        ("CON", "_CON"),
        ("", "video"),
        ("Café — 日本語", "Café — 日本語"),
    ],
)
def test_safe_filename(title: str, expected: str) -> None:
    assert safe_filename(title) == expected


def test_safe_filename_is_bounded_in_bytes() -> None:
    name = safe_filename("日本" * 200)
    assert len(name.encode()) <= 150 and name


def test_errors_are_one_line_and_pickle() -> None:
    err = MediaError("has no audio\nstream", path="/x/a b.mp4", code="no_audio", hint="Pick another file")
    assert err.line() == "/x/a b.mp4: has no audio stream. Pick another file"
    again = pickle.loads(pickle.dumps(err))
    assert again.line() == err.line() and again.code == "no_audio" and again.exit_code == 3
    job = JobError("1234", 500, "boom")
    assert "1234" in job.line() and "500" in job.line() and job.exit_code == 4
    intr = Interrupted(job_ids=["abc"])
    assert "abc" in intr.line() and intr.exit_code == 130


def test_stale_parts_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    keep = [tmp_path / "memo.en.srt", tmp_path / ".other.en.x.subtool-part.srt", tmp_path / ".memo-notes.txt", tmp_path / ".memo10.en.z9.subtool-part.srt"]
    stale = [tmp_path / ".memo.en.abc123.subtool-part.srt", tmp_path / ".memo.transcript.q1.subtool-part.json"]
    for p in keep + stale:
        p.write_text("x")
    removed = remove_stale_parts(tmp_path, "memo")
    assert sorted(removed) == sorted(stale)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in stale)


def test_checking_creates_nothing_and_names_what_is_in_the_way(tmp_path: Path) -> None:
    nested = tmp_path / "new" / "deeper" / "out.mkv"
    assert check_writable(nested, force=False) == nested
    assert list(tmp_path.iterdir()) == []  # a check that a later input fails leaves no empty folder
    blocker = tmp_path / "talk.en.srt"
    blocker.write_text("1\n")
    with pytest.raises(UsageError) as exc:
        check_writable(blocker / "x.mkv", force=False)
    assert exc.value.exit_code == 2 and f"{blocker} is a file, not a folder" in exc.value.line()
    with pytest.raises(UsageError, match="is a folder, not a file"):
        check_writable(tmp_path, force=True)
    write_text(nested, "made on write\n")
    assert nested.read_text() == "made on write\n"


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_follow_the_umask(umask: int, tmp_path: Path) -> None:
    """A media server, a shared folder or a colleague must read the .srt beside the video: the
    mode any new file gets (0644 under umask 022), not the 0600 of a private temporary file."""
    old = os.umask(umask)
    try:
        a = write_text(tmp_path / "a.srt", "1\n")
        b = write_text(tmp_path / "a.srt", "2\n", force=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(a.stat().st_mode) == stat.S_IMODE(b.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_sidecars_transcript_video_report_and_state_follow_the_umask(umask: int, tmp_path: Path) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    out = tmp_path / "out"
    with EmulatorProcess() as emu:
        env = {**os.environ, "GLADIA_API_KEY": "k-umask", "GLADIA_API_URL": emu.url}
        r = subprocess.run([SUBTOOL, "batch", str(video), "--mux", "mkv-multi", "--format", "srt,vtt", "-d", str(out), "--report",
                            str(out / "report.json")], capture_output=True, text=True, env=env, preexec_fn=lambda: os.umask(umask),
                           timeout=300)
    assert r.returncode == 0, r.stderr
    made = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    for name in ("talk.en.srt", "talk.en.vtt", "talk.transcript.json", "talk.subtitled.mkv", "report.json", ".subtool-batch.sqlite"):
        assert made.pop(name) == 0o644 & ~umask, name
    # SQLite's own companions (WAL, shared memory) if they are left, under the same rule
    assert all(mode == 0o644 & ~umask for name, mode in made.items() if name.startswith(".subtool-batch.sqlite")), made
