"""The Gladia emulator, driven by the unmodified official SDK (sync and async) and by raw HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gladiaio_sdk import GladiaClient, HttpError, HttpRetryOptions
from gladiaio_sdk.v2.prerecorded.core import PreRecordedV2TranscriptionOptions
from gladiaio_sdk.v2.prerecorded.generated_types import (
    PreRecordedV2CustomVocabularyConfig,
    PreRecordedV2CustomVocabularyEntry,
    PreRecordedV2Response,
)

from subtool.testing.gladia import EmulatorProcess

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
POLL = 0.05


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    out = {
        "talk": d / "talk.opus",
        "bonjour": d / "bonjour.opus",
        "tone": d / "tone.opus",
        "long": d / "long.opus",
        "junk": d / "notes.txt",
    }
    # What the client uploads: a mono 16 kHz Opus extraction, not the original file.
    ffmpeg("-i", str(SAMPLES / "talk.mp4"), "-vn", "-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k", str(out["talk"]))
    ffmpeg("-i", str(SAMPLES / "bonjour.mkv"), "-vn", "-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k", str(out["bonjour"]))
    # A tone whose level moves like speech (3 syllables a second): the emulator hears no speech
    # in a steady tone or noise, and invents no words for it.
    ffmpeg("-f", "lavfi", "-i", "aevalsrc='sin(2*PI*300*t)*(0.55+0.45*sin(2*PI*3*t))':d=6", "-c:a", "libopus", "-b:a", "24k", str(out["tone"]))
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "240", "-c:a", "libopus", "-b:a", "6k", str(out["long"]))
    out["junk"].write_text("this is not audio\n" * 50)
    return out


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as e:
        yield e


def client(e: EmulatorProcess, key: str = "k") -> Any:
    return GladiaClient(api_key=key, api_url=e.url).prerecorded()


def wait_done(c: Any, job_id: str) -> PreRecordedV2Response:
    for _ in range(600):
        job = c.get(job_id)
        if job.status in ("done", "error"):
            return job
        time.sleep(POLL)
    raise AssertionError(f"job {job_id} never finished")


def words_of(text: str) -> list[str]:
    return text.split()


FULL_OPTIONS: dict[str, Any] = {
    "subtitles": True,
    "subtitles_config": {"formats": ["srt", "vtt"], "maximum_characters_per_row": 30, "maximum_rows_per_caption": 1, "maximum_duration": 4},
    "diarization": True,
    "diarization_config": {"number_of_speakers": 2},
    "translation": True,
    "translation_config": {"target_languages": ["fr", "de"], "model": "base"},
    "custom_metadata": {"user": "ana", "batch": 7},
}


# -- the whole flow with the sync client ------------------------------------------------------------


def test_sample_is_recognised_after_reencoding_and_results_parse(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    c = client(emu)
    up = c.upload_file(str(media["talk"]))
    assert up.audio_url == f"{emu.url}/file/{up.audio_metadata.id}"
    assert up.audio_metadata.filename == "talk.opus" and up.audio_metadata.extension == "opus"
    assert up.audio_metadata.size == media["talk"].stat().st_size
    assert 13 < up.audio_metadata.audio_duration < 18 and up.audio_metadata.number_of_channels == 1

    job = c.transcribe(str(media["talk"]), FULL_OPTIONS, interval=POLL, timeout=60)
    assert isinstance(job, PreRecordedV2Response)
    assert job.status == "done" and job.kind == "pre-recorded" and job.version == 2
    assert job.request_id == "G-" + job.id.replace("-", "")[:8]
    assert job.completed_at and job.created_at.endswith("Z") and job.error_code is None
    assert job.custom_metadata == {"user": "ana", "batch": 7}

    tr = job.result.transcription
    assert words_of(tr.full_transcript) == words_of((SAMPLES / "talk.txt").read_text())
    assert tr.languages == ["en"]
    # Utterances split at sentence ends; words carry a leading space except the first.
    assert tr.utterances[0].text == "Welcome to the subtitle tool."
    assert len(tr.utterances) == 3
    first = tr.utterances[0]
    assert first.words[0].word == "Welcome" and first.words[1].word == " to"
    # The sample's speech starts after one second of silence: the words follow the voice.
    assert 0.9 <= first.start < 1.3
    assert all(w.start <= w.end for u in tr.utterances for w in u.words)
    assert all(u.channel == 0 and u.language == "en" for u in tr.utterances)
    assert [u.speaker for u in tr.utterances] == [0, 1, 0]

    srt, vtt = tr.subtitles
    assert (srt.format, vtt.format) == ("srt", "vtt")
    assert srt.subtitles.startswith("1\n00:00:01.") and " --> " in srt.subtitles  # the service's dot
    assert vtt.subtitles.startswith("WEBVTT\n\n1\n")
    for block in srt.subtitles.strip().split("\n\n"):
        _, times, *rows = block.split("\n")
        assert len(rows) == 1 and all(len(r) <= 30 for r in rows)
        a, b = (sum(float(x) * f for x, f in zip(t.replace(",", ".").split(":"), (3600, 60, 1), strict=True)) for t in times.split(" --> "))
        assert b - a <= 4.0 + 1e-6

    results = job.result.translation.results
    assert [r.languages for r in results] == [["fr"], ["de"]]
    fr = results[0]
    assert fr.error is None and len(fr.utterances) == len(tr.utterances)
    assert [(u.start, u.end) for u in fr.utterances] == [(u.start, u.end) for u in tr.utterances]
    assert all(u.language == "fr" for u in fr.utterances)
    assert fr.full_transcript.startswith("Welcome·fr to·fr the·fr")
    assert [s.format for s in fr.subtitles] == ["srt", "vtt"] and "·fr" in fr.subtitles[0].subtitles

    meta = job.result.metadata
    assert meta.audio_duration == pytest.approx(up.audio_metadata.audio_duration, abs=0.01)
    assert meta.billing_time == meta.audio_duration and meta.number_of_distinct_channels == 1
    assert job.file.filename == "talk.opus" and job.file.source is None
    params = job.request_params
    assert params.audio_url.startswith(f"{emu.url}/file/")
    assert params.translation_config.match_original_utterances is True and params.translation_config.target_languages == ["fr", "de"]
    assert params.subtitles_config.style == "default" and params.model == "solaria-1"
    assert params.language_config.languages == [] and params.sentences is False


def test_french_sample_detected_as_french(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    job = client(emu).transcribe(str(media["bonjour"]), {}, interval=POLL, timeout=60)
    assert job.result.transcription.languages == ["fr"]
    assert words_of(job.result.transcription.full_transcript) == words_of((SAMPLES / "bonjour.txt").read_text())
    assert job.result.transcription.subtitles is None and job.result.translation is None


def test_other_audio_gets_placeholder_words_over_its_duration(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    job = client(emu).transcribe(str(media["tone"]), {"language_config": {"languages": ["es"]}}, interval=POLL, timeout=60)
    tr = job.result.transcription
    words = [w for u in tr.utterances for w in u.words]
    assert 12 <= len(words) <= 18  # ~2.5 words/s over 6 s
    assert tr.full_transcript.startswith("Lorem ipsum dolor")
    assert all(len(u.words) <= 8 for u in tr.utterances)
    assert 0 <= words[0].start and words[-1].end <= 6.05
    assert tr.languages == ["es"] and all(u.language == "es" for u in tr.utterances)
    # Deterministic: the same audio gives the same transcript.
    again = client(emu).transcribe(str(media["tone"]), {"language_config": {"languages": ["es"]}}, interval=POLL, timeout=60)
    assert again.result.transcription.to_dict()["utterances"] == tr.to_dict()["utterances"]


# -- every endpoint with the async client -------------------------------------------------------------


def test_async_client_every_endpoint(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    async def main() -> None:
        c = GladiaClient(api_key="k", api_url=emu.url).prerecorded_async()
        jobs = await asyncio.gather(*(c.transcribe(str(media["tone"]), {"custom_metadata": {"run": "async"}}, interval=POLL, timeout=60) for _ in range(3)))
        assert [j.status for j in jobs] == ["done"] * 3
        assert len({j.id for j in jobs}) == 3
        up = await c.upload_file(media["tone"])
        created = await c.create({"audio_url": up.audio_url})
        done = await c.poll(created.id, interval=POLL, timeout=60)
        assert done.status == "done"
        got = await c.get(created.id)
        assert got.id == created.id and got.result is not None
        audio = await c.get_file(created.id)
        assert audio == media["tone"].read_bytes()
        page = await c.list({"custom_metadata": {"run": "async"}, "limit": 10})
        assert {i.id for i in page.items} == {j.id for j in jobs}
        assert await c.delete(created.id) is True
        with pytest.raises(HttpError) as err:
            await c.get(created.id)
        assert err.value.status == 404

    asyncio.run(main())


# -- list ---------------------------------------------------------------------------------------------


def test_list_filters_and_pagination(media: dict[str, Path]) -> None:
    with EmulatorProcess() as e:
        c = client(e)
        up = c.upload_file(str(media["tone"]))
        ids = []
        for i in range(5):
            ids.append(c.create({"audio_url": up.audio_url, "custom_metadata": {"team": "a" if i % 2 == 0 else "b"}}).id)
        for job_id in ids:
            wait_done(c, job_id)
        e.fault(job_error={"code": 500})
        failed = c.create({"audio_url": up.audio_url}).id
        wait_done(c, failed)

        page = c.list({"limit": 2})
        assert [i.id for i in page.items] == [failed, ids[4]]  # newest first
        assert page.next and "offset=2" in page.next and "offset=0" in page.first
        seen = [i.id for i in page.items]
        while page.next:
            page = c.list({"url": page.next})
            seen += [i.id for i in page.items]
        assert seen == [failed, *reversed(ids)]

        assert [i.id for i in c.list({"status": ["error"]}).items] == [failed]
        assert len(c.list({"status": ["done", "error"]}).items) == 6
        assert c.list({"status": ["queued"]}).items == []
        assert {i.id for i in c.list({"custom_metadata": {"team": "a"}}).items} == {ids[0], ids[2], ids[4]}
        # The docs' JSON form of the custom_metadata filter.
        raw = httpx.get(f"{e.url}/v2/pre-recorded", params={"custom_metadata": json.dumps({"team": "b"})}, headers={"x-gladia-key": "k"})
        assert raw.status_code == 200 and {i["id"] for i in raw.json()["items"]} == {ids[1], ids[3]}
        # Items carry every required key (the SDK parsed them) and a trimmed result.
        item = c.list({"status": ["done"], "limit": 1}).items[0]
        assert item.result.metadata.audio_duration > 5 and item.result.transcription is None
        today = time.strftime("%Y-%m-%d", time.gmtime())
        assert len(c.list({"date": today}).items) == 6
        assert c.list({"date": "2001-01-01"}).items == []
        assert c.list({"before_date": "2001-01-01T00:00:00Z"}).items == []
        assert len(c.list({"after_date": "2001-01-01T00:00:00.000Z"}).items) == 6
        for bad in ({"limit": 0}, {"offset": -1}, {"status": ["finished"]}, {"after_date": "yesterday"}):
            with pytest.raises(HttpError) as err:
                c.list(bad)
            assert err.value.status == 400 and err.value.validation_errors


# -- delete and file ------------------------------------------------------------------------------------


def test_delete_states_and_file_download(media: dict[str, Path]) -> None:
    with EmulatorProcess(latency=30) as e:
        c = client(e)
        up = c.upload_file(str(media["tone"]))
        running = c.create({"audio_url": up.audio_url})
        with pytest.raises(HttpError) as err:
            c.delete(running.id)
        assert err.value.status == 403
        assert err.value.response_body["statusCode"] == 403
        with pytest.raises(HttpError) as err:
            c.delete("00000000-0000-0000-0000-000000000000")
        assert err.value.status == 404 and err.value.response_body["message"] == "Not found"
        with pytest.raises(HttpError) as err:
            c.get("00000000-0000-0000-0000-000000000000")
        assert err.value.status == 404
        queued = c.get(running.id)
        assert queued.status in ("queued", "processing") and queued.result is None and queued.completed_at is None
        assert queued.file.id == up.audio_metadata.id and queued.request_params.audio_url == up.audio_url
        assert c.get_file(running.id) == media["tone"].read_bytes()
        # The uploaded file's own URL resolves too (with a key, as every route).
        assert httpx.get(up.audio_url, headers={"x-gladia-key": "k"}).content == media["tone"].read_bytes()
        e.fault(latency=0)  # also releases the job already waiting
        assert wait_done(c, running.id).status == "done"
        done = c.create({"audio_url": up.audio_url})
        wait_done(c, done.id)
        raw = httpx.delete(f"{e.url}/v2/pre-recorded/{done.id}", headers={"x-gladia-key": "k"})
        assert raw.status_code == 202 and raw.content == b""
        with pytest.raises(HttpError) as err:
            c.get_file(done.id)
        assert err.value.status == 404


# -- options: accepted and refused --------------------------------------------------------------------


def test_every_option_block_accepted(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    c = client(emu)
    up = c.upload_file(str(media["talk"]))
    body = {
        "audio_url": up.audio_url,
        "model": "solaria-1",
        "language_config": {"languages": ["en", "fr"], "code_switching": True},
        "subtitles": True,
        "subtitles_config": {"formats": ["vtt"], "minimum_duration": 1, "maximum_duration": 30, "maximum_characters_per_row": 42,
                             "maximum_rows_per_caption": 5, "style": "compliance"},
        "diarization": True,
        "diarization_config": {"min_speakers": 1, "max_speakers": 3},
        "translation": True,
        "translation_config": {"target_languages": ["wo"], "model": "enhanced", "match_original_utterances": True, "lipsync": False,
                               "context_adaptation": True, "context": "a demo", "informal": True},
        "custom_vocabulary": True,
        "custom_vocabulary_config": {"vocabulary": ["subtool", {"value": "Gladia", "intensity": 0.5, "pronunciations": ["gladya"], "language": "en"}],
                                     "default_intensity": 0.4},
        "custom_spelling": True,
        "custom_spelling_config": {"spelling_dictionary": {"SubTool": ["subtitle"]}},
        "callback": False,
        "callback_config": {"url": "https://example.com/hook", "method": "PUT"},
        "summarization": True,
        "summarization_config": {"type": "bullet_points"},
        "named_entity_recognition": True,
        "sentiment_analysis": True,
        "audio_to_llm": True,
        "audio_to_llm_config": {"prompts": ["Summarise"]},
        "pii_redaction": True,
        "pii_redaction_config": {"entity_types": ["GDPR"], "processed_text_type": "MASK"},
        "sentences": True,
        "punctuation_enhanced": True,
        "custom_metadata": {"k": "v"},
        "chapterization": True,
    }
    job = wait_done(c, c.create(body).id)
    assert job.status == "done"
    r = job.result
    assert r.transcription.languages == ["en"] and [s.format for s in r.transcription.subtitles] == ["vtt"]
    assert "SubTool" in r.transcription.full_transcript  # custom spelling applied
    assert r.translation.results[0].languages == ["wo"]
    assert r.summarization.success and r.summarization.results.startswith("Summary (bullet_points)")
    assert r.audio_to_llm.results[0].results.prompt == "Summarise"
    assert r.sentences.results == [u.text for u in r.transcription.utterances]
    assert r.named_entity_recognition.success and r.sentiment_analysis.success
    assert {u.speaker for u in r.transcription.utterances} == {0}  # min_speakers 1 hint


def test_sdk_option_objects_with_nulls_inside_lists_are_accepted(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    options = PreRecordedV2TranscriptionOptions(
        custom_vocabulary=True,
        custom_vocabulary_config=PreRecordedV2CustomVocabularyConfig(vocabulary=[PreRecordedV2CustomVocabularyEntry(value="Stark")]),
    )
    job = client(emu).transcribe(str(media["tone"]), options, interval=POLL, timeout=60)
    assert job.status == "done"


def test_solaria3_needs_exactly_one_language(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    c = client(emu)
    up = c.upload_file(str(media["tone"]))
    assert c.create({"audio_url": up.audio_url, "model": "solaria-3", "language_config": {"languages": ["en"]}}).id
    with pytest.raises(HttpError) as err:
        c.create({"audio_url": up.audio_url, "model": "solaria-3"})
    assert any("solaria-3" in v for v in err.value.validation_errors)


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"language_config": {"languages": ["xx"]}}, "language_config.languages must only contain the following values: af, am, ar"),
    ({"translation": True, "translation_config": {"target_languages": ["en", "zz"]}}, "translation_config.target_languages must only contain"),
    ({"translation": True}, "translation_config.target_languages must be an array"),
    ({"translation": True, "translation_config": {"target_languages": []}}, "translation_config.target_languages must contain at least 1 elements"),
    ({"translation": True, "translation_config": {"target_languages": ["fr"], "model": "huge"}}, "translation_config.model must be one of"),
    ({"subtitles": True, "subtitles_config": {"formats": ["ass"]}}, "subtitles_config.each value in formats must be one of the following values: srt, vtt"),
    ({"subtitles": True, "subtitles_config": {"formats": []}}, "subtitles_config.formats must contain at least 1 elements"),
    ({"subtitles_config": {"maximum_duration": 31}}, "subtitles_config.maximum_duration must not be greater than 30"),
    ({"subtitles_config": {"maximum_duration": 0.5}}, "subtitles_config.maximum_duration must not be less than 1"),
    ({"subtitles_config": {"maximum_rows_per_caption": 6}}, "subtitles_config.maximum_rows_per_caption must not be greater than 5"),
    ({"subtitles_config": {"maximum_rows_per_caption": 1.5}}, "subtitles_config.maximum_rows_per_caption must be an integer number"),
    ({"subtitles_config": {"maximum_characters_per_row": 0}}, "subtitles_config.maximum_characters_per_row must not be less than 1"),
    ({"subtitles_config": {"style": "fancy"}}, "subtitles_config.style must be one of the following values: default, compliance"),
    ({"subtitles": "yes"}, "subtitles must be a boolean value"),
    ({"diarization_config": {"number_of_speakers": 0}}, "diarization_config.number_of_speakers must not be less than 1"),
    ({"diarization_config": {"min_speakers": "two"}}, "diarization_config.min_speakers must be an integer number"),
    ({"model": "whisper"}, "model must be one of the following values: solaria-1, solaria-3, solaria-fusion"),
    ({"custom_vocabulary": True}, "custom_vocabulary_config.vocabulary must be an array"),
    ({"custom_vocabulary_config": {"vocabulary": [{"value": "x", "intensity": 2}]}}, "custom_vocabulary_config.vocabulary.0.intensity must not be greater than 1"),
    ({"audio_to_llm": True, "audio_to_llm_config": {"prompts": [["nested"]]}}, "audio_to_llm_config.each value in prompts must be a string"),
    ({"callback": True, "callback_config": {"url": "not a url"}}, "callback_config.url must be a URL address"),
    ({"summarization_config": {"type": "paragraph"}}, "summarization_config.type must be one of"),
    ({"pii_redaction_config": {"processed_text_type": "BLUR"}}, "pii_redaction_config.processed_text_type must be one of"),
    ({"custom_metadata": {"x": "y" * 2100}}, "custom_metadata must be shorter than or equal to 2000 characters"),
    ({"detect_language": True}, "property detect_language should not exist"),
    ({"audio_url": "ftp://example.com/a.mp3"}, "audio_url must be a URL address"),
]


@pytest.mark.parametrize(("extra", "expected"), BAD_BODIES, ids=[e for _, e in BAD_BODIES])
def test_bad_create_bodies_are_refused_with_validation_errors(emu: EmulatorProcess, extra: dict[str, Any], expected: str) -> None:
    body = {"audio_url": f"{emu.url}/file/whatever", **extra}
    with pytest.raises(HttpError) as err:
        client(emu).create(body)
    assert err.value.status == 400
    assert any(v.startswith(expected) for v in err.value.validation_errors), err.value.validation_errors
    assert err.value.response_body["message"] == "Invalid parameter(s). See validation_errors for more details."
    assert err.value.request_id.startswith("G-")


def test_raw_error_envelopes_and_routes(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    h = {"x-gladia-key": "k"}
    r = httpx.post(f"{emu.url}/v2/pre-recorded", content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 400 and set(r.json()) >= {"timestamp", "path", "request_id", "statusCode", "message"}
    assert r.json()["path"] == "/v2/pre-recorded"
    r = httpx.post(f"{emu.url}/v2/upload", content=b"abc", headers={**h, "Content-Type": "multipart/form-data"})
    assert r.status_code == 400 and r.json()["message"] == "Content-Type is missing Multipart Boundary."
    r = httpx.post(f"{emu.url}/v2/upload", files={"file": ("a.opus", b"x")}, headers=h)
    assert r.status_code == 400 and r.json()["validation_errors"] == ["audio should not be empty"]
    # Trailing-slash variants, as some clients send them.
    up = httpx.post(f"{emu.url}/v2/upload/", files={"audio": ("t.opus", media["tone"].read_bytes())}, headers=h)
    assert up.status_code == 200
    created = httpx.post(f"{emu.url}/v2/pre-recorded/", json={"audio_url": up.json()["audio_url"]}, headers=h)
    assert created.status_code == 201 and created.json()["result_url"] == f"{emu.url}/v2/pre-recorded/{created.json()['id']}"
    assert httpx.get(f"{emu.url}/v2/pre-recorded/{created.json()['id']}/", headers=h).status_code == 200
    # An unknown file of our own is refused at create.
    r = httpx.post(f"{emu.url}/v2/pre-recorded", json={"audio_url": f"{emu.url}/file/nope"}, headers=h)
    assert r.status_code == 422
    assert httpx.get(f"{emu.url}/v2/nothing", headers=h).status_code == 404
    assert httpx.get(f"{emu.url}/v2/pre-recorded/{created.json()['id']}/audio", headers=h).status_code == 404


def test_undecodable_upload_is_refused_with_422(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    with pytest.raises(HttpError) as err:
        client(emu).upload_file(str(media["junk"]))
    assert err.value.status == 422 and err.value.response_body["message"] == "Invalid parameter"


# -- remote audio_url -----------------------------------------------------------------------------------


@pytest.fixture
def file_server(media: dict[str, Path]) -> Iterator[str]:
    folder = media["tone"].parent

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(folder), **kw)

        def log_message(self, *a: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_remote_audio_url_is_fetched_and_unreachable_one_ends_in_error(emu: EmulatorProcess, file_server: str) -> None:
    c = client(emu)
    url = f"{file_server}/talk.opus"
    job = c.transcribe(url, {}, interval=POLL, timeout=60)
    assert words_of(job.result.transcription.full_transcript) == words_of((SAMPLES / "talk.txt").read_text())
    assert job.file.source == url and job.file.filename == "talk.opus"
    created = c.create({"audio_url": f"http://127.0.0.1:{free_port()}/gone.mp3"})
    failed = wait_done(c, created.id)
    assert failed.status == "error" and failed.error_code == 400 and failed.result is None
    missing = wait_done(c, c.create({"audio_url": f"{file_server}/missing.mp3"}).id)
    assert missing.status == "error" and missing.error_code == 400
    with pytest.raises(Exception, match="failed with error code: 400"):
        c.transcribe(f"{file_server}/notes.txt", {}, interval=POLL, timeout=60)
    # The JSON form of upload fetches the URL too.
    r = httpx.post(f"{emu.url}/v2/upload", json={"audio_url": url}, headers={"x-gladia-key": "k"})
    assert r.status_code == 200 and r.json()["audio_metadata"]["source"] == url


# -- limits ---------------------------------------------------------------------------------------------


def test_upload_over_the_size_limit_gets_413(media: dict[str, Path], tmp_path: Path) -> None:
    big = tmp_path / "big.opus"
    big.write_bytes(media["tone"].read_bytes() + b"\0" * 120_000)
    with EmulatorProcess(max_upload_mb=0.1) as e:
        with pytest.raises(HttpError) as err:
            client(e).upload_file(str(big))
        assert err.value.status == 413 and err.value.response_body["message"] == "payload too large"
        stats = e.stats()
        assert stats["requests"]["upload"] == 2  # the SDK retries 413 once
        assert stats["uploads"] == 0
        assert client(e).upload_file(str(media["tone"])).audio_metadata.size == media["tone"].stat().st_size


def test_chunked_upload_is_read_and_limited(media: dict[str, Path]) -> None:
    """A streamed upload (Transfer-Encoding: chunked, no Content-Length) is read like any other,
    and refused with 413 once it passes the limit (counted in MB of 10^6 bytes, as the service)."""
    tone = media["tone"].read_bytes()

    def body(extra: int) -> Iterator[bytes]:
        boundary = b"xyz"
        yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="audio"; filename="t.opus"\r\n'
        yield b"Content-Type: audio/ogg\r\n\r\n" + tone
        for _ in range(extra):
            yield b"\0" * 10_000
        yield b"\r\n--" + boundary + b"--\r\n"

    headers = {"x-gladia-key": "k", "content-type": "multipart/form-data; boundary=xyz"}
    with EmulatorProcess(max_upload_mb=0.1) as e:
        ok = httpx.post(f"{e.url}/v2/upload", content=body(0), headers=headers)
        assert ok.status_code == 200 and ok.json()["audio_metadata"]["size"] == len(tone)
        big = httpx.post(f"{e.url}/v2/upload", content=body(20), headers=headers)  # 200 kB > 100 kB
        assert big.status_code == 413 and big.json()["message"] == "payload too large"


def test_formats_outside_the_documented_list_are_refused(tmp_path: Path, emu: EmulatorProcess) -> None:
    for name, args in (("x.aiff", ["-c:a", "pcm_s16be"]), ("x.ts", ["-c:a", "mp2", "-f", "mpegts"])):
        path = tmp_path / name
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", *args, str(path)], check=True)
        with pytest.raises(HttpError) as err:
            client(emu).upload_file(str(path))
        assert err.value.status == 422, name


def test_bad_command_line_values_are_refused_in_one_line() -> None:
    for args, needle in ((["--port", "99999"], "at most 65535"), (["--latency", "-1"], "at least 0"),
                         (["--max-concurrent", "0"], "at least 1"), (["--max-upload-mb", "0"], "more than 0")):
        r = subprocess.run([sys.executable, "-m", "subtool.testing.gladia", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_ipv6_loopback() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.fail("this machine has no IPv6 loopback; the emulator's IPv6 support cannot be checked here")
    with EmulatorProcess(host="::1") as e:
        assert e.url.startswith("http://[::1]:")
        assert httpx.get(f"{e.url}/v2/pre-recorded", headers={"x-gladia-key": "k"}).status_code == 200


def test_audio_longer_than_the_duration_limit_ends_in_error(media: dict[str, Path]) -> None:
    with EmulatorProcess(max_duration_min=3) as e:
        c = client(e)
        with pytest.raises(Exception, match="failed with error code: 422"):
            c.transcribe(str(media["long"]), {}, interval=POLL, timeout=60)
        assert c.transcribe(str(media["tone"]), {}, interval=POLL, timeout=60).status == "done"
        assert e.stats()["jobs_failed"] == 1


def test_creates_beyond_max_concurrent_get_429(media: dict[str, Path]) -> None:
    with EmulatorProcess(max_concurrent=2, latency=30) as e:
        c = client(e)
        up = c.upload_file(str(media["tone"]))
        c.create({"audio_url": up.audio_url})
        c.create({"audio_url": up.audio_url})
        with pytest.raises(HttpError) as err:
            c.create({"audio_url": up.audio_url})
        assert err.value.status == 429
        stats = e.stats()
        assert stats["jobs_created"] == 2 and stats["running_jobs"] == 2 and stats["max_concurrent_jobs"] == 2
        assert stats["requests"]["create"] == 4  # 2 accepted, then 429 + the SDK's retry


def test_keys_401(media: dict[str, Path]) -> None:
    with EmulatorProcess(keys=["right"]) as e:
        with pytest.raises(HttpError) as err:
            client(e, key="wrong").upload_file(str(media["tone"]))
        assert err.value.status == 401 and err.value.response_body["message"] == "gladia key not found"
        r = httpx.get(f"{e.url}/v2/pre-recorded")
        assert r.status_code == 401 and r.json()["statusCode"] == 401 and r.json()["path"] == "/v2/pre-recorded"
        assert client(e, key="right").list().items == []
    with EmulatorProcess() as e:
        assert httpx.get(f"{e.url}/v2/pre-recorded", headers={"x-gladia-key": ""}).status_code == 401
        assert httpx.get(f"{e.url}/v2/pre-recorded", headers={"x-gladia-key": "anything"}).status_code == 200


# -- fault injection ------------------------------------------------------------------------------------


def test_runtime_faults(media: dict[str, Path]) -> None:
    with EmulatorProcess() as e:
        c = client(e)
        up = c.upload_file(str(media["tone"]))
        e.fault(endpoint="create", status=503, count=1)
        assert c.create({"audio_url": up.audio_url}).id  # one 503, retried by the SDK
        e.fault(endpoint="create", status=500, count=2)
        with pytest.raises(HttpError) as err:
            c.create({"audio_url": up.audio_url})
        assert err.value.status == 500 and err.value.response_body["statusCode"] == 500
        e.fault(endpoint="list", drop=1)
        assert c.list().items  # a dropped connection is retried
        e.fault(endpoint="get", drop=2)
        with pytest.raises(Exception, match="HTTP request failed after 2 attempts"):
            c.get(up.audio_metadata.id)
        e.fault(job_error={"code": 503, "count": 1, "message": "engine crashed"})
        with pytest.raises(Exception, match="failed with error code: 503"):
            c.transcribe(str(media["tone"]), {}, interval=POLL, timeout=60)
        stats = e.stats()
        assert stats["requests"]["create"] == 5 and stats["requests"]["get"] >= 3 and stats["jobs_failed"] == 1
        e.fault(endpoint="upload", status=500, count=5)
        e.reset()
        assert e.stats()["requests"] == {k: 0 for k in ("upload", "create", "get", "list", "delete", "file")}
        assert c.upload_file(str(media["tone"])).audio_url  # the reset cleared the pending faults
        r = httpx.post(f"{e.url}/_emulator/faults", json={"endpoint": "nowhere", "status": 500})
        assert r.status_code == 400


def test_command_line_faults(media: dict[str, Path]) -> None:
    extra = ("--fail", "upload:502:1", "--drop", "create", "--job-error", "500:1", "--fail", "delete:500:2")
    with EmulatorProcess(extra_args=extra) as e:
        c = client(e)
        job = c.create({"audio_url": c.upload_file(str(media["tone"])).audio_url})  # 502 then drop: both retried
        assert wait_done(c, job.id).error_code == 500
        with pytest.raises(HttpError) as err:
            c.delete(job.id)
        assert err.value.status == 500
        assert c.delete(job.id) is True
        stats = e.stats()
        assert stats["requests"]["upload"] == 2 and stats["requests"]["create"] == 2 and stats["jobs_failed"] == 1


def test_upload_bandwidth_holds_the_upload_back(media: dict[str, Path], tmp_path: Path) -> None:
    payload = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=5", "-ar", "16000", "-ac", "1", str(payload))  # 160 kB
    with EmulatorProcess(extra_args=("--upload-bandwidth", "200000")) as e:
        started = time.monotonic()
        up = client(e).upload_file(str(payload))
        # The server reads no faster than the bandwidth, so this lower bound holds by construction.
        assert time.monotonic() - started >= payload.stat().st_size / 200_000 * 0.9
        assert e.stats()["upload_bytes"] == up.audio_metadata.size == payload.stat().st_size
        e.fault(upload_bandwidth=0)
        assert client(e).upload_file(str(media["tone"])).audio_url


# -- process behaviour ----------------------------------------------------------------------------------


def test_sigterm_exits_cleanly_and_two_run_at_once() -> None:
    a, b = EmulatorProcess().start(), EmulatorProcess().start()
    try:
        assert a.url != b.url
        assert httpx.get(f"{a.url}/v2/pre-recorded", headers={"x-gladia-key": "k"}).status_code == 200
        assert a.stats()["requests"]["list"] == 1 and b.stats()["requests"]["list"] == 0
    finally:
        assert a.stop() == 0
        assert b.stop() == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{a.url}/_emulator/stats")


def test_sigint_exits_cleanly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "subtool.testing.gladia", "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{url}/_emulator/stats").status_code == 200
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0


def test_bad_command_line_is_a_usage_error() -> None:
    r = subprocess.run([sys.executable, "-m", "subtool.testing.gladia", "--fail", "nowhere:500"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "ENDPOINT:STATUS" in r.stderr


def test_local_transcriber_uses_the_offline_engine() -> None:
    with EmulatorProcess(transcriber="local") as e:
        job = client(e).transcribe(str(SAMPLES / "memo.mp3"), {"translation": True, "translation_config": {"target_languages": ["fr"]}},
                                   interval=0.2, timeout=300)
    text = job.result.transcription.full_transcript.lower()
    assert "voice memo" in text and "friday" in text
    assert job.result.translation.results[0].full_transcript.startswith("This·fr")


def test_large_upload_is_streamed_to_disk_and_served_back_intact(emu: EmulatorProcess, tmp_path: Path) -> None:
    # Over the emulator's 32 MB in-memory threshold: the multipart body is split by offsets.
    big = tmp_path / "big.wav"
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=r=16000:a=0.05:seed=7", "-t", "1100", "-ac", "1", str(big))
    assert big.stat().st_size > 33 * 1024 * 1024
    up = client(emu).upload_file(str(big))
    assert up.audio_metadata.size == big.stat().st_size
    assert up.audio_metadata.audio_duration == pytest.approx(1100, abs=0.1)
    served = httpx.get(up.audio_url, headers={"x-gladia-key": "k"}, timeout=60).content
    assert hashlib.sha256(served).digest() == hashlib.sha256(big.read_bytes()).digest()


# -- the service's unkind behaviours ------------------------------------------------------------------


@pytest.fixture(scope="module")
def quiet_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("quiet")
    out = {"pink": d / "pink.opus", "silence": d / "silence.opus", "steady": d / "steady.opus", "soft": d / "soft.opus"}
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=8:c=pink:a=0.3", "-c:a", "libopus", "-b:a", "24k", str(out["pink"]))
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5", "-c:a", "libopus", "-b:a", "24k", str(out["silence"]))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=5", "-c:a", "libopus", "-b:a", "24k", str(out["steady"]))
    # Speech-like in its rhythm, but 40 dB down: voiced for the content rule, not above -30 dBFS.
    ffmpeg("-f", "lavfi", "-i", "aevalsrc='0.01*sin(2*PI*300*t)*(0.55+0.45*sin(2*PI*3*t))':d=5", "-c:a", "libopus", "-b:a", "24k", str(out["soft"]))
    return out


def test_audio_without_speech_gets_the_empty_result(emu: EmulatorProcess, quiet_media: dict[str, Path]) -> None:
    options = {"subtitles": True, "subtitles_config": {"formats": ["srt", "vtt"]}, "translation": True,
               "translation_config": {"target_languages": ["fr"]}}
    for name in ("pink", "silence", "steady"):
        job = client(emu).transcribe(str(quiet_media[name]), options, interval=POLL, timeout=60)
        tr = job.result.transcription
        assert job.status == "done", name
        assert tr.languages == [] and tr.utterances == [] and tr.full_transcript == "", name
        assert [(s.format, s.subtitles) for s in tr.subtitles] == [("srt", ""), ("vtt", "WEBVTT\n\n")], name
        [fr] = job.result.translation.results
        assert fr.languages == ["fr"] and fr.utterances == [] and fr.full_transcript == ""
        assert job.result.metadata.audio_duration > 4


def test_no_speech_below_a_level(quiet_media: dict[str, Path]) -> None:
    with EmulatorProcess(extra_args=("--no-speech-below", "-30")) as e:
        soft = client(e).transcribe(str(quiet_media["soft"]), {}, interval=POLL, timeout=60)
        assert soft.result.transcription.utterances == []
        loud = client(e).transcribe(str(quiet_media["steady"]), {}, interval=POLL, timeout=60)
        assert loud.result.transcription.full_transcript.startswith("Lorem")  # a level rule: any loud sound is "speech"
        e.fault(no_speech_below=None)  # back to judging the content
        soft = client(e).transcribe(str(quiet_media["soft"]), {}, interval=POLL, timeout=60)
        assert soft.result.transcription.full_transcript.startswith("Lorem")


def test_a_lost_reply_comes_after_the_request_was_carried_out(media: dict[str, Path]) -> None:
    with EmulatorProcess(extra_args=("--lose-reply", "create:1")) as e:
        c = client(e)
        url = c.upload_file(str(media["tone"])).audio_url
        answered = c.create({"audio_url": url, "custom_metadata": {"t": "1"}}).id
        # The SDK's own retry (once, after the dropped connection) got an answer; the dropped
        # request had made its job already: two jobs for one create. (subtool turns that retry off.)
        assert e.stats()["jobs_created"] == 2
        made = {i.id for i in c.list({"custom_metadata": {"t": "1"}}).items}
        assert answered in made and len(made) == 2
        assert [x["outcome"] for x in e.log() if x["endpoint"] == "create"] == ["dropped", "answered"]
        e.reset()
        e.fault(endpoint="create", lose_reply=1, status=502)
        with pytest.raises(HttpError) as err:
            GladiaClient(api_key="k", api_url=e.url, http_retry=HttpRetryOptions(max_attempts=1)).prerecorded().create(
                {"audio_url": url, "custom_metadata": {"t": "2"}}
            )
        assert err.value.status == 502
        assert e.stats()["jobs_created"] == 1
        [made] = c.list({"custom_metadata": {"t": "2"}}).items
        assert wait_done(c, made.id).status == "done"
        log = e.log()
        assert [(x["endpoint"], x["status"]) for x in log if x["endpoint"] == "create"] == [("create", 502)]


def test_queue_keeps_creates_over_the_limit_queued(media: dict[str, Path]) -> None:
    with EmulatorProcess(max_concurrent=2, latency=1.0, queue=True) as e:
        c = client(e)
        url = c.upload_file(str(media["tone"])).audio_url
        ids = [c.create({"audio_url": url}).id for _ in range(5)]  # no 429
        states = [c.get(i).status for i in ids]
        assert states.count("queued") >= 3 and states.count("processing") <= 2
        assert [wait_done(c, i).status for i in ids] == ["done"] * 5
        stats = e.stats()
        assert stats["max_processing_jobs"] == 2 and stats["max_queued_jobs"] >= 3 and "429" not in stats["answers"]
        e.fault(queue=1)  # a queue of one: the next create over it is refused, with Retry-After
        c.create({"audio_url": url})
        c.create({"audio_url": url})
        c.create({"audio_url": url})
        r = httpx.post(f"{e.url}/v2/pre-recorded", json={"audio_url": url}, headers={"x-gladia-key": "k"})
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 2


def test_429s_carry_retry_after_and_the_rate_limit_covers_polling(media: dict[str, Path]) -> None:
    with EmulatorProcess(max_concurrent=1, latency=5) as e:
        c = client(e)
        url = c.upload_file(str(media["tone"])).audio_url
        job = c.create({"audio_url": url})
        r = httpx.post(f"{e.url}/v2/pre-recorded", json={"audio_url": url}, headers={"x-gladia-key": "k"})
        assert r.status_code == 429 and 3 <= int(r.headers["retry-after"]) <= 5  # until the running job is due
        e.fault(rate_limit="2/s")
        h = {"x-gladia-key": "k"}
        answers = [httpx.get(f"{e.url}/v2/pre-recorded/{job.id}", headers=h) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].headers["retry-after"] == "1" and answers[2].json()["statusCode"] == 429
        e.fault(endpoint="get", status=429, retry_after=7)
        e.fault(rate_limit=None)
        r = httpx.get(f"{e.url}/v2/pre-recorded/{job.id}", headers=h)
        assert r.status_code == 429 and r.headers["retry-after"] == "7"


def test_delay_holds_an_endpoint_back(emu: EmulatorProcess, media: dict[str, Path]) -> None:
    with EmulatorProcess(extra_args=("--delay", "list:1.5")) as e:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{e.url}/v2/pre-recorded", headers={"x-gladia-key": "k"}, timeout=0.5)
        assert httpx.get(f"{e.url}/v2/pre-recorded/none", headers={"x-gladia-key": "k"}, timeout=0.5).status_code == 404
        started = time.monotonic()
        assert httpx.get(f"{e.url}/v2/pre-recorded", headers={"x-gladia-key": "k"}, timeout=5).status_code == 200
        assert time.monotonic() - started >= 1.5  # held back by construction
        e.fault(delay={"list": 0})
        assert httpx.get(f"{e.url}/v2/pre-recorded", headers={"x-gladia-key": "k"}, timeout=0.5).status_code == 200


def test_messy_translations_look_like_the_real_capture(media: dict[str, Path]) -> None:
    options = {"subtitles": True, "subtitles_config": {"formats": ["srt", "vtt"]}, "translation": True,
               "translation_config": {"target_languages": ["fr", "de"]}}
    with EmulatorProcess(messy_translations=True) as e:
        job = client(e).transcribe(str(media["talk"]), options, interval=POLL, timeout=60)
    results = job.result.translation.results
    assert [r.languages for r in results] == [["de"], ["fr"]]  # only "languages" says which is which
    fr = results[1]
    assert len(fr.utterances) == len(job.result.transcription.utterances) == 3
    assert fr.utterances[1].text == "" and fr.utterances[1].words == []  # empty
    assert fr.utterances[2].text and fr.utterances[2].words == []  # words missing
    assert fr.utterances[0].text.startswith("Welcome to") and "·fr" in fr.utterances[0].text  # source words left in
    srt, vtt = (s.subtitles for s in fr.subtitles)
    assert "time·fr." not in srt and "time·fr." in vtt  # the SRT drops the last word
    assert srt.count("-->") + 1 == vtt.count("-->")  # the VTT splits a caption the SRT does not


def test_strict_takes_only_the_documented_filter_form(media: dict[str, Path], tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\xff\xfb" + b"\0" * 5000)
    with EmulatorProcess(strict=True) as e:
        c = client(e)
        url = c.upload_file(str(media["tone"])).audio_url
        a = c.create({"audio_url": url, "custom_metadata": {"team": "a"}}).id
        b = c.create({"audio_url": url, "custom_metadata": {"team": "b"}}).id
        # The SDK's bracket form is ignored, as an unknown parameter: every job comes back.
        assert {i.id for i in c.list({"custom_metadata": {"team": "a"}}).items} == {a, b}
        raw = httpx.get(f"{e.url}/v2/pre-recorded", params={"custom_metadata": json.dumps({"team": "a"})}, headers={"x-gladia-key": "k"})
        assert [i["id"] for i in raw.json()["items"]] == [a]
        assert "post_session_metadata" not in raw.json()["items"][0]
        assert "post_session_metadata" in httpx.get(f"{e.url}/v2/pre-recorded/{a}", headers={"x-gladia-key": "k"}).json()
        with pytest.raises(HttpError) as err:
            c.upload_file(str(junk))
        assert err.value.status == 422 and "validation_errors" not in err.value.response_body
        with pytest.raises(HttpError) as err:
            c.create({"audio_url": url, "model": "whisper"})
        assert err.value.status == 400 and err.value.validation_errors


def test_unkind_options_refused_in_one_line() -> None:
    for args, needle in ((["--lose-reply", "nowhere"], "ENDPOINT[:COUNT[:STATUS]]"), (["--delay", "get:soon"], "SECONDS must be a number"),
                         (["--rate-limit", "0/s"], "N at least 1"), (["--rate-limit", "5/hour"], "N/s or N/min"), (["--queue", "-1"], "at least 0")):
        r = subprocess.run([sys.executable, "-m", "subtool.testing.gladia", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    with EmulatorProcess() as e:
        for body in ({"delay": {"nowhere": 1}}, {"rate_limit": "x/s"}, {"endpoint": "create", "lose_reply": "many"}):
            assert httpx.post(f"{e.url}/_emulator/faults", json=body).status_code == 400, body
