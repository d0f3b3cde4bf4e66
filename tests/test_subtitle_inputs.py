"""Third-party subtitle files read right or said: legacy code pages chosen by their letters,
WebVTT carried into Matroska as it is, malformed cue blocks reported and left out, ASS/SSA
variants that libass reads. Every awkward file is built here; outputs are read back with
ffprobe/ffmpeg as a player reads them."""

from __future__ import annotations

import codecs
import json
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from subtool.subtitles import read_subtitles


def _srt(cues: list[str], *, start: int = 1) -> str:
    """SRT text, CRLF line ends as Windows tools wrote them, one cue per 2 seconds."""
    return "".join(
        f"{i + 1}\r\n00:00:{start + 2 * i:02d},000 --> 00:00:{start + 2 * i + 1:02d},500\r\n{text}\r\n\r\n"
        for i, text in enumerate(cues)
    )


def _ff(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("inputs")
    _ff("-f", "lavfi", "-i", "testsrc=s=320x180:d=6:r=25", "-f", "lavfi", "-i", "sine=d=6",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-shortest", str(d / "clip.mp4"))
    return d / "clip.mp4"


def _extract(video: Path, fmt: str = "srt", index: int = 0) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", f"file:{video}", "-map", f"0:s:{index}", "-f", fmt, "-"],
                          capture_output=True, text=True, check=True).stdout


# --------------------------------------------------------------------------------------------
# Item 2: legacy code pages chosen by evidence, uncertainty said, --encoding

CENTRAL = {
    "hr": ["Neće doći danas, rekao je.", "Što si mu rekao? Čekaj malo.", "Moramo ići kući, već je kasno.", "Đavo je u detaljima.",
           "Žao mi je, ne mogu ti pomoći.", "Hoćeš li kavu ili čaj?", "Ovo je naša posljednja šansa.", "Ne znam što želiš od mene.",
           "Gdje si bio cijelu noć?", "Reci mi istinu, molim te."],
    "pl": ["Zażółć gęślą jaźń.", "Łódź jest pięknym miastem.", "Dzień dobry, jak się masz?", "Nie wiem, co mam robić.",
           "Źle się dziś czuję.", "Muszę już iść do domu.", "Przepraszam, że się spóźniłem.", "Gdzie jest łazienka?"],
    "cs": ["Příliš žluťoučký kůň úpěl ďábelské ódy.", "Děkuji, to je všechno.", "Kde jsi byl včera večer?", "Nemůžu teď mluvit.",
           "Řekni mi pravdu.", "Ještě ne, počkej chvíli.", "To je můj přítel Jiří."],
    "hu": ["Árvíztűrő tükörfúrógép.", "Nem tudom, hogy mit mondjak.", "Köszönöm szépen, jó éjszakát.", "Őszintén szólva, ez nem az én hibám.",
           "Gyűlölöm a hétfőt.", "Hová mész ilyen későn?", "Ülj le, kérlek, és hallgass meg."],
}
WESTERN = {
    "fr": ["À bientôt, très chère amie.", "Voilà où ça commence.", "C’est déjà l’été à Noël ?", "Je ne sais pas où il est allé.",
           "Ça suffit, arrête !", "Il faut être honnête avec elle.", "Le cœur a ses raisons."],
    "de": ["Schöne Grüße aus München.", "Wir sehen uns übermorgen.", "Das ist größer, als ich dachte.", "Hör auf damit!",
           "Könnten Sie mir bitte helfen?", "Es tut mir leid, Herr Müller."],
    "es": ["¿Dónde está la estación?", "Mañana vamos al café.", "¡Qué bien! Gracias, señor.", "No sé qué decir.",
           "¿Por qué no me lo dijiste?", "El niño está en el jardín."],
}
JAPANESE = ["何だと？", "待って！", "今日はとても良い天気ですね。", "明日、東京へ行きます。", "ありがとうございました。",
            "インターネットでチケットを予約しました。"]
DIALOGUE = ["何？", "さようなら", "愛してる", "逃げろ！", "心配しないで"]


@pytest.mark.parametrize("lang", sorted(CENTRAL))
def test_cp1250_files_are_read_in_cp1250(tmp_path: Path, lang: str) -> None:
    # cp1252 was preferred whenever charset-normalizer found it "near": a Croatian file came out
    # with "Neæe" for "Neće" in 354 of 1,132 cues, without a word.
    p = tmp_path / f"film.{lang}.srt"
    p.write_bytes(_srt(CENTRAL[lang]).encode("cp1250"))
    doc = read_subtitles(p)
    assert doc.encoding == "cp1250"
    assert [e.plaintext for e in doc.ssa] == CENTRAL[lang]
    assert doc.warnings == []
    assert any("read as cp1250" in n for n in doc.notes)


@pytest.mark.parametrize("lang", sorted(WESTERN))
def test_cp1252_files_are_still_read_in_cp1252(tmp_path: Path, lang: str) -> None:
    p = tmp_path / f"film.{lang}.srt"
    p.write_bytes(_srt(WESTERN[lang]).encode("cp1252"))
    doc = read_subtitles(p)
    assert doc.encoding == "cp1252"
    assert [e.plaintext for e in doc.ssa] == WESTERN[lang]
    assert doc.warnings == []


@pytest.mark.parametrize(("encoding", "names"), [("shift_jis", {"cp932", "shift_jis"}), ("euc_jp", {"euc_jp", "euc_jis_2004"})])
@pytest.mark.parametrize("cues", [JAPANESE[:2], JAPANESE[2:3], JAPANESE, DIALOGUE], ids=["two-cues", "one-line", "six-cues", "dialogue"])
def test_japanese_legacy_files_are_not_read_as_korean_or_chinese(tmp_path: Path, encoding: str, names: set[str], cues: list[str]) -> None:
    p = tmp_path / "film.ja.srt"
    p.write_bytes(_srt(cues).encode(encoding))
    doc = read_subtitles(p)
    assert doc.encoding in names
    assert [e.plaintext for e in doc.ssa] == cues


@pytest.mark.parametrize("encoding", ["utf-32-le", "utf-32-be"])
def test_utf32_with_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    bom = codecs.BOM_UTF32_LE if encoding.endswith("le") else codecs.BOM_UTF32_BE
    cues = ["Neće doći.", "日本語の字幕", "Ελληνικά"]
    p = tmp_path / "wide.srt"
    p.write_bytes(bom + _srt(cues).encode(encoding))
    doc = read_subtitles(p)
    assert doc.encoding == encoding
    assert [e.plaintext for e in doc.ssa] == cues
    assert any(f"byte order mark ({encoding})" in n for n in doc.notes)


def test_an_uncertain_code_page_is_said_and_encoding_forces_it(tmp_path: Path, clip: Path) -> None:
    # Two short Croatian cues: "ć" as cp1252 is "æ", a French letter too; nothing tells them apart.
    cues = ["Neće doći.", "Ćao!"]
    p = tmp_path / "short.hr.srt"
    p.write_bytes(_srt(cues).encode("cp1250"))
    doc = read_subtitles(p)
    (warning,) = doc.warnings
    assert "cp1250" in warning and "cp1252" in warning and "--encoding" in warning
    r = run_cli("check", str(p))
    assert r.returncode == 0, r.stderr
    assert "warning:" in r.stderr and "--encoding" in r.stderr and "cp1250" in r.stderr and "cp1252" in r.stderr
    r = run_cli("check", str(p), "--encoding", "cp1250", "--json")
    assert r.returncode == 0, r.stderr
    (report,) = json.loads(r.stdout)
    assert report["encoding"] == "cp1250" and report["warnings"] == [] and "warning:" not in r.stderr
    assert [e.plaintext for e in read_subtitles(p, encoding="cp1250").ssa] == cues

    out = tmp_path / "out.mkv"
    r = run_cli("mux", str(clip), str(p), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "warning:" in r.stderr and "--encoding" in r.stderr  # the delivery says it too
    forced = tmp_path / "forced.mkv"
    r = run_cli("mux", str(clip), str(p), "-o", str(forced), "--encoding", "cp1250")
    assert r.returncode == 0, r.stderr
    assert "warning:" not in r.stderr
    assert "Neće doći." in _extract(forced) and "Ćao!" in _extract(forced)


def test_encoding_applies_only_to_files_that_are_not_utf8(tmp_path: Path, clip: Path) -> None:
    legacy = tmp_path / "a.pl.srt"
    legacy.write_bytes(_srt(CENTRAL["pl"][:2]).encode("cp1250"))
    utf8 = tmp_path / "b.hu.srt"
    utf8.write_text(_srt(CENTRAL["hu"][:2]), encoding="utf-8")
    out = tmp_path / "both.mkv"
    r = run_cli("mux", str(clip), str(legacy), str(utf8), "-o", str(out), "--encoding", "cp1250")
    assert r.returncode == 0, r.stderr
    assert CENTRAL["pl"][0] in _extract(out, index=0)
    assert CENTRAL["hu"][0] in _extract(out, index=1)


def test_unknown_or_wrong_encoding(tmp_path: Path, clip: Path) -> None:
    p = tmp_path / "x.fr.srt"
    p.write_bytes(_srt(WESTERN["fr"]).encode("cp1252"))
    for command in (["check", str(p)], ["mux", str(clip), str(p), "-o", str(tmp_path / "o.mkv")],
                    ["burn", str(clip), str(p), "-o", str(tmp_path / "o.mp4")]):
        r = run_cli(*command, "--encoding", "klingon-8")
        assert r.returncode == 2, r.stderr
        assert "unknown encoding 'klingon-8'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        r = run_cli(*command, "--encoding", "base64")  # a codec, but not a text encoding
        assert r.returncode == 2 and "unknown encoding 'base64'" in r.stderr
    assert not (tmp_path / "o.mkv").exists() and not (tmp_path / "o.mp4").exists()
    # bytes the named encoding cannot decode: the file is refused, with the offset
    r = run_cli("check", str(p), "--encoding", "shift_jis")
    assert r.returncode == 3 and "is not shift_jis text" in r.stderr
