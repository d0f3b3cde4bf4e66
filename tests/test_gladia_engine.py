"""The Gladia engine's pieces: chunk planning (real limits), request mapping, result mapping,
audio extraction, and the SDK calls against the emulator (real HTTP on loopback)."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import SAMPLES, ffprobe_json
from hypothesis import given
from hypothesis import strategies as st

from subtool.engines.base import TranscribeOptions
from subtool.engines.gladia import service
from subtool.engines.gladia.engine import GladiaEngine
from subtool.engines.gladia.request import build_request, service_code
from subtool.engines.gladia.results import to_transcript
from subtool.engines.gladia.service import TRANSCRIPTION_LANGUAGES, TRANSLATION_LANGUAGES
from subtool.engines.jobs import JobSlots
from subtool.errors import AuthError, LanguageError, ServiceTimeoutError
from subtool.flow.layout import Junction, Layout
from subtool.flow.pieces import stitch
from subtool.media.audio import extract_audio, find_silences, needs_extraction, pick_audio_stream, plan_chunks
from subtool.media.probe import probe
from subtool.presets import load_profile
from subtool.subtitles import normalize_service_subtitles
from subtool.testing.gladia import EmulatorProcess

KEY = "k-3f9a1c77e2"

# -- chunk planning at the service's real limits ------------------------------------------------


def test_plan_chunks_three_hours_cuts_at_the_nearest_silences() -> None:
    three_hours = 3 * 3600.0
    silences = [(3400.0, 3401.0), (3590.0, 3592.0), (7000.0, 7004.0), (9000.0, 9001.0)]
    plan = plan_chunks(three_hours, silences)
    assert plan == [(0.0, 3591.0), (3591.0, 7002.0), (7002.0, three_hours)]
    assert all(end - start <= 135 * 60 for start, end in plan)


def test_plan_chunks_under_the_limit_is_one_piece() -> None:
    assert plan_chunks(135 * 60.0, []) == [(0.0, 8100.0)]
    assert plan_chunks(134 * 60.0, [(100.0, 101.0)]) == [(0.0, 8040.0)]


def test_plan_chunks_without_silence_cuts_evenly() -> None:
    plan = plan_chunks(10 * 3600.0, [])
    assert len(plan) == 10
    assert plan[3] == (10800.0, 14400.0)


def test_plan_chunks_ignores_a_silence_out_of_reach() -> None:
    # 150 min -> three 50-minute pieces; a silence 20 minutes from the ideal cut is further
    # than a quarter of the target (15 min), so the cut stays where it was.
    plan = plan_chunks(150 * 60.0, [(1799.0, 1801.0)])
    assert plan == [(0.0, 3000.0), (3000.0, 6000.0), (6000.0, 9000.0)]


@given(
    duration=st.floats(min_value=1, max_value=12 * 3600),
    silences=st.lists(st.tuples(st.floats(0, 12 * 3600), st.floats(0.1, 5)), max_size=40),
)
def test_plan_chunks_covers_everything_within_the_limit(duration: float, silences: list[tuple[float, float]]) -> None:
    plan = plan_chunks(duration, [(s, s + d) for s, d in silences])
    assert plan[0][0] == 0.0 and plan[-1][1] == duration
    for (a, b), (c, _) in itertools.pairwise(plan):
        assert b == c and b > a
    assert all(b - a <= 135 * 60 + 1e-6 for a, b in plan)


# -- languages and the request body -------------------------------------------------------------


def test_language_list_is_the_services_contract() -> None:
    assert len(TRANSCRIPTION_LANGUAGES) == 99
    assert TRANSLATION_LANGUAGES - TRANSCRIPTION_LANGUAGES == {"wo"}


def test_service_codes() -> None:
    assert service_code("fra") == "fr"
    assert service_code("pt-BR") == "pt"
    assert service_code("jv") == "jw"  # the service's spelling of Javanese
    assert service_code("wo", translation=True) == "wo"
    with pytest.raises(LanguageError, match="does not transcribe 'wo'"):
        service_code("wo")
    with pytest.raises(LanguageError, match="tlh"):
        service_code("tlh")  # Klingon: langcodes knows it, the service does not
    with pytest.raises(LanguageError, match="unknown"):
        service_code("zz")


def test_build_request_maps_every_option() -> None:
    profile = load_profile("netflix")
    options = TranscribeOptions(
        languages=["en", "fr"], code_switching=True, translate=["es", "de"], translation_model="enhanced",
        formats=["srt", "vtt", "ass"], subtitle_limits=service.subtitles_config(profile), diarize=True, speakers=2,
        vocabulary=["Gladia", "subtool"],
    )
    body = build_request(options, "http://x/file/1", "tok")
    assert body["audio_url"] == "http://x/file/1"
    assert body["language_config"] == {"languages": ["en", "fr"], "code_switching": True}
    assert body["subtitles"] is True
    assert body["subtitles_config"]["formats"] == ["srt", "vtt"]  # ass is written locally
    assert body["subtitles_config"]["maximum_characters_per_row"] == profile.max_chars_per_line
    assert body["translation_config"] == {"target_languages": ["es", "de"], "model": "enhanced", "match_original_utterances": True}
    assert body["diarization_config"] == {"number_of_speakers": 2}
    assert body["custom_vocabulary_config"]["vocabulary"] == ["Gladia", "subtool"]
    assert body["custom_metadata"] == {"subtool_request": "tok"}
    plain = build_request(TranscribeOptions(languages=["fr"]), "u")
    assert plain["language_config"] == {"languages": ["fr"], "code_switching": False}
    assert "translation" not in plain and "diarization" not in plain


# -- result mapping -----------------------------------------------------------------------------


def _raw(offset_text: str = "Hello there.") -> dict:
    return {
        "id": "job-1",
        "status": "done",
        "result": {
            "metadata": {"audio_duration": 10.0},
            "transcription": {
                "languages": ["en"],
                "utterances": [{"start": 1.0, "end": 2.5, "text": offset_text, "speaker": 0, "language": "en", "channel": 0,
                                "words": [{"word": "Hello", "start": 1.0, "end": 1.5, "confidence": 0.9},
                                          {"word": " there.", "start": 1.6, "end": 2.5, "confidence": 0.8}]}],
                "subtitles": [{"format": "srt", "subtitles": "1\n00:00:01.000 --> 00:00:02.500\nHello there.\n"}],
            },
            "translation": {"results": [
                {"languages": ["es"], "error": None, "utterances": [{"start": 1.0, "end": 2.5, "text": "Hola.", "words": []}],
                 "subtitles": [{"format": "srt", "subtitles": "1\n00:00:01.000 --> 00:00:02.500\nHola.\n"}]},
                {"languages": ["pt"], "error": None, "utterances": [{"start": 1.0, "end": 2.5, "text": "Olá.", "words": []}]},
            ]},
        },
    }


def test_to_transcript_maps_words_translations_and_subtitles() -> None:
    t = to_transcript(_raw(), targets=["es", "pt-BR"])
    assert t.language == "en" and t.engine == "gladia" and t.job_ids == ["job-1"]
    assert [w.text for w in t.utterances[0].words] == ["Hello", "there."]  # leading space stripped
    assert list(t.translations) == ["es", "pt-BR"]  # the user's tags, in request order
    assert t.translations["pt-BR"][0].text == "Olá."
    # the service's text is kept as it came; the transcribe stage normalises the dot
    assert "00:00:01,000 --> 00:00:02,500" in normalize_service_subtitles(t.subtitles["en"]["srt"], "srt")
    assert t.utterances[0].speaker == 0


def test_stitch_shifts_the_second_chunk() -> None:
    first = to_transcript(_raw(), targets=["es"], offset=0.0, job_ids=["a"])
    second = to_transcript(_raw("Again."), targets=["es"], offset=600.0, job_ids=["b"])
    whole = stitch([first, second], Layout(((0.0, 600.0), (600.0, 1210.0)), (Junction(600.0),)), duration=1210.0)
    assert whole.job_ids == ["a", "b"]
    assert [u.start for u in whole.utterances] == [1.0, 601.0]
    assert whole.utterances[1].words[1].start == 601.6
    assert whole.translations["es"][1].start == 601.0
    srt = whole.subtitles["en"]["srt"]
    assert "00:10:01,000 --> 00:10:02,500" in srt and srt.count("-->") == 2
    assert "00:10:01,000" in whole.subtitles["es"]["srt"]


# -- audio --------------------------------------------------------------------------------------


def test_extract_audio_sends_one_small_mono_opus_stream(tmp_path: Path) -> None:
    src = SAMPLES / "talk.mp4"
    before = src.read_bytes()
    out = extract_audio(src, tmp_path / "a.ogg")
    streams = ffprobe_json(out)["streams"]
    assert [(s["codec_type"], s["codec_name"], s["channels"]) for s in streams] == [("audio", "opus", 1)]
    rate = out.stat().st_size * 8 / float(ffprobe_json(out)["format"]["duration"])
    assert rate < 40_000
    assert src.read_bytes() == before  # the input is never modified
    again = extract_audio(src, tmp_path / "b.ogg")
    assert again.read_bytes() == out.read_bytes()  # deterministic, so the cache can hit


def test_small_audio_is_sent_as_it_is(tmp_path: Path) -> None:
    memo = SAMPLES / "memo.mp3"
    assert extract_audio(memo, tmp_path / "m.ogg") == memo
    assert not (tmp_path / "m.ogg").exists()
    assert needs_extraction(probe(SAMPLES / "talk.mp4"))
    assert extract_audio(memo, tmp_path / "cut.ogg", start=1.0, duration=2.0) == tmp_path / "cut.ogg"


def test_audio_stream_choice(tmp_path: Path) -> None:
    two = tmp_path / "two.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", "-f", "lavfi", "-i", "anullsrc=d=1",
         "-map", "0", "-map", "1", "-c:a", "libopus", "-disposition:a:0", "0", "-disposition:a:1", "default", str(two)],
        check=True,
    )
    info = probe(two)
    assert pick_audio_stream(info)[0] == 1  # the default one
    assert pick_audio_stream(info, 0)[0] == 0
    from subtool.errors import UsageError

    with pytest.raises(UsageError, match="2 audio stream"):
        pick_audio_stream(info, 2)


def test_find_silences_sees_the_leading_silence() -> None:
    silences = find_silences(SAMPLES / "talk.mp4")
    assert silences and silences[0][0] == 0.0 and 0.8 < silences[0][1] < 1.3  # speech starts at 1.0 s


# -- against the emulator -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def emu():
    with EmulatorProcess(keys=[KEY]) as e:
        yield e


def test_job_slots_limit_and_peak() -> None:
    slots = JobSlots(2)
    slots.acquire()
    slots.acquire()
    assert slots.in_use == 2 and slots.peak == 2
    slots.release()
    slots.acquire()
    assert slots.peak == 2


def test_submit_wait_and_find_created_job_by_token(emu, tmp_path: Path) -> None:
    emu.reset()
    engine = GladiaEngine(api_key=KEY, api_url=emu.url)
    audio = extract_audio(SAMPLES / "talk.mp4", tmp_path / "a.ogg")
    run = engine.new_run()
    job_id = engine.submit(audio, TranscribeOptions(), run=run)
    assert run.job_ids == [job_id]
    raw = engine.wait(job_id, run=run)
    assert raw["status"] == "done"
    token = raw["custom_metadata"]["subtool_request"]
    assert engine.find_job(token) == job_id  # how a create that failed after the fact is adopted
    assert engine.find_job(token, since=time.time()) == job_id
    assert engine.find_job("no-such-token") is None
    assert "Welcome to the subtitle tool" in engine.to_transcript(raw).text


def test_missing_and_refused_keys(emu, tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="GLADIA_API_KEY"):
        GladiaEngine(api_key="", api_url=emu.url).check(TranscribeOptions())  # before any work on the input
    with pytest.raises(AuthError, match="refused") as info:
        engine = GladiaEngine(api_key="wrong-secret-1234", api_url=emu.url)
        engine.submit(SAMPLES / "memo.mp3", TranscribeOptions(), run=engine.new_run(), token="t")
    assert "wrong-secret-1234" not in str(info.value)


def test_deadline_says_what_was_waited_for(emu) -> None:
    emu.reset()
    emu.fault(latency=20)
    try:
        engine = GladiaEngine(api_key=KEY, api_url=emu.url, deadline=1.5)
        with pytest.raises(ServiceTimeoutError, match=r"job \S+ did not finish within the 1.5 s deadline"):
            run = engine.new_run()
            engine.wait(engine.submit(SAMPLES / "memo.mp3", TranscribeOptions(), run=run, token="t"), run=run)
    finally:
        emu.fault(latency=0)
    assert json.dumps(emu.stats())  # the emulator is still answering


def test_polling_notices_the_end_soon_and_long_jobs_rarely() -> None:
    from subtool.engines.gladia.client import poll_interval

    def polls(job_seconds: float) -> tuple[int, float]:
        t, n = 0.0, 0
        while t < job_seconds:
            t += poll_interval(t, 30.0)
            n += 1
        return n, t - job_seconds

    n, late = polls(3.0)
    assert late <= 0.6 and n <= 8  # a short job is seen done within about half a second
    n, late = polls(3600.0)
    assert late <= 30.0 and n < 160  # a 1-hour job: well under 200 requests, never busy
    assert poll_interval(0.0, 30.0) == 0.5 and poll_interval(10_000.0, 30.0) == 30.0


def test_cache_key_changes_with_the_options_and_subtool_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import subtool
    from subtool.cache import make_key

    audio = str(SAMPLES / "memo.mp3")
    key = make_key(audio, {"translate": ["fr"]}, "gladia:")
    assert key == make_key(audio, {"translate": ["fr"]}, "gladia:")
    assert key != make_key(audio, {"translate": ["es"]}, "gladia:")
    assert key != make_key(audio, {"translate": ["fr"]}, "local:base")
    monkeypatch.setattr(subtool, "__version__", "99.0")  # a new release never reuses an old transcript
    assert key != make_key(audio, {"translate": ["fr"]}, "gladia:")
