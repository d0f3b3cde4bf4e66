"""Stop signals at each stage of the console script: Ctrl-C (SIGINT), ``timeout``/``docker stop``/
systemd (SIGTERM) and a closed terminal (SIGHUP) all clean up the same way: ffmpeg stopped, no
part file, no temporary folder, the jobs still at the service named, exit 128 + the signal.

Each child runs in its own session (so its process group can be checked afterwards) with the
signals at their defaults and its own TMPDIR; the signal is sent when the child shows it is at
the stage (a part file appears, or ``-v`` says the job was created), never after a guessed sleep.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import SUBTOOL, copy_sample, default_signals

from subtool.errors import Interrupted, SignalInterrupt
from subtool.media.ffmpeg import child_process
from subtool.testing.gladia import EmulatorProcess

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 120 s video (long enough that a slow encode is still running when the signal comes),
    its subtitles, and a burn style that encodes slowly. Its tone's level moves like speech, so
    the emulator (which hears no speech in a steady tone) transcribes it."""
    folder = tmp_path_factory.mktemp("media")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=320x240:d=120:r=25", "-f", "lavfi", "-i", "aevalsrc='sin(2*PI*300*t)*(0.55+0.45*sin(2*PI*3*t))':d=120",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(folder / "long.mp4")], check=True)
    (folder / "long.en.srt").write_text("1\n00:00:01,000 --> 00:00:04,000\nHello there\n", encoding="utf-8")
    presets = folder / "presets"
    presets.mkdir()
    (presets / "slow.toml").write_text('kind = "burn"\nspeed = "veryslow"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def slow_service() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=600) as emu:  # a job stays open for the whole test
        yield emu


@pytest.fixture(scope="module")
def fast_service() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0) as emu:
        yield emu


