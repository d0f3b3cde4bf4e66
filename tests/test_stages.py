"""The stages of subtool.flow one by one, and the result cache: the plan decides every output
before anything is paid for, the transcribe stage takes up a job its journal holds instead of
paying again, the write stage caches only what it could write."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLES, copy_sample

from subtool import cache
from subtool.engines.gladia.engine import GladiaEngine
from subtool.engines.jobs import JobRecord, MemoryJournal
from subtool.errors import LanguageError, OutputExistsError, UsageError
from subtool.flow import plan as stage
from subtool.flow.fetch import fetch
from subtool.flow.transcribe import cache_key, transcribe
from subtool.flow.write import write
from subtool.models import Hooks, TranscribeOptions, Transcript, Utterance, Word
from subtool.testing.gladia import EmulatorProcess

KEY = "k-stages-5d1e"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0.2, keys=[KEY]) as e:
        yield e


def _engine(emu: EmulatorProcess) -> GladiaEngine:
    return GladiaEngine(api_key=KEY, api_url=emu.url)


def _request(**changes: object) -> stage.Request:
    base = stage.Request(options=TranscribeOptions(), delivery=stage.delivery(sidecars_only=True))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# -- plan: the decisions ------------------------------------------------------------------------------


def test_side_files_follow_outdir_then_output_then_the_input() -> None:
    here = Path("/footage")
    assert stage.side_stem(here, "talk", output=None, outdir=None) == Path("/footage/talk")
    assert stage.side_stem(here, "talk", output="/out/cut1.mkv", outdir=None) == Path("/out/cut1")
    assert stage.side_stem(here, "talk", output="/out/cut1.mkv", outdir=Path("/d")) == Path("/d/talk")


def test_the_burned_language_is_one_decision() -> None:
    burn = stage.delivery(burn="clean")
    assert stage.burn_choice(burn, TranscribeOptions(translate=["fr"])) == "fr"
    assert stage.burn_choice(burn, TranscribeOptions(languages=["de"])) == "de"
    assert stage.burn_choice(burn, TranscribeOptions()) is None  # the spoken one, detected
    assert stage.burn_choice(stage.delivery(burn="clean", burn_language="es"), TranscribeOptions(translate=["fr", "es"])) == "es"
    stem = Path("/o/talk")
    assert stage.output_for(stem, burn, None, "fr") == Path("/o/talk.fr.burned.mp4")
    assert stage.output_for(stem, stage.delivery(mux="mkv-multi"), None, None) == Path("/o/talk.subtitled.mkv")
    with pytest.raises(UsageError, match="--sidecars-only writes no video"):
        stage.output_for(stem, stage.delivery(sidecars_only=True), "/o/x.mkv", None)


def test_options_are_normalised_into_a_new_value(emu: EmulatorProcess) -> None:
    given = TranscribeOptions(languages=["fra"], translate=["pt_br", "es", "es"], formats=["srt", "srt"])
    checked = stage.check_options(given, _engine(emu))
    assert (checked.languages, checked.translate, checked.formats) == (["fr"], ["pt-BR", "es"], ["srt"])
    assert given.languages == ["fra"]  # frozen and untouched: options are never changed in flight
    with pytest.raises(dataclasses.FrozenInstanceError):
        given.languages = []  # type: ignore[misc]
    with pytest.raises(LanguageError):
        stage.check_options(TranscribeOptions(translate=["zz"]), _engine(emu))


def test_a_plan_refuses_before_anything_is_written_or_sent(tmp_path: Path, emu: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    (tmp_path / "talk.en.srt").write_text("taken", encoding="utf-8")
    before = emu.stats()["requests"]
    with pytest.raises(OutputExistsError):
        stage.plan(video, _request(options=TranscribeOptions(languages=["en"])), _engine(emu))
    with pytest.raises(UsageError, match="--default it"):
        stage.plan(video, _request(delivery=stage.delivery(default="it"), outdir=tmp_path / "o"), _engine(emu))
    assert emu.stats()["requests"] == before and sorted(p.name for p in tmp_path.iterdir()) == ["talk.en.srt", "talk.mp4"]
    [p] = stage.plan(video, _request(outdir=tmp_path / "o", options=TranscribeOptions(languages=["en"])), _engine(emu))
    assert p.stem == tmp_path / "o" / "talk" and p.output is None and p.options.subtitle_limits["maximum_characters_per_row"] == 42
    assert not (tmp_path / "o").exists()  # planning creates no folder


# -- transcribe: a journal's job is taken up, never paid again ---------------------------------------


def _fetched_plan(tmp_path: Path, emu: EmulatorProcess, name: str) -> stage.Plan:
    audio = copy_sample("memo.mp3", tmp_path, name)
    [p] = stage.plan(audio, _request(outdir=tmp_path / "out", options=TranscribeOptions(use_cache=False)), _engine(emu))
    return p


def test_a_recorded_job_is_polled_and_a_recorded_token_found(tmp_path: Path, emu: EmulatorProcess) -> None:
    engine = _engine(emu)
    run = engine.new_run()
    job_id = engine.submit(SAMPLES / "memo.mp3", TranscribeOptions(), run=run, token="tok-stage-1")
    engine.wait(job_id, run=run)
    created = emu.stats()["jobs_created"]

    journal = MemoryJournal()
    journal.records[0] = JobRecord(None, job_id, None)  # an earlier run recorded the id
    p = _fetched_plan(tmp_path, emu, "a.mp3")
    with fetch(p, engine, Hooks()) as fetched:
        got = transcribe(fetched, engine, Hooks(), journal=journal)
    assert got.job_ids == [job_id] and "voice memo" in got.transcript.text.lower()

    journal = MemoryJournal()
    journal.records[0] = JobRecord("tok-stage-1", None, None)  # only the token: the create's answer was lost
    with fetch(p, engine, Hooks()) as fetched:
        got = transcribe(fetched, engine, Hooks(), journal=journal)
    assert got.job_ids == [job_id] and journal.records[0].job_id == job_id
    assert emu.stats()["jobs_created"] == created  # nothing paid twice


def test_a_recorded_job_that_failed_is_made_again(tmp_path: Path, emu: EmulatorProcess) -> None:
    engine = _engine(emu)
    emu.fault(job_error={"code": 500})
    try:
        run = engine.new_run()
        failed = engine.submit(SAMPLES / "memo.mp3", TranscribeOptions(), run=run, token="tok-stage-2")
        with pytest.raises(Exception, match="failed at the service"):
            engine.wait(failed, run=run)
    finally:
        emu.reset()
    journal = MemoryJournal()
    journal.records[0] = JobRecord("tok-stage-2", failed, None)
    seen: list[str] = []
    with fetch(_fetched_plan(tmp_path, emu, "b.mp3"), engine, Hooks()) as fetched:
        got = transcribe(fetched, engine, Hooks(status=seen.append), journal=journal)
    assert got.job_ids != [failed] and journal.records[0].job_id == got.job_ids[0]
    assert any("failed at the service: a new one is made" in line for line in seen)


# -- write: the cache holds only what could be written --------------------------------------------------


def _transcript() -> Transcript:
    words = [Word("Hello", 1.0, 1.4), Word("there.", 1.5, 2.0)]
    return Transcript(language="en", utterances=[Utterance(1.0, 2.0, "Hello there.", words)], engine="gladia")


def test_the_cache_key_is_the_audio_the_options_and_the_engine(tmp_path: Path, emu: EmulatorProcess) -> None:
    audio = copy_sample("memo.mp3", tmp_path)
    engine = _engine(emu)
    key = cache_key(audio, TranscribeOptions(), engine)
    assert key == cache_key(copy_sample("memo.mp3", tmp_path, "same.mp3"), TranscribeOptions(), engine)  # content, not name
    assert key != cache_key(audio, TranscribeOptions(translate=["fr"]), engine)
    assert key != cache.make_key(audio, {}, "local:tiny.en")
    cache.store(key, _transcript(), [{"job": {"id": "x"}}])
    loaded = cache.load(key)
    assert loaded is not None and loaded[0].text == "Hello there." and loaded[1] == [{"job": {"id": "x"}}]
    entry = next(cache.cache_dir().rglob(f"{key}.json"))
    entry.write_text("{not json", encoding="utf-8")
    assert cache.load(key) is None  # a damaged entry is a miss


def test_a_result_that_cannot_be_written_is_not_cached(tmp_path: Path, emu: EmulatorProcess) -> None:
    from subtool.models import Transcribed

    p = _fetched_plan(tmp_path, emu, "c.mp3")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "c.en.srt").write_text("taken", encoding="utf-8")
    fresh = Transcribed(_transcript(), "gladia", cached=False, audio_bytes=1, cache_key="0" * 64)
    with pytest.raises(OutputExistsError):
        write(p, fresh, Hooks())
    assert cache.load("0" * 64) is None
    written = write(dataclasses.replace(p, force=True), fresh, Hooks())
    assert [Path(f).name for f in written.files] == ["c.en.srt", "c.transcript.json"]
    assert json.loads((tmp_path / "out" / "c.transcript.json").read_text(encoding="utf-8"))["language"] == "en"
    stored = cache.load("0" * 64)
    assert stored is not None and stored[0].source is None  # the entry is the audio's, not this run's
