"""subtool presets: shipped mux presets and burn styles, user overrides, malformed files refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import ffprobe_json, run_cli

from subtool.errors import PresetError
from subtool.presets import load_burn, load_mux


def _env(folder: Path) -> dict[str, str]:
    return {"SUBTOOL_PRESETS_DIR": str(folder)}


def test_list_shows_every_shipped_preset() -> None:
    r = run_cli("presets", "list")
    assert r.returncode == 0, r.stderr
    rows = {tuple(line.split()[:3]) for line in r.stdout.splitlines() if not line.startswith("(")}
    for kind, name in [("mux", "mkv-multi"), ("mux", "mp4-mov-text"), ("mux", "webm-vtt"),
                       ("burn", "clean"), ("burn", "boxed"), ("burn", "social-vertical")]:
        assert (kind, name, "builtin") in rows
    assert load_mux("mkv-multi").container == "mkv" and load_mux("mkv-multi").default == "first"
    assert load_mux("mp4-mov-text").container == "mp4"
    assert load_mux("webm-vtt").container == "webm"


def test_user_folder_overrides_by_name_and_list_says_so(tmp_path: Path) -> None:
    (tmp_path / "clean.toml").write_text('kind = "burn"\ndescription = "my clean"\nfont_size = 0.08\n', encoding="utf-8")
    (tmp_path / "mine.toml").write_text('kind = "mux"\ndescription = "my mux"\ncontainer = "mp4"\ndefault = "fr"\n', encoding="utf-8")
    r = run_cli("presets", "list", "--json", env=_env(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = {(p["kind"], p["name"]): p for p in json.loads(r.stdout)["presets"]}
    assert rows[("burn", "clean")]["origin"] == "user" and rows[("burn", "clean")]["overrides_builtin"] is True
    assert rows[("burn", "clean")]["description"] == "my clean"
    assert rows[("mux", "mine")]["origin"] == "user" and rows[("mux", "mine")]["overrides_builtin"] is False
    assert rows[("burn", "boxed")]["origin"] == "builtin"
    text = run_cli("presets", env=_env(tmp_path)).stdout
    assert any("clean" in line and "overrides builtin" in line for line in text.splitlines())
    r = run_cli("presets", "show", "clean", "--json", env=_env(tmp_path))
    doc = json.loads(r.stdout)
    assert doc["values"]["font_size"] == 0.08 and doc["origin"] == "user" and doc["overrides"].endswith("presets/clean.toml")
    assert doc["values"]["outline"] == 2.0  # unset keys take the defaults, not the shipped file's


def test_show_prints_resolved_values_toml_like() -> None:
    r = run_cli("presets", "show", "social-vertical")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("# burn preset 'social-vertical' (builtin:")
    assert 'kind = "burn"' in lines and "bold = true" in lines and 'video_codec = "libx264"' in lines
    assert any(line.startswith("margin_v = 0.2") for line in lines)
    r = run_cli("presets", "show", "nope")
    assert r.returncode == 2 and "no preset called 'nope'" in r.stderr and "clean" in r.stderr


@pytest.mark.parametrize("content,key", [
    ('kind = "burn"\nfont_size = "big"\n', "font_size"),
    ('kind = "burn"\nprimary_colour = "whiteish"\n', "primary_colour"),
    ('kind = "burn"\nalignment = 12\n', "alignment"),
    ('kind = "burn"\nfontsize = 0.05\n', "fontsize"),
    ('kind = "mux"\ncontainer = "avi"\n', "container"),
    ('kind = "mux"\ndefault = "klingon-ish"\n', "default"),
    ('kind = "subtitles"\n', "kind"),
    ('kind = "burn"\nfont_size = \n', None),  # not TOML at all
    ('kind = "burn"\ncrf = 99\n', "crf"),
    ('kind = "burn"\nspeed = "warp"\n', "speed"),
    ('kind = "burn"\nvideo_codec = "nonexist"\n', "video_codec"),
    ('kind = "burn"\noutline = -3.0\n', "outline"),
    ('kind = "burn"\nprofile = "nope"\n', "profile"),
    ('kind = "mux"\nforced = ["zz"]\n', "forced"),
    ('kind = "mux"\nformats = ["txt"]\n', "formats"),
    ('kind = "mux"\nprofile = "nope"\n', "profile"),
])
def test_malformed_preset_refused_naming_file_and_key(tmp_path: Path, content: str, key: str | None) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text(content, encoding="utf-8")
    kind = "mux" if "mux" in content else "burn"
    r = run_cli("presets", "show", "broken", env=_env(tmp_path))
    assert r.returncode == 2
    assert str(bad) in r.stderr
    if key:
        assert f"'{key}'" in r.stderr
    assert "Traceback" not in r.stderr
    # the command that uses it refuses it the same way, before touching any media
    cmd = ["burn", "v.mp4", "s.srt", "--style", "broken"] if kind == "burn" else ["mux", "v.mp4", "s.fr.srt", "--preset", "broken"]
    r = run_cli(*cmd, env=_env(tmp_path))
    assert r.returncode == 2 and str(bad) in r.stderr


@pytest.mark.parametrize("content,key", [
    ('kind = "profile"\nmax_lines = 0\n', "max_lines"),
    ('kind = "profile"\nmax_cps = -1.0\n', "max_cps"),
    ('kind = "profile"\nmin_duration = 9.0\n', "min_duration"),
    ('kind = "profile"\nservice_style = "fancy"\n', "service_style"),
])
def test_malformed_profile_refused_by_check(tmp_path: Path, content: str, key: str) -> None:
    (tmp_path / "strict.toml").write_text(content, encoding="utf-8")
    sub = tmp_path / "a.srt"
    sub.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    r = run_cli("check", str(sub), "--profile", "strict", env=_env(tmp_path))
    assert r.returncode == 2 and f"'{key}'" in r.stderr and "strict.toml" in r.stderr


def test_a_broken_preset_only_breaks_what_asks_for_it(tmp_path: Path) -> None:
    bad = tmp_path / "mystyle.toml"
    bad.write_text('kind = "burn"\nfont_size = \n', encoding="utf-8")
    sub = tmp_path / "a.srt"
    sub.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    r = run_cli("check", str(sub), "--profile", "netflix", env=_env(tmp_path))
    assert r.returncode == 0, r.stderr
    r = run_cli("presets", "list", env=_env(tmp_path))
    assert r.returncode == 2 and "netflix" in r.stdout and "mystyle" in r.stdout and "malformed" in r.stdout
    assert str(bad) in r.stderr and "not valid TOML" in r.stderr


def test_loader_raises_preset_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.toml").write_text('kind = "burn"\nback_colour = "&H12"\n', encoding="utf-8")
    monkeypatch.setenv("SUBTOOL_PRESETS_DIR", str(tmp_path))
    with pytest.raises(PresetError) as info:
        load_burn("x")
    assert "back_colour" in info.value.line() and "x.toml" in info.value.line()


def test_mp4_preset_drives_the_mux(tmp_path: Path) -> None:
    video = tmp_path / "v.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:d=1:r=10", "-c:v", "libx264", "-preset", "ultrafast",
                    str(video)], check=True)
    for lang, text in (("en", "Hi"), ("fr", "Salut"), ("it", "Ciao")):
        (tmp_path / f"v.{lang}.srt").write_text(f"1\n00:00:00,100 --> 00:00:00,900\n{text}\n", encoding="utf-8")
    r = run_cli("mux", str(video), *(str(tmp_path / f"v.{lang}.srt") for lang in ("en", "fr", "it")), "--preset", "mp4-mov-text")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "v.subtitled.mp4"
    subs = [s for s in ffprobe_json(out)["streams"] if s["codec_type"] == "subtitle"]
    assert [s["codec_name"] for s in subs] == ["mov_text"] * 3
    assert [s["disposition"]["default"] for s in subs] == [1, 0, 0]
    assert [s["tags"]["language"] for s in subs] == ["eng", "fra", "ita"]


@pytest.mark.parametrize("key,meant", [("color", "primary_colour"), ("colour", "primary_colour"), ("background", "back_colour"),
                                       ("fontsize", "font_size"), ("outline_colr", "outline_colour")])
def test_an_unknown_key_suggests_the_key_it_means(tmp_path: Path, key: str, meant: str) -> None:
    (tmp_path / "mine.toml").write_text(f'kind = "burn"\n{key} = "#ffffff"\n', encoding="utf-8")
    r = run_cli("presets", "show", "mine", env=_env(tmp_path))
    assert r.returncode == 2 and f"unknown key '{key}'" in r.stderr and f"Did you mean '{meant}'?" in r.stderr, r.stderr