def _mentioning(text: str) -> list[str]:
    """Command lines of the live processes that mention ``text`` (an orphaned ffmpeg)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in args:
            found.append(args)
    return found


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _start(args: list[str], work: Path, tmp: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SUBTOOL, *args], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(tmp), **(env or {})}, start_new_session=True, preexec_fn=default_signals,
    )


def _wait_for_part(proc: subprocess.Popen[str], work: Path, suffix: str) -> None:
    """Until ffmpeg runs, writing the output's part file (the file alone may still be the
    placeholder atomic_path makes before ffmpeg starts)."""
    deadline = time.monotonic() + 120
    while not (list(work.glob(f".*subtool-part{suffix}")) and [a for a in _mentioning(str(work)) if f"subtool-part{suffix}" in a]):
        assert proc.poll() is None, f"subtool ended before writing: {proc.communicate()[1]}"
        assert time.monotonic() < deadline, "ffmpeg never started writing"
        time.sleep(0.02)


def _wait_for_job(proc: subprocess.Popen[str], seen: list[str]) -> str:
    """Until ``-v`` says the job was created (the engine holds its id); the job id."""
    assert proc.stderr is not None
    for line in proc.stderr:
        seen.append(line)
        match = re.search(r"job (\S+) created", line)
        if match:
            return match.group(1)
    pytest.fail(f"no job was created: {''.join(seen)}")


def _stop(proc: subprocess.Popen[str], sig: int, seen: list[str] | None = None) -> str:
    proc.send_signal(sig)
    try:
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return "".join(seen or []) + rest


def _check_clean(proc: subprocess.Popen[str], sig: int, stderr: str, work: Path, tmp: Path) -> None:
    assert proc.returncode == 128 + sig, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("subtool: ") and "interrupted" in last, stderr
    if sig != signal.SIGINT:
        assert f"stopped by {signal.Signals(sig).name}" in last
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert not _group_alive(proc.pid), "a process of subtool's group survived it"
    assert _mentioning(str(work)) == [], "ffmpeg was left running"
    assert [p.name for p in work.rglob("*") if ".subtool-part" in p.name] == []
    assert [p.name for p in tmp.iterdir()] == []  # no subtool-* temporary folder


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    work, tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    tmp.mkdir()
    return work, tmp


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_mux_stopped_while_ffmpeg_writes(sig: int, media: Path, dirs: tuple[Path, Path]) -> None:
    work, tmp = dirs
    # WebM needs VP9/Opus: --reencode makes this mux long enough to be caught in the act.
    proc = _start(["mux", str(media / "long.mp4"), str(media / "long.en.srt"), "--reencode", "-o", str(work / "out.webm")], work, tmp)
    _wait_for_part(proc, work, ".webm")
    stderr = _stop(proc, sig)
    _check_clean(proc, sig, stderr, work, tmp)
    assert not (work / "out.webm").exists()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_burn_stopped_while_ffmpeg_writes(sig: int, media: Path, dirs: tuple[Path, Path]) -> None:
    work, tmp = dirs
    proc = _start(["burn", str(media / "long.mp4"), str(media / "long.en.srt"), "--style", "slow", "-o", str(work / "out.mp4")], work, tmp,
                  env={"SUBTOOL_PRESETS_DIR": str(media / "presets")})
    _wait_for_part(proc, work, ".mp4")
    stderr = _stop(proc, sig)
    _check_clean(proc, sig, stderr, work, tmp)  # the burn's subtool-burn-* folder (its ASS script) is gone too
    assert not (work / "out.mp4").exists()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_transcribe_stopped_with_a_job_open(sig: int, slow_service: EmulatorProcess, dirs: tuple[Path, Path]) -> None:
    work, tmp = dirs
    video = copy_sample("talk.mp4", work)
    env = {"GLADIA_API_KEY": "k-signals", "GLADIA_API_URL": slow_service.url}
    proc = _start(["-v", "transcribe", str(video), "-t", "fr"], work, tmp, env=env)
    seen: list[str] = []
    job = _wait_for_job(proc, seen)
    stderr = _stop(proc, sig, seen)
    _check_clean(proc, sig, stderr, work, tmp)
    last = stderr.strip().splitlines()[-1]
    assert "Jobs still at the service: " + job in last, stderr
    assert not list(work.glob("talk.*.srt")) and not (work / "talk.transcript.json").exists()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_run_stopped_with_a_job_open(sig: int, slow_service: EmulatorProcess, dirs: tuple[Path, Path]) -> None:
    work, tmp = dirs
    video = copy_sample("talk.mp4", work)
    env = {"GLADIA_API_KEY": "k-signals", "GLADIA_API_URL": slow_service.url}
    proc = _start(["run", str(video), "-t", "es", "--mux", "mkv-multi", "-v"], work, tmp, env=env)  # -v after the subcommand too
    seen: list[str] = []
    job = _wait_for_job(proc, seen)
    stderr = _stop(proc, sig, seen)
    _check_clean(proc, sig, stderr, work, tmp)
    assert UUID.fullmatch(job) and "Jobs still at the service: " + job in stderr.strip().splitlines()[-1], stderr
    assert sorted(p.name for p in work.iterdir()) == ["talk.mp4"]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_run_stopped_while_burning(sig: int, fast_service: EmulatorProcess, media: Path, dirs: tuple[Path, Path]) -> None:
    work, tmp = dirs
    env = {"GLADIA_API_KEY": "k-signals", "GLADIA_API_URL": fast_service.url, "SUBTOOL_PRESETS_DIR": str(media / "presets")}
    proc = _start(["run", str(media / "long.mp4"), "-l", "en", "--burn", "slow", "-d", str(work), "-o", str(work / "out.mp4")], work, tmp, env=env)
    _wait_for_part(proc, work, ".mp4")
    stderr = _stop(proc, sig)
    _check_clean(proc, sig, stderr, work, tmp)  # subtool-run-* and subtool-burn-* are gone
    assert not (work / "out.mp4").exists()
    assert (work / "long.en.srt").exists()  # the sidecar was finished before the burn began: it stays


def test_local_transcription_stopped_while_ffmpeg_decodes(dirs: tuple[Path, Path]) -> None:
    """The offline engine's own ffmpeg (decoding the audio into a pipe) is stopped with the rest."""
    work, tmp = dirs
    # Longer than one chunk (300 s): ffmpeg decodes the first, then waits on the pipe while
    # Whisper works on it, so it is still running when the signal comes.
    audio = work / "long.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "aevalsrc='sin(2*PI*300*t)*(0.55+0.45*sin(2*PI*3*t))':d=330:s=16000",
                    str(audio)], check=True)
    proc = _start(["-v", "transcribe", str(audio), "--engine", "local", "-l", "en"], work, tmp)
    assert proc.stderr is not None
    seen: list[str] = []
    for line in proc.stderr:
        seen.append(line)
        if "transcribing with the local" in line:
            break
    else:
        pytest.fail(f"the transcription never started: {''.join(seen)}")
    deadline = time.monotonic() + 60
    while not [a for a in _mentioning(str(audio)) if "f32le" in a]:  # ffmpeg decoding into the pipe
        assert proc.poll() is None, f"subtool ended before decoding: {''.join(seen)}{proc.communicate()[1]}"
        assert time.monotonic() < deadline, "ffmpeg never started decoding"
        time.sleep(0.02)
    stderr = _stop(proc, signal.SIGTERM, seen)
    _check_clean(proc, signal.SIGTERM, stderr, work, tmp)
    assert sorted(p.name for p in work.iterdir()) == ["long.flac"]


