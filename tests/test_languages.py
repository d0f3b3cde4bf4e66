"""languages.py on langcodes: codes for names, the service, containers, titles and sidecars."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from subtool import languages
from subtool.errors import LanguageError


@pytest.mark.parametrize(("given", "expected"), [("fr", "fr"), ("fra", "fr"), ("fre", "fr"), ("pt_br", "pt-BR"), ("pt-BR", "pt-BR"), ("EN", "en"), ("zh-Hans", "zh-Hans")])
def test_normalize(given: str, expected: str) -> None:
    assert languages.normalize(given) == expected


@pytest.mark.parametrize("bad", ["xx", "zz-notreal", "", "english please", "123"])
def test_unknown_codes_are_refused(bad: str) -> None:
    with pytest.raises(LanguageError) as exc:
        languages.normalize(bad)
    assert exc.value.exit_code == 2 and "unknown language code" in exc.value.line()


def test_three_letter_forms_for_containers() -> None:
    assert languages.alpha3("fr") == "fra" and languages.alpha3("fr", variant="B") == "fre"
    assert languages.alpha3("de", variant="B") == "ger"
    assert languages.container_code("fr", "mkv") == "fre"
    assert languages.container_code("fr", "mp4") == "fra"
    assert languages.container_code("pt-BR", "mp4") == "por"
    assert languages.base("pt-BR") == "pt"


def test_names_for_titles() -> None:
    assert languages.native_name("fr") == "Français"
    assert languages.native_name("en") == "English"
    assert languages.native_name("ja") == "日本語"
    assert languages.english_name("de") == "German"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("talk.pt-BR.srt", ("pt-BR", False)), ("talk.fr.forced.srt", ("fr", True)), ("talk.srt", (None, False)),
     ("my.talk.en.sdh.vtt", ("en", False)), ("talk.final.srt", (None, False)), ("talk.fre.ass", ("fr", False)),
     ("talk.deu.srt", ("de", False)), ("talk.zh-Hant.srt", ("zh-Hant", False)),
     # a region written as a part of its own (Plex, Kodi, subtitle downloaders): not Breton
     ("clip.pt.br.srt", ("pt-BR", False)), ("clip.pt.BR.forced.srt", ("pt-BR", True)), ("talk.fr.ca.srt", ("fr-CA", False)),
     ("talk.br.srt", ("br", False)), ("talk.x1.br.srt", ("br", False)), ("talk.en.zz.srt", (None, False)),
     # ISO 639-3 codes that are words: not languages in a file name
     ("clip.new.srt", (None, False)), ("season.one.srt", (None, False)), ("the.end.srt", (None, False)), ("talk.old.srt", (None, False))],
)
def test_language_from_sidecar_name(name: str, expected: tuple[str | None, bool]) -> None:
    assert languages.from_sidecar(name) == expected


def test_script_properties() -> None:
    assert languages.is_cjk("zh") and languages.is_cjk("ja") and languages.is_cjk("ko-KR")
    assert not languages.is_cjk("en")
    assert languages.is_rtl("ar") and languages.is_rtl("he") and languages.is_rtl("fa")
    assert not languages.is_rtl("fr")


def test_language_names_are_kept_for_the_next_run(tmp_path: Path) -> None:
    # A fresh process with an empty cache folder: the names come from langcodes and are stored;
    # a second process reads them back without loading langcodes' name tables.
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    code = (
        "import sys; from subtool import languages as L; "
        "print(L.native_name('fr'), L.english_name('de'), L.is_known('qaa'), 'language_data.name_data' in sys.modules)"
    )
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert first == ["Français", "German", "False", "True"]
    assert (tmp_path / "subtool" / "language-names.json").is_file()
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert second == ["Français", "German", "False", "False"]


@pytest.mark.parametrize(
    ("code", "scripts", "region"),
    [("zh-Hant", ("Traditional", "Simplified"), None), ("zh-TW", ("Traditional", "Simplified"), "Taiwan"),
     ("sr-Latn", ("Latin", "Cyrillic"), None), ("zh-Hans", None, None), ("pt-BR", None, "Brazil"), ("fr", None, None)],
)
def test_scripts_and_regions_asked(code: str, scripts: tuple[str, str] | None, region: str | None) -> None:
    assert languages.other_script(code) == scripts
    assert languages.region_name(code) == region


def test_translation_targets_in_another_script_are_refused_before_any_job(tmp_path: Path) -> None:
    from conftest import copy_sample, run_cli

    from subtool.testing.gladia import EmulatorProcess

    talk = copy_sample("talk.mp4", tmp_path)
    with EmulatorProcess(latency=0.1) as emu:
        env = {"GLADIA_API_KEY": "lang-key", "GLADIA_API_URL": emu.url}
        for target, usual in [("zh-Hant,fr", "zh"), ("sr-Latn", "sr"), ("zh-TW", "zh")]:
            r = run_cli("run", str(talk), "-t", target, "--sidecars-only", "--no-cache", env=env)
            assert r.returncode == 2, r.stderr
            line = r.stderr.strip().splitlines()[-1]
            assert target.split(",")[0] in line and f"-t {usual} " in line and "Traceback" not in r.stderr
        assert emu.stats()["jobs_created"] == 0 and emu.stats()["uploads"] == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4"]
        # A region is the language's usual script: asked as the language, the files keep the asked tag, and it is said.
        r = run_cli("run", str(talk), "-t", "pt-BR,fr", "--sidecars-only", "--no-cache", "--keep-raw", env=env)
        assert r.returncode == 0, r.stderr
    raw = json.loads((tmp_path / "talk.raw.json").read_text(encoding="utf-8"))
    assert raw[0]["job"]["request_params"]["translation_config"]["target_languages"] == ["pt", "fr"]
    assert (tmp_path / "talk.pt-BR.srt").stat().st_size > 0
    warned = [line for line in r.stderr.splitlines() if "talk.pt-BR.srt" in line and "Brazil" in line]
    assert len(warned) == 1 and "pt-BR as asked" in warned[0]
    assert not any("talk.fr.srt" in line and "variant" in line for line in r.stderr.splitlines())


def test_a_region_as_a_part_of_its_own_is_muxed_as_that_language(tmp_path: Path) -> None:
    # clip.pt.br.srt was tagged Breton (bre) without a word.
    video = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=black:s=160x90:d=2", "-c:v", "libx264", str(video)], check=True)
    sub = tmp_path / "clip.pt.br.srt"
    sub.write_text("1\n00:00:00,500 --> 00:00:01,500\nOlá, tudo bem?\n", encoding="utf-8")
    out = tmp_path / "n.mkv"
    r = run_cli("mux", str(video), str(sub), "-o", str(out))
    assert r.returncode == 0, r.stderr
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "s", "-show_entries", "stream_tags=language",
                            "-of", "csv=p=0", str(out)], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "por"
