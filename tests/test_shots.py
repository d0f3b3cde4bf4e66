"""Timing to shot changes: cuts found by ffmpeg's scene detection at the frames they are made at
(24 and 25 fps), cue edges moved to them, kept in transcript.json and reused from the cache."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from subtool.media.probe import probe
from subtool.media.shots import detect, parse_report
from subtool.models import Utterance, Word
from subtool.presets import load_profile
from subtool.subtitles import build_cues, min_gap
from subtool.subtitles.shots import Shots

SOURCES = ["testsrc2", "smptebars", "rgbtestsrc", "testsrc", "pal100bars"]


def _sentences() -> list[str]:
    return [
        "The harbour wakes up slowly at dawn.",
        "Fishermen bring their boats back to the quay.",
        "At noon the market is full of noise.",
        "In the evening the lighthouse starts to turn.",
    ]


def _video(folder: Path, fps: int, cut_frames: list[int], total_frames: int, audio: Path | None) -> Path:
    """Hard cuts at known frames (a different lavfi pattern per shot), with speech when given."""
    bounds = [0, *cut_frames, total_frames]
    inputs: list[str] = []
    for i in range(len(bounds) - 1):
        frames = bounds[i + 1] - bounds[i]
        inputs += ["-f", "lavfi", "-i", f"{SOURCES[i % len(SOURCES)]}=size=320x180:rate={fps}:duration={frames / fps}"]
    n = len(bounds) - 1
    graph = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1[v]"
    out = folder / f"cuts{fps}.mp4"
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs]
    if audio is not None:
        cmd += ["-i", str(audio)]
        graph += f";[{n}:a]apad[a]"
    cmd += ["-filter_complex", graph, "-map", "[v]"]
    if audio is not None:
        cmd += ["-map", "[a]", "-c:a", "aac"]
    cmd += ["-t", f"{total_frames / fps}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(cmd, check=True)
    return out


def _speech(folder: Path) -> tuple[Path, list[tuple[float, float]]]:
    """espeak-ng speech, one sentence after another with a pause between; each sentence's span."""
    parts, spans, t = [], [], 0.6
    for i, text in enumerate(_sentences()):
        wav = folder / f"s{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
        length = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(wav)],
                                      capture_output=True, text=True, check=True).stdout)
        parts.append((wav, t))
        spans.append((t, t + length))
        t += length + 0.7
    mixed = folder / "speech.wav"
    inputs = [arg for wav, _ in parts for arg in ("-i", str(wav))]
    delays = ";".join(f"[{i}:a]adelay={round(start * 1000)}|{round(start * 1000)}[a{i}]" for i, (_, start) in enumerate(parts))
    mix = "".join(f"[a{i}]" for i in range(len(parts))) + f"amix=inputs={len(parts)}:normalize=0[out]"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs, "-filter_complex", f"{delays};{mix}", "-map", "[out]",
                    "-ar", "22050", str(mixed)], check=True)
    return mixed, spans


@pytest.mark.parametrize("fps", [24, 25])
def test_cuts_are_found_at_the_frames_they_are_made_at(tmp_path: Path, fps: int) -> None:
    cuts = [2 * fps + 7, 3 * fps + 1, 5 * fps]  # the second comes 18 frames after the first
    video = _video(tmp_path, fps, cuts, 7 * fps, None)
    found = detect(video, probe(video))
    assert found.fps == pytest.approx(fps)
    assert [round(t * fps) for t in found.cuts] == cuts


def test_a_burst_of_cuts_keeps_its_first() -> None:
    report = "frame:1\nlavfi.scd.time=2.0\nframe:2\nlavfi.scd.time=2.04\nlavfi.scd.time=2.48\nlavfi.scd.time=3.0\nbad=1\nlavfi.scd.time=x\n"
    assert parse_report(report, 25.0) == [2.0, 2.48, 3.0]  # 2.04 is 1 frame after 2.0; 2.48 is 12 frames after


def _frames_off(t: float, cut: float, fps: float) -> int:
    return round((t - cut) * fps)


def _assert_clear(cues, cuts: list[float], fps: float) -> None:
    """No in-time 1 to 11 frames from a cut; no out-time either, but 2 frames before one (the
    rule's own place: the minimum gap before the new shot)."""
    for cue in cues:
        for cut in cuts:
            d_in, d_out = _frames_off(cue.start, cut, fps), _frames_off(cue.end, cut, fps)
            assert not 1 <= abs(d_in) <= 11, (cue, cut, d_in)
            assert d_out == -2 or not 1 <= abs(d_out) <= 11, (cue, cut, d_out)


def _said(text: str, start: float, end: float) -> Utterance:
    n = len(text.split())
    step = (end - start) / n
    words = [Word(w, round(start + i * step, 3), round(start + (i + 1) * step - 0.02, 3)) for i, w in enumerate(text.split())]
    return Utterance(start, end, text, words)