def _children() -> set[int]:
    """The pids of this process's children (zombies included)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
            found.add(int(entry.name))
    return found


def test_a_signal_while_a_child_process_starts_stops_it() -> None:
    """``child_process`` holds a stop signal that lands while the process starts (here sent by
    the child itself, between fork and exec) until it holds the process, then stops it: without
    the hold the signal is raised inside Popen, and the child runs on with nobody holding it."""

    def signal_the_parent() -> None:
        os.kill(os.getppid(), signal.SIGUSR1)

    before = _children()
    previous = signal.signal(signal.SIGUSR1, lambda signum, _frame: SignalInterrupt.deliver(signum))
    try:
        with pytest.raises(SignalInterrupt) as caught:
            with child_process([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=signal_the_parent):
                pytest.fail("the signal was not raised")
        left = _children() - before
    finally:
        signal.signal(signal.SIGUSR1, previous)
        for pid in _children() - before:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert caught.value.signum == signal.SIGUSR1
    assert left == set(), "the child was left running"


def _ignoring(*sigs: int) -> Callable[[], None]:
    def preexec() -> None:
        default_signals()
        for sig in sigs:
            signal.signal(sig, signal.SIG_IGN)
    return preexec


def test_ctrl_c_works_when_sigint_was_inherited_as_ignored(media: Path, dirs: tuple[Path, Path]) -> None:
    """A background job of a script, and some CI runners, start subtool with SIGINT ignored: it
    takes SIGINT over anyway, so a Ctrl-C (or a runner's cancel) still stops it cleanly."""
    work, tmp = dirs
    proc = subprocess.Popen(
        [SUBTOOL, "mux", str(media / "long.mp4"), str(media / "long.en.srt"), "--reencode", "-o", str(work / "out.webm")],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)},
        start_new_session=True, preexec_fn=_ignoring(signal.SIGINT),
    )
    _wait_for_part(proc, work, ".webm")
    stderr = _stop(proc, signal.SIGINT)
    _check_clean(proc, signal.SIGINT, stderr, work, tmp)


def test_sighup_stays_ignored_under_nohup(media: Path, dirs: tuple[Path, Path]) -> None:
    """``nohup subtool ...`` asks to outlive the terminal: a SIGHUP is not a stop then."""
    work, tmp = dirs
    proc = subprocess.Popen(
        [SUBTOOL, "mux", str(media / "long.mp4"), str(media / "long.en.srt"), "--reencode", "-o", str(work / "out.webm")],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)},
        start_new_session=True, preexec_fn=_ignoring(signal.SIGHUP),
    )
    _wait_for_part(proc, work, ".webm")
    proc.send_signal(signal.SIGHUP)
    [part] = work.glob(".*subtool-part.webm")
    size = part.stat().st_size
    deadline = time.monotonic() + 120
    while part.stat().st_size <= size + 100_000:  # still writing well after the SIGHUP
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stderr = _stop(proc, signal.SIGTERM)
    _check_clean(proc, signal.SIGTERM, stderr, work, tmp)


def test_a_signal_during_a_held_step_comes_when_it_ends() -> None:
    """Starting ffmpeg is held: a signal between the fork and Popen returning would otherwise
    leave ffmpeg running with nobody holding its pid."""
    release = SignalInterrupt.hold()
    SignalInterrupt.deliver(signal.SIGTERM)  # held: nothing raised yet
    with pytest.raises(SignalInterrupt) as caught:
        release()
    assert caught.value.signum == signal.SIGTERM
    with pytest.raises(SignalInterrupt):
        SignalInterrupt.deliver(signal.SIGHUP)  # not held: at once


def test_interrupted_carries_the_signal_exit_code() -> None:
    try:
        raise SignalInterrupt(signal.SIGTERM)
    except KeyboardInterrupt:
        stopped = Interrupted("interrupted while transcribing", job_ids=["j1"])
    assert stopped.exit_code == 143 and stopped.signum == signal.SIGTERM and "j1" in stopped.line()
    assert Interrupted().exit_code == 130 and Interrupted(signum=signal.SIGHUP).exit_code == 129
