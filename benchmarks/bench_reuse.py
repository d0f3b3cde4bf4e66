"""Reuse before paying (``--reuse``): a 10-item batch against the emulator where half the wanted
languages already exist, run with and without reuse; the jobs created, the audio minutes sent and
the translation targets requested (read back from each job's request at the emulator).

Every item is talk.mp4 (15.8 s of speech) as an MKV, asked for ``-l en -t fr,de`` (30 wanted
languages). Two ways of holding half of them:

- whole items: items 0-4 carry an English track and lie beside ``<stem>.fr.srt`` and
  ``<stem>.de.srt``; items 5-9 have nothing (15 of 30);
- spread: every item carries an English track, items 0-4 also a French sidecar (15 of 30).

The goal is to pay only for what is missing. A translation needs the transcription of the audio,
so an item missing any language still sends its whole audio: the audio minutes fall only with the
items that are complete. ``--no-cache`` on both runs (the same audio would be a cache hit).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import ROOT, WORK, record

ITEMS = 10
SUBTOOL = str(Path(sys.executable).parent / "subtool")
EN = "1\n00:00:00,500 --> 00:00:03,000\nAn English track already in the file.\n"
FR = "1\n00:00:00,500 --> 00:00:03,000\nUn sous-titre français déjà là.\n"
DE = "1\n00:00:00,500 --> 00:00:03,000\nEin deutscher Untertitel, schon da.\n"


def make_items(folder: Path, layout: str) -> Path:
    """The items and their manifest (input, languages, translate, delivery)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "en.srt").write_text(EN, encoding="utf-8")
    plain, tracked = folder / "plain.mkv", folder / "tracked.mkv"
    talk = str(ROOT / "samples" / "talk.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-i", talk, "-c", "copy", str(plain)], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", talk, "-i", str(folder / "en.srt"), "-map", "0", "-map", "1", "-c", "copy",
                    "-metadata:s:s:0", "language=eng", str(tracked)], check=True)
    rows = []
    for i in range(ITEMS):
        name = folder / f"ep{i:02d}.mkv"
        has_en = layout == "spread" or i < ITEMS // 2
        shutil.copyfile(tracked if has_en else plain, name)  # copies, not links: each its own input
        if i < ITEMS // 2:
            (folder / f"ep{i:02d}.fr.srt").write_text(FR, encoding="utf-8")
            if layout == "whole":
                (folder / f"ep{i:02d}.de.srt").write_text(DE, encoding="utf-8")
        rows.append({"input": name.name, "languages": "en", "translate": "fr,de", "delivery": "sidecars", "outdir": f"out-{name.stem}"})
    manifest = folder / "episodes.csv"
    with manifest.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def one_batch(manifest: Path, reuse: bool, emu: object, env: dict[str, str]) -> dict[str, float]:
    """Jobs, audio minutes and translation targets of one batch (its outputs and state removed first)."""
    folder = manifest.parent
    for p in folder.glob("out-*"):
        shutil.rmtree(p)
    for p in folder.glob("*.subtool-batch*"):
        p.unlink()
    flag = "--reuse" if reuse else "--no-reuse"
    dry = subprocess.run([SUBTOOL, "batch", str(manifest), flag, "--no-cache", "--dry-run", "--json"], capture_output=True, text=True, env=env)
    assert dry.returncode == 0, dry.stderr
    plans = json.loads(dry.stdout)["inputs"]
    before = emu.stats()["jobs_created"]  # type: ignore[attr-defined]
    state = folder / f"state-{flag}.sqlite"
    state.unlink(missing_ok=True)
    done = subprocess.run([SUBTOOL, "batch", str(manifest), flag, "--no-cache", "--state", str(state), "--report", str(folder / "report.json")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    jobs = emu.stats()["jobs_created"] - before  # type: ignore[attr-defined]
    targets = 0
    for out in folder.glob("out-*/*.transcript.json"):
        for job_id in json.loads(out.read_text(encoding="utf-8"))["job_ids"]:
            got = subprocess.run([SUBTOOL, "jobs", "get", job_id, "--json"], capture_output=True, text=True, env=env, check=True)
            targets += len(json.loads(got.stdout)["request_params"].get("translation_config", {}).get("target_languages") or [])
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    reused = sum(len(item.get("reused") or {}) for item in report["items"])
    assert jobs == sum(p["jobs"] for p in plans), (jobs, [p["jobs"] for p in plans])  # the dry run said it
    return {"jobs": jobs, "minutes": sum(p["minutes_to_send"] or 0 for p in plans), "targets": targets, "reused": reused}


def main() -> None:
    from subtool.testing.gladia import EmulatorProcess

    work = WORK / "reuse"
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    rows = []
    with EmulatorProcess() as emu:
        env.update({"GLADIA_API_KEY": "bench", "GLADIA_API_URL": emu.url})
        for layout, what in (("whole", "whole items (5 of 10 have all 3 languages)"), ("spread", "spread (every item has en, 5 have fr)")):
            manifest = make_items(work / layout, layout)
            off = one_batch(manifest, False, emu, env)
            on = one_batch(manifest, True, emu, env)
            rows.append((what, off, on))
    shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    lines = [
        f"A {ITEMS}-item batch (`subtool batch`, sidecars, `-l en -t fr,de`: 30 wanted languages, 15 already there) against the "
        "emulator, `--no-reuse` then `--reuse` (the default). Jobs counted by the emulator; audio minutes from the batch's dry run "
        f"(which agreed with the jobs made); translation targets read back from each job's request. Load average {load:.1f} (2 cores, shared).",
        "",
        "| half the languages held as | jobs: no reuse / reuse | audio minutes sent | translation targets sent | languages reused |",
        "| --- | --- | --- | --- | --- |",
    ]
    for what, off, on in rows:
        lines.append(f"| {what} | {off['jobs']:.0f} / {on['jobs']:.0f} ({on['jobs'] / off['jobs']:.2f}x) | "
                     f"{off['minutes']:.2f} / {on['minutes']:.2f} ({on['minutes'] / off['minutes']:.2f}x) | "
                     f"{off['targets']:.0f} / {on['targets']:.0f} ({on['targets'] / off['targets']:.2f}x) | {off['reused']:.0f} / {on['reused']:.0f} |")
    lines += [
        "",
        "Goal: pay only for the missing languages. Met for whole items (half the jobs and half the audio minutes; a complete item "
        "makes no job at all). Where every item misses something, only the translation targets fall: a translation is made from the "
        "transcription, so each such item still sends its whole audio once (no job is made for a language that exists).",
    ]
    record("Reuse", "\n".join(lines))


if __name__ == "__main__":
    main()
