"""The batch as a user watches it in a 120-column terminal: a live table of the running items'
stages under the overall bar, then the items with paths relative to the manifest and every
output name whole; the same status word in the table, the summary and --json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SAMPLES, run_cli
from test_progress import ANSI, run_in_terminal, screen_at_end

from subtool.testing.gladia import EmulatorProcess

LONG = "episode-{n:02d}-the-long-and-winding-title-of-the-show"


def test_batch_table_at_120_columns(tmp_path: Path) -> None:
    footage = tmp_path / "footage" / "season-one"
    footage.mkdir(parents=True)
    names = [LONG.format(n=n) for n in (1, 2)]
    for name in names:
        shutil.copyfile(SAMPLES / "memo.mp3", footage / f"{name}.mp3")
    manifest = tmp_path / "episodes.csv"
    manifest.write_text("input,translate,delivery,outdir\n" + "".join(f"footage/season-one/{n}.mp3,fr,sidecars,out/\n" for n in names),
                        encoding="utf-8")
    with EmulatorProcess(latency=2.0) as emu:
        env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emu.url}
        code, raw = run_in_terminal(["batch", str(manifest)], env, tmp_path, columns=120)
        screen = [line for line in screen_at_end(raw, columns=120) if line.strip()]
        text = ANSI.sub("", raw.decode("utf-8", errors="replace"))
        assert code == 0, "\n".join(screen)
        # While it ran: each running item with its stage, under the bar.
        assert "processing at the service" in text and f"footage/season-one/{names[0]}.mp3" in text
        # At the end: the outputs whole on a line each, relative to the manifest; no job id without -v.
        for name in names:
            for lang in ("en", "fr"):
                assert any(f"out/{name}.{lang}.srt" in line for line in screen), "\n".join(screen)
        assert not any(str(tmp_path) in line for line in screen[:-1]), "\n".join(screen)
        assert "job id" not in "\n".join(screen)
        assert any("2 done, 0 skipped (done by an earlier run), 0 failed" in line for line in screen), screen
        # Run again: the same word in the table, the summary and the JSON report.
        code, raw = run_in_terminal(["batch", str(manifest), "--resume"], env, tmp_path, columns=120)
        screen = [line for line in screen_at_end(raw, columns=120) if line.strip()]
        assert code == 0 and sum(" skipped " in line and "state" not in line for line in screen) == 2, screen
        assert any("0 done, 2 skipped (done by an earlier run)" in line for line in screen), screen
        doc = json.loads(run_cli("batch", str(manifest), "--resume", "--json", env=env).stdout)
        assert [i["status"] for i in doc["items"]] == ["skipped", "skipped"] and doc["counts"]["skipped"] == 2
