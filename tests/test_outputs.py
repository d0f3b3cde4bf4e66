"""Atomic outputs, refusal to overwrite, safe names, and the error lines."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from subtool.errors import Interrupted, JobError, MediaError, OutputExistsError, UsageError
from subtool.outputs import atomic_path, check_writable, remove_stale_parts, safe_filename, write_text


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