@pytest.mark.parametrize("fps", [24.0, 25.0])
def test_cue_edges_move_to_cuts_as_the_guidelines_say(fps: float) -> None:
    f = 1 / fps
    profile = load_profile("netflix")
    cut_a, cut_b, cut_c = 3.0, 7.0, 11.0
    utts = [
        _said("Speech that starts five frames before a cut.", cut_a - 5 * f, cut_a + 2.6),
        _said("And a sentence ending just before the next one.", 5.0, cut_b - 4 * f),
        _said("This one starts seven frames after the cut.", cut_b + 7 * f, 9.6),
        _said("Ending three frames past the last cut here.", 9.0 + 0.3, cut_c + 3 * f),
    ]
    plain = build_cues(utts, profile, language="en", duration=14.0)
    snapped = build_cues(utts, profile, language="en", duration=14.0, shots=Shots.of([cut_a, cut_b, cut_c], fps))
    near = [(c, cut) for c in plain for cut in (cut_a, cut_b, cut_c)
            if 1 <= abs(_frames_off(c.start, cut, fps)) <= 11 or 1 <= abs(_frames_off(c.end, cut, fps)) <= 11]
    assert near  # without the cuts, edges sit a few frames from them
    _assert_clear(snapped, [cut_a, cut_b, cut_c], fps)
    assert snapped[0].start == pytest.approx(cut_a, abs=1e-3)  # in-time moved to the cut
    # Out-time 2 frames before the cut (the profile's 2-frame gap, 80 ms: 1.92 frames at 24 fps).
    assert any(abs(c.end - (cut_b - min_gap(profile))) < 1e-3 for c in snapped)
    assert any(abs(c.start - cut_b) < 1e-3 for c in snapped)
    assert " ".join(c.text for c in snapped).split() == " ".join(u.text for u in utts).split()


@pytest.mark.parametrize("fps", [24, 25])
def test_run_times_cues_to_the_cuts_of_a_real_video(tmp_path: Path, fps: int) -> None:
    speech, spans = _speech(tmp_path)
    # Cuts a few frames from where sentences start and end: 5 frames after the first sentence
    # starts, 4 frames before the second ends, 6 frames before the third starts.
    cut_times = [spans[0][0] + 5 / fps, spans[1][1] - 4 / fps, spans[2][0] - 6 / fps]
    cut_frames = [round(t * fps) for t in cut_times]
    total = round((spans[-1][1] + 1.5) * fps)
    video = _video(tmp_path, fps, cut_frames, total, speech)
    out = tmp_path / "out"
    r = run_cli("transcribe", str(video), "--engine", "local", "-l", "en", "-d", str(out), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / video.with_suffix(".transcript.json").name).read_text())
    assert doc["frame_rate"] == pytest.approx(fps)
    assert [round(t * fps) for t in doc["shot_changes"]] == cut_frames
    timings = json.loads(r.stdout)["results"][0]["timings"]
    assert "shots" in timings
    from subtool.subtitles import read_subtitles

    events = read_subtitles(out / f"{video.stem}.en.srt").ssa.events
    cuts = [f / fps for f in cut_frames]

    class C:
        def __init__(self, e) -> None:
            self.start, self.end = e.start / 1000, e.end / 1000

    _assert_clear([C(e) for e in events], cuts, fps)
    # A rerun from the cache finds no cuts again (they are in the cached transcript) but uses them.
    again = run_cli("transcribe", str(video), "--engine", "local", "-l", "en", "-d", str(out), "--force", "--json")
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)["results"][0]
    assert result["cached"] is True and "shots" not in result["timings"]
    assert json.loads((out / video.with_suffix(".transcript.json").name).read_text())["shot_changes"] == doc["shot_changes"]
    # --no-shot-changes: none looked for, none used.
    off = run_cli("transcribe", str(video), "--engine", "local", "-l", "en", "-d", str(tmp_path / "off"), "--no-shot-changes", "--no-cache")
    assert off.returncode == 0, off.stderr
    assert json.loads((tmp_path / "off" / video.with_suffix(".transcript.json").name).read_text())["shot_changes"] is None


def test_bbc_profile_does_not_look_for_cuts_unless_asked(tmp_path: Path) -> None:
    video = _video(tmp_path, 25, [30], 60, None)
    silent = tmp_path / "silent.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(video), "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                    "-shortest", "-c:v", "copy", "-c:a", "aac", str(silent)], check=True)
    r = run_cli("transcribe", str(silent), "--engine", "local", "-l", "en", "--profile", "bbc", "-d", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "a" / "silent.transcript.json").read_text())["shot_changes"] is None
    r = run_cli("transcribe", str(silent), "--engine", "local", "-l", "en", "--profile", "bbc", "--shot-changes", "-d", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "b" / "silent.transcript.json").read_text())["shot_changes"] == [1.2]
