"""subtool against the service at its least kind: no speech, lost replies, queueing, 429s with
Retry-After, slow answers, messy translations, and bad GLADIA_API_URL / GLADIA_API_KEY values.
The console script as a subprocess, the real SDK, the Gladia emulator on loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pysubs2
import pytest
from conftest import SAMPLES, copy_sample, run_cli

from subtool.engines.base import TranscribeOptions
from subtool.engines.gladia.engine import GladiaEngine
from subtool.engines.gladia.request import redact_url
from subtool.engines.gladia.results import to_transcript
from subtool.errors import ServiceError
from subtool.models import Transcript
from subtool.presets import load_profile
from subtool.subtitles import build_cues
from subtool.testing.gladia import EmulatorProcess

pytestmark = pytest.mark.timeout(240)

KEY = "sk-unkind-5e0c7a1f"
NOTE = "note: "


def env_for(e: EmulatorProcess, **extra: str) -> dict[str, str]:
    return {"GLADIA_API_KEY": KEY, "GLADIA_API_URL": e.url, **extra}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def emu():
    with EmulatorProcess(keys=[KEY]) as e:
        yield e


@pytest.fixture
def fresh(emu: EmulatorProcess) -> EmulatorProcess:
    emu.reset()
    emu.fault(latency=0)
    return emu


def pink_video(folder: Path) -> Path:
    """8 s of pink noise under a test picture: no speech in it."""
    path = folder / "noise.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=160x90:d=8:r=10", "-f", "lavfi", "-i", "anoisesrc=d=8:c=pink:a=0.3",
           "-shortest", "-c:v", "libx264", "-c:a", "aac", str(path))
    return path


def cue_texts(path: Path) -> list[str]:
    return [e.plaintext for e in pysubs2.load(str(path))]


# -- 1. no speech --------------------------------------------------------------------------------


def test_speechless_input_is_a_normal_result_and_the_rerun_is_not_poisoned(fresh: EmulatorProcess, tmp_path: Path) -> None:
    video = pink_video(tmp_path)
    r = run_cli("transcribe", str(video), "-t", "fr", "--format", "srt,vtt", "--json", env=env_for(fresh))
    assert r.returncode == 0, r.stderr
    assert f"{NOTE}no speech found" in r.stderr and "'und'" not in r.stderr
    assert not list(tmp_path.glob("noise.*.srt")) and not list(tmp_path.glob("noise.*.vtt"))
    doc = json.loads((tmp_path / "noise.transcript.json").read_text())
    assert doc["language"] is None and doc["utterances"] == [] and doc["languages"] == [] and doc["translations"] == {}
    assert doc["duration"] == pytest.approx(8, abs=0.2) and len(doc["job_ids"]) == 1
    assert json.loads(r.stdout)["results"][0]["language"] is None
    # The rerun reads the cache (nothing asked of the service again), and succeeds the same way.
    again = run_cli("transcribe", str(video), "-t", "fr", "--format", "srt,vtt", "--force", env=env_for(fresh))
    assert again.returncode == 0, again.stderr
    assert "using the cached transcript" in again.stderr and f"{NOTE}no speech found" in again.stderr
    assert fresh.stats()["jobs_created"] == 1
    # `run` has nothing to mux: it says so, makes no video, and succeeds.
    out = tmp_path / "out"
    run = run_cli("run", str(video), "-t", "fr", "--format", "srt,vtt", "-d", str(out), env=env_for(fresh))
    assert run.returncode == 0, run.stderr
    assert "no speech was found" in run.stderr and "no video was made" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["noise.transcript.json"]
    assert fresh.stats()["jobs_created"] == 1


def test_a_silent_first_chunk_takes_the_language_of_the_others(fresh: EmulatorProcess, tmp_path: Path) -> None:
    # 12 s of silence (a music intro, as far as speech goes), then the 16 s talk: with a 20 s
    # limit and 12 s chunks, the first chunk has no speech at all.
    long = tmp_path / "intro.mkv"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:d=12", "-i", str(SAMPLES / "talk.mp4"), "-filter_complex",
           "[1:a]aresample=16000,aformat=channel_layouts=mono[b];[0:a][b]concat=n=2:v=0:a=1[out]",
           "-map", "[out]", "-c:a", "libopus", "-b:a", "24k", str(long))
    knobs = {"SUBTOOL_GLADIA_MAX_DURATION": "20", "SUBTOOL_GLADIA_CHUNK_TARGET": "12"}
    r = run_cli("transcribe", str(long), "-t", "fr", "--keep-raw", env=env_for(fresh, **knobs))
    assert r.returncode == 0, r.stderr
    raw = json.loads((tmp_path / "intro.raw.json").read_text())
    assert len(raw) >= 2 and raw[0]["job"]["result"]["transcription"]["languages"] == []  # the service found nothing there
    assert re.search(r"no speech found in 0:00:00-0:00:\d\d \(piece 1 of \d\)", r.stderr)
    doc = json.loads((tmp_path / "intro.transcript.json").read_text())
    assert doc["language"] == "en" and doc["utterances"][0]["start"] > 12
    for lang in ("en", "fr"):
        texts = cue_texts(tmp_path / f"intro.{lang}.srt")
        assert texts and all(t.strip() for t in texts)
    created = fresh.stats()["jobs_created"]
    again = run_cli("transcribe", str(long), "-t", "fr", "--force", env=env_for(fresh, **knobs))
    assert again.returncode == 0 and "using the cached transcript" in again.stderr, again.stderr
    assert fresh.stats()["jobs_created"] == created


# -- 2. lost replies -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [None, 502], ids=["reset", "gateway-502"])
def test_a_create_whose_reply_is_lost_is_adopted_not_paid_twice(status: int | None, tmp_path: Path) -> None:
    lose = "create:1" if status is None else f"create:1:{status}"
    with EmulatorProcess(keys=[KEY], extra_args=("--strict", "--lose-reply", lose)) as e:
        memo = copy_sample("memo.mp3", tmp_path)
        r = run_cli("transcribe", str(memo), env=env_for(e))
        assert r.returncode == 0, r.stderr
        stats = e.stats()
        assert stats["jobs_created"] == 1 and stats["requests"]["create"] == 1 and stats["requests"]["list"] >= 1
        job_id = json.loads((tmp_path / "memo.transcript.json").read_text())["job_ids"][0]
        assert f"the service had made job {job_id} although its answer was lost" in r.stderr
        # The search used the documented filter form, never the SDK's bracket form.
        searches = [x["path"] for x in e.log() if x["endpoint"] == "list"]
        assert searches and all(p == "/v2/pre-recorded" for p in searches)


def test_the_token_search_works_when_the_bracket_filter_is_ignored(media_memo: Path) -> None:
    """--strict ignores the SDK's ``custom_metadata[k]=v``: a search for the 20 newest jobs would
    miss a job with 30 newer ones; the documented form and paging find it."""
    with EmulatorProcess(keys=[KEY], strict=True) as e:
        engine = GladiaEngine(api_key=KEY, api_url=e.url)
        run = engine.new_run()
        since = time.time()
        first = engine.submit(media_memo, TranscribeOptions(), run=run, token="needle")
        engine.wait(first, run=run)
        client = engine._client()
        url = client.upload_file(str(media_memo)).audio_url
        for _ in range(30):
            client.create({"audio_url": url, "custom_metadata": {"subtool_request": "other"}})
        assert engine.find_job("needle") == first  # without a time: through every page
        assert engine.find_job("needle", since=since) == first
        assert engine.find_job("missing", since=since) is None
        e.fault(endpoint="list", status=400)
        with pytest.raises(ServiceError, match="token subtool_request=needle"):
            engine.find_job("needle", since=since)


@pytest.fixture
def media_memo(tmp_path: Path) -> Path:
    return copy_sample("memo.mp3", tmp_path)


def test_a_failed_search_is_said_with_the_token(tmp_path: Path) -> None:
    with EmulatorProcess(keys=[KEY], strict=True, extra_args=("--lose-reply", "create:1", "--fail", "list:400:5")) as e:
        r = run_cli("transcribe", str(copy_sample("memo.mp3", tmp_path)), env=env_for(e))
        assert r.returncode == 0, r.stderr
        m = re.search(r"could not check whether the service made the job anyway \(token subtool_request=([0-9a-f]{32})\)", r.stderr)
        assert m, r.stderr
        assert "may make a second job" in r.stderr
        assert e.stats()["jobs_created"] == 2  # it was said: the token finds the first one


def test_a_25_slot_batch_with_lost_replies_pays_nothing_twice(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    items = [copy_sample("memo.mp3", tmp_path / "in", f"memo{i:02d}.mp3") for i in range(30)]
    # The lookups are answered 6 s late: by then the other creates of the first 25 have made
    # their jobs, so a lost one is not among the 20 newest (what a bracket-filtered list ignored
    # by the service would show).
    extra = ("--strict", "--lose-reply", "create:4", "--lose-reply", "create:3:504", "--delay", "list:6")
    with EmulatorProcess(keys=[KEY], latency=1.0, max_concurrent=25, extra_args=extra) as e:
        r = run_cli("batch", *map(str, items), "--sidecars-only", "-d", str(tmp_path / "out"), "--max-jobs", "25", "--no-cache", "--json",
                    env=env_for(e))
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["counts"]["done"] == 30
        stats = e.stats()
        assert stats["jobs_created"] == 30  # seven replies lost, seven jobs adopted
        assert stats["answers"].get("dropped", 0) == 4 and stats["answers"].get("504", 0) == 3
        assert len({i["job_id"] for i in doc["items"]}) == 30


# -- 3. queueing and 429 ---------------------------------------------------------------------------


def test_the_service_queueing_jobs_is_waited_out_without_429(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    items = [copy_sample("memo.mp3", tmp_path / "in", f"memo{i}.mp3") for i in range(6)]
    with EmulatorProcess(keys=[KEY], latency=1.5, max_concurrent=3, queue=True) as e:
        r = run_cli("batch", *map(str, items), "--sidecars-only", "-d", str(tmp_path / "out"), "--max-jobs", "6", "--no-cache", "--json",
                    env=env_for(e))
        assert r.returncode == 0, r.stderr
        stats = e.stats()
    assert json.loads(r.stdout)["counts"]["done"] == 6
    assert stats["jobs_created"] == 6 and stats["max_processing_jobs"] == 3 and stats["max_queued_jobs"] >= 1
    assert "429" not in stats["answers"]


def test_time_in_the_service_queue_does_not_count_against_the_deadline(media_memo: Path) -> None:
    import threading

    with EmulatorProcess(keys=[KEY], latency=6, max_concurrent=1, queue=True) as e:
        engine = GladiaEngine(api_key=KEY, api_url=e.url, deadline=10, max_jobs=2)
        run = engine.new_run()
        jobs = [engine.submit(media_memo, TranscribeOptions(), run=run) for _ in range(2)]
        ends: dict[str, object] = {}

        def wait(job_id: str) -> None:
            try:
                ends[job_id] = engine.wait(job_id, run=run)["status"]
            except Exception as exc:  # noqa: BLE001 - the assertion below shows it
                ends[job_id] = exc

        threads = [threading.Thread(target=wait, args=(j,)) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        stats = e.stats()
    # The second job waited about 6 s in the queue, then took 6 s: done about 12 s in, past the
    # 10 s deadline were its time in the queue counted.
    assert ends == {jobs[0]: "done", jobs[1]: "done"}
    assert stats["max_processing_jobs"] == 1 and stats["max_queued_jobs"] >= 1


def test_retry_after_on_a_poll_is_honoured(fresh: EmulatorProcess, tmp_path: Path) -> None:
    fresh.fault(endpoint="get", status=429, retry_after=3)
    r = run_cli("transcribe", str(copy_sample("memo.mp3", tmp_path)), "--no-cache", env=env_for(fresh))
    assert r.returncode == 0, r.stderr
    assert "(as the service asked)" in r.stderr
    gets = [x for x in fresh.log() if x["endpoint"] == "get"]
    refused = next(i for i, x in enumerate(gets) if x["status"] == 429)
    # Timed on the emulator's clock: from the 429 going out to the next poll coming in.
    assert gets[refused + 1]["t"] - gets[refused]["t_end"] >= 3.0


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from subtool.engines.gladia.client import retry_after as _retry_after

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (_retry_after({"retry-after": later}) or 0) <= 30
    assert _retry_after({"retry-after": "4"}) == 4.0 and _retry_after({}) is None and _retry_after({"retry-after": "soon"}) is None


def test_a_rate_limit_on_every_endpoint_is_waited_out(tmp_path: Path) -> None:
    with EmulatorProcess(keys=[KEY], latency=2.0, extra_args=("--rate-limit", "2/s")) as e:
        r = run_cli("transcribe", str(copy_sample("talk.mp4", tmp_path)), "-t", "fr", env=env_for(e))
        assert r.returncode == 0, r.stderr
        log = e.log()
    limited = [i for i, x in enumerate(log) if x["status"] == 429]
    assert limited, "the rate limit was never reached"
    for i in limited:  # each 429 (Retry-After: 1) is followed by a pause of at least a second
        nxt = next((x for x in log[i + 1 :] if x["endpoint"] == log[i]["endpoint"]), None)
        assert nxt is None or nxt["t"] - log[i]["t_end"] >= 1.0


# -- 4. slow answers -------------------------------------------------------------------------------


def test_a_result_slower_than_the_sdk_timeout_is_fetched_with_a_longer_one(tmp_path: Path) -> None:
    with EmulatorProcess(keys=[KEY], extra_args=("--delay", "get:12")) as e:
        r = run_cli("transcribe", str(copy_sample("memo.mp3", tmp_path)), env=env_for(e, SUBTOOL_GLADIA_RETRY_WINDOW="90"))
        assert r.returncode == 0, r.stderr
        assert re.search(r"the service took more than 10 s to answer .*allowing 30 s", r.stderr)
        assert e.stats()["jobs_created"] == 1
    assert cue_texts(tmp_path / "memo.en.srt")


# -- 5. messy translations -------------------------------------------------------------------------


def test_messy_translations_give_valid_cues_in_the_right_language(tmp_path: Path) -> None:
    with EmulatorProcess(keys=[KEY], messy_translations=True) as e:
        video = copy_sample("talk.mp4", tmp_path)
        r = run_cli("transcribe", str(video), "-t", "fr,es", "--format", "srt,vtt,ass", env=env_for(e))
    assert r.returncode == 0, r.stderr
    for lang, other in (("fr", "es"), ("es", "fr")):
        assert f"{lang}: 1 of 3 translated utterances came back empty" in r.stderr
        for fmt in ("srt", "vtt", "ass"):
            texts = cue_texts(tmp_path / f"talk.{lang}.{fmt}")
            assert texts and all(t.strip() for t in texts), (lang, fmt, texts)
            joined = " ".join(texts)
            assert f"·{lang}" in joined and f"·{other}" not in joined, (lang, fmt)  # matched by "languages"
    doc = json.loads((tmp_path / "talk.transcript.json").read_text())
    assert list(doc["translations"]) == ["fr", "es"]
    assert [u["start"] for u in doc["translations"]["fr"]] == [u["start"] for u in doc["utterances"]]
    assert [u["text"] == "" for u in doc["translations"]["fr"]] == [False, True, False]


REAL_SHAPES = {
    "id": "2a1b720f-ff90-448b-826f-1b508d46d7fe",
    "status": "done",
    "request_params": {"language_config": {"languages": [], "code_switching": False}},
    "result": {
        "metadata": {"audio_duration": 30.0},
        "transcription": {
            "languages": ["ja"],
            "utterances": [
                {"start": 1.916, "end": 2.397, "text": "日本語", "language": "ja", "channel": 0, "speaker": 0,
                 "words": [{"word": "日本", "start": 1.916, "end": 2.236, "confidence": 0.72}, {"word": "語", "start": 2.277, "end": 2.397}]},
                {"start": 2.797, "end": 2.977, "text": "コン", "language": "ja", "words": [{"word": "コン", "start": 2.797, "end": 2.977}]},
                {"start": 3.5, "end": 6.1, "text": "テッペイ", "language": "ja", "words": []},
                {"start": 7.0, "end": 9.0, "text": "皆さん", "language": "ja", "words": []},
            ],
        },
        "translation": {"success": True, "error": None, "results": [
            {"languages": ["en"], "error": None, "utterances": [
                {"start": 1.916, "end": 2.397, "text": "Japanese", "words": [{"word": "Japanese", "start": 1.916, "end": 2.236}]},
                {"start": 2.797, "end": 2.977, "text": "", "words": []},
                {"start": 3.5, "end": 6.1, "text": "", "words": [{"word": " Teppei", "start": None, "end": 4.0},
                                                               {"word": " says", "start": 4.1, "end": 4.5}, {"word": "  ", "start": 4.6, "end": 4.7}]},
                {"start": None, "end": None, "text": "lost", "words": []},
            ]},
            {"languages": ["fr"], "error": None, "utterances": [
                {"start": 1.916, "end": 2.397, "text": "日 本 ン ッ ペ イ。 Ce podcast soutient", "words": []},
                {"start": 2.797, "end": 2.977, "text": "", "words": []},
                {"start": 3.5, "end": 3.2, "text": "   ", "words": [{"word": "", "start": 3.5, "end": 3.6}]},
                {"start": 7.0, "end": 9.0, "text": "tout le monde", "words": [{"word": "tout", "start": 7.0, "end": 6.5}]},
            ]},
            {"languages": ["de"], "error": {"status_code": 500, "exception": "Boom", "message": "translation engine down"}},
        ]},
    },
}


def test_real_translation_shapes_map_by_language_and_never_give_an_empty_cue() -> None:
    notes: list[str] = []
    t = to_transcript(REAL_SHAPES, targets=["fr", "en", "de", "it"], notes=notes)
    assert t.language == "ja" and set(t.translations) == {"fr", "en"}
    assert t.translations["en"][0].text == "Japanese" and t.translations["fr"][0].text.endswith("Ce podcast soutient")
    assert [u.text for u in t.translations["en"]] == ["Japanese", "", "Teppei says"]  # the untimed one is left out
    assert [w.text for w in t.translations["en"][2].words] == ["says"]  # a word without a start is left out
    assert any("en: 1 of 3 translated utterances came back empty" in n for n in notes)
    assert any("fr: 2 of 4" in n for n in notes)
    assert any("de translation failed at the service (translation engine down)" in n for n in notes)
    assert any("sent no it translation" in n for n in notes)
    profile = load_profile("netflix")
    for lang in ("ja", "en", "fr"):
        cues = build_cues(t.utterances_for(lang), profile, language=lang, duration=30.0)
        assert cues and all(c.lines and all(line.strip() for line in c.lines) for c in cues), (lang, cues)
        assert all(0 <= c.start < c.end for c in cues)


def test_no_speech_and_an_unnamed_language() -> None:
    silent = {"id": "x", "status": "done", "result": {"metadata": {"audio_duration": 8.0}, "transcription": {
        "languages": [], "utterances": [], "full_transcript": "", "subtitles": [{"format": "srt", "subtitles": ""}]},
        "translation": {"results": [{"languages": ["fr"], "utterances": [], "error": None}]}}}
    t = to_transcript(silent, targets=["fr"])
    assert t.language is None and t.utterances == [] and t.translations == {} and t.subtitles == {} and t.all_languages() == []
    back = Transcript.from_dict(json.loads(json.dumps(t.to_dict())))
    assert back.language is None and back.duration == 8.0
    # Speech but no language named: the one the request forced.
    forced = {"status": "done", "request_params": {"language_config": {"languages": ["de"]}},
              "result": {"transcription": {"languages": [], "utterances": [{"start": 0, "end": 1, "text": "Hallo"}]}}}
    assert to_transcript(forced).language == "de"


# -- GLADIA_API_URL and GLADIA_API_KEY -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["127.0.0.1:8765", "localhost:8765", "ftp://127.0.0.1:8765", "http://", "http://host:port"])
def test_an_api_url_without_a_scheme_is_a_usage_error(url: str, tmp_path: Path) -> None:
    r = run_cli("transcribe", str(copy_sample("memo.mp3", tmp_path)), env={"GLADIA_API_KEY": KEY, "GLADIA_API_URL": url})
    assert r.returncode == 2, r.stderr
    assert "GLADIA_API_URL" in r.stderr and "http://127.0.0.1:8765" in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_path.glob("memo.*.srt"))


@pytest.mark.parametrize(("key", "what"), [("sk-abc\ndef", "a line break"), ("sk-abc\r", "a line break"), ("sk-clé-123", "a non-ASCII character"),
                                           ("sk abc", "a space or tab"), ("sk-\x07abc", "a control character")])
def test_a_key_that_cannot_be_a_header_is_refused_before_any_request(key: str, what: str, fresh: EmulatorProcess, tmp_path: Path) -> None:
    r = run_cli("transcribe", str(copy_sample("memo.mp3", tmp_path)), "--engine", "gladia", env={"GLADIA_API_KEY": key, "GLADIA_API_URL": fresh.url})
    assert r.returncode == 4, r.stderr
    assert f"the key in GLADIA_API_KEY contains {what}" in r.stderr
    assert key.strip() not in r.stderr and "retrying" not in r.stderr
    assert sum(fresh.stats()["requests"].values()) == 0  # nothing was sent


def test_credentials_in_the_api_url_never_show(emu: EmulatorProcess, tmp_path: Path) -> None:
    secret = "pa55-w0rd-Zq"
    authed = emu.url.replace("http://", f"http://editor:{secret}@")
    cache = tmp_path / "cache"
    env = {"GLADIA_API_KEY": KEY, "GLADIA_API_URL": authed, "XDG_CACHE_HOME": str(cache)}
    emu.reset()
    ok = run_cli("-v", "transcribe", str(copy_sample("memo.mp3", tmp_path)), "--keep-raw", "--json", env=env)
    assert ok.returncode == 0, ok.stderr
    emu.fault(endpoint="get", status=503, count=1)
    again = run_cli("-v", "transcribe", str(tmp_path / "memo.mp3"), "--force", "--no-cache", env=env)
    assert again.returncode == 0 and "retrying" in again.stderr, again.stderr
    dead = run_cli("transcribe", str(tmp_path / "memo.mp3"), "--force", "--no-cache",
                   env={**env, "GLADIA_API_URL": f"http://editor:{secret}@127.0.0.1:9", "SUBTOOL_GLADIA_RETRY_WINDOW": "1"})
    assert dead.returncode == 4 and "http://editor:***@127.0.0.1:9" in dead.stderr, dead.stderr
    bad = run_cli("transcribe", str(tmp_path / "memo.mp3"), env={**env, "GLADIA_API_URL": f"editor:{secret}@127.0.0.1:9"})
    assert bad.returncode == 2 and "editor:***@127.0.0.1:9" in bad.stderr, bad.stderr
    for proc in (ok, again, dead, bad):
        assert secret not in proc.stdout + proc.stderr
    for folder in (tmp_path, cache):
        for path in folder.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    assert redact_url("http://u:p@h:1/x") == "http://u:***@h:1/x" and redact_url("https://token@h") == "https://***@h"
    assert os.environ.get("GLADIA_API_URL") is None  # the test's environment is untouched
