"""Real speech through the offline engine: every file written passes ``subtool check`` with its
own profile or the run reported exactly the cues that do not; no cue joins two sentences where
a break was available; Whisper's word pieces joined as the language writes them; a burn in a
style with another profile made for that profile."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import copy_sample, run_cli

from subtool.engines.local.words import join_pieces, written
from subtool.models import Transcript
from subtool.presets import load_profile
from subtool.subtitles import read_subtitles
from subtool.subtitles.limits import limits_for

SENTENCES = (
    "Good morning and welcome to the evening news. The weather will stay dry until the weekend. "
    "On Saturday the wind turns west. Rain arrives in the north by Sunday night. "
    "In sport, the home team won again. Their captain scored twice in the second half. "
    "That is all for today. Thank you for watching."
)


def _espeak_video(folder: Path, text: str, size: str = "320x180") -> Path:
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(wav), text], check=True)
    out = folder / "news.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25",
                    "-i", str(wav), "-filter_complex", "[1:a]adelay=800|800,apad=pad_dur=1.5[a]", "-map", "0:v", "-map", "[a]",
                    "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)], check=True)
    return out


def _check_matches_report(result: dict, profile: str) -> None:
    """Each written subtitle file passes check, or check finds exactly what the run reported."""
    for track in result["tracks"]:
        r = run_cli("check", track["path"], "--profile", profile, "--json")
        found = {(v["cue"], v["code"]) for v in json.loads(r.stdout)[0]["violations"]}
        reported = {(v["cue"], v["code"]) for v in result["violations"] if v["path"] == track["path"]}
        assert found == reported, (track["path"], found, reported)
        assert r.returncode == (1 if found else 0)


@pytest.mark.parametrize(("sample", "language", "profile"), [("talk.mp4", "en", "netflix"), ("memo.mp3", "en", "bbc"),
                                                             ("bonjour.mkv", "fr", "netflix"), ("talk.mp4", "en", "vertical")])
def test_sample_files_pass_check_or_the_run_said_which_cues_do_not(tmp_path: Path, sample: str, language: str, profile: str) -> None:
    media = copy_sample(sample, tmp_path)
    r = run_cli("transcribe", str(media), "--engine", "local", "-l", language, "--profile", profile, "--format", "srt,vtt,ass", "--json")
    assert r.returncode == 0, r.stderr
    _check_matches_report(json.loads(r.stdout)["results"][0], profile)


def _sentence_joins(transcript: Transcript, srt: Path, profile: str) -> list[str]:
    """Cues that carry a sentence end and the start of the next where the words before it could
    have been read in time (the next cue starting up to the sync frames late)."""
    lim = limits_for(load_profile(profile), "en")
    words = [w for u in transcript.utterances for w in u.words]
    cues = [e.plaintext.replace("\n", " ").split() for e in read_subtitles(srt).ssa.events]
    at, bad = 0, []
    for cue in cues:
        a, b = at, at + len(cue)
        assert [w.text for w in words[a:b]] == cue
        ends = re.search(r"[.!?]$", words[b - 1].text) is not None
        for k in range(a + 1, b):
            if re.search(r"[.!?]$", words[k - 1].text) and not ends:
                text = " ".join(w.text for w in words[a:k])
                need = max(lim.min_dur, len(text) / lim.cps, lim.per_word * (k - a))
                if words[a].start + need <= words[k].start + lim.sync - lim.gap + 1e-9:
                    bad.append(" ".join(cue))
        at = b
    assert at == len(words)
    return bad


@pytest.mark.parametrize(("profile", "sentence_cues"), [("netflix", 5), ("bbc", 3)])  # bbc reads slower: fewer breaks are available
def test_longer_speech_starts_each_sentence_in_a_new_cue_when_timing_allows(tmp_path: Path, profile: str, sentence_cues: int) -> None:
    video = _espeak_video(tmp_path, SENTENCES)
    out = tmp_path / "out"
    r = run_cli("transcribe", str(video), "--engine", "local", "-l", "en", "--profile", profile, "-d", str(out), "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)["results"][0]
    _check_matches_report(result, profile)
    transcript = Transcript.from_dict(json.loads((out / "news.transcript.json").read_text()))
    assert len(transcript.utterances) >= 2 and sum(len(u.words) for u in transcript.utterances) > 50
    assert _sentence_joins(transcript, out / "news.en.srt", profile) == []
    starts = sum(1 for e in read_subtitles(out / "news.en.srt").ssa.events if e.plaintext[:1].isupper())
    assert starts >= sentence_cues  # most sentences open a cue of their own


def test_whisper_pieces_are_joined_as_the_language_writes_them() -> None:
    pieces = [(" Je", 0.0, 0.2, 0.9), (" vous", 0.2, 0.4, 0.9), (" l", 0.4, 0.5, 0.8), ("'imouverai", 0.5, 1.0, 0.7),
              (" sous", 1.0, 1.2, 0.9), ("-titres", 1.2, 1.6, 0.6), (" don", 1.6, 1.8, 0.9), ("'t", 1.8, 1.9, 0.95)]
    assert [(w, s, e, p) for w, s, e, p in join_pieces(pieces)] == [
        (" Je", 0.0, 0.2, 0.9), (" vous", 0.2, 0.4, 0.9), (" l'imouverai", 0.4, 1.0, 0.7), (" sous-titres", 1.0, 1.6, 0.6),
        (" don't", 1.6, 1.9, 0.9)]
    assert written("Ça va ? Très bien !", "fr") == "Ça va\u00a0? Très bien\u00a0!"
    assert written("Il a dit : « oui »", "fr") == "Il a dit\u00a0: «\u00a0oui\u00a0»"
    assert written("How are you ? Fine !", "en") == "How are you? Fine!"
    assert written("Va bene , grazie .", "it") == "Va bene, grazie."


def test_french_elisions_come_out_joined_from_the_offline_engine(tmp_path: Path) -> None:
    media = copy_sample("bonjour.mkv", tmp_path)
    r = run_cli("transcribe", str(media), "--engine", "local", "-l", "fr", "--no-cache")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "bonjour.transcript.json").read_text())
    words = [w["text"] for u in doc["utterances"] for w in u["words"]]
    assert not any(w[0] in "'-’" for w in words), words
    assert any("'" in w or "-" in w for w in words)  # an elision or a hyphen, kept inside one word
    srt = (tmp_path / "bonjour.fr.srt").read_text(encoding="utf-8")
    assert " '" not in srt and " -t" not in srt


def test_burning_with_a_style_of_another_profile_makes_the_burned_track_for_it(tmp_path: Path) -> None:
    video = _espeak_video(tmp_path, SENTENCES, size="270x480")
    out = tmp_path / "out"
    r = run_cli("run", str(video), "--engine", "local", "-l", "en", "--profile", "netflix", "--burn", "social-vertical", "-d", str(out))
    assert r.returncode == 0, r.stderr
    assert "made for the social-vertical style's vertical profile" in r.stderr
    sidecar = read_subtitles(out / "news.en.srt").ssa.events
    assert max(len(line) for e in sidecar for line in e.plaintext.split("\n")) > 25  # the sidecar keeps the netflix profile
    assert (out / "news.en.burned.mp4").stat().st_size > 0


def test_a_burn_style_drawing_fewer_characters_than_its_profile_gets_lines_it_holds(tmp_path: Path) -> None:
    video = _espeak_video(tmp_path, SENTENCES, size="320x180")
    out = tmp_path / "out"
    # A font twice the boxed style's: one drawn line holds about 21 characters, not the profile's 42.
    r = run_cli("run", str(video), "--engine", "local", "-l", "en", "--burn", "boxed", "--font-size", "0.1", "-d", str(out))
    assert r.returncode == 0, r.stderr
    assert "characters, the widest line the boxed style draws on this picture x 2 lines" in r.stderr
    sidecar = read_subtitles(out / "news.en.srt").ssa.events
    assert max(len(line) for e in sidecar for line in e.plaintext.split("\n")) > 21  # the sidecar keeps the netflix profile
    assert (out / "news.en.burned.mp4").stat().st_size > 0
