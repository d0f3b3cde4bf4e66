"""Split: a 2-hour programme sent as one job against split across 3 and 25 job slots, side by side
in one run against the emulator at the service's measured pace (17.6% of the audio's duration per
job, 3 s at least): wall time to subtitles, the time spent cutting and encoding the pieces against
one extraction of the whole audio, and the bytes sent.

Run: ``python -m benchmarks split``. The programme (tiny picture, AAC 128k stereo 48 kHz, espeak-ng
speech of varied sentences with pauses) is made in bench-work/ and kept there for the next run.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import WORK, record
from subtool.engines.gladia.engine import GladiaEngine
from subtool.engines.jobs import MemoryJournal
from subtool.flow import pieces
from subtool.flow.sending import choose_layout
from subtool.media.audio import extract_audio
from subtool.media.probe import probe
from subtool.models import Hooks, TranscribeOptions

KEY = "bench-key"
RATIO, MINIMUM = 0.176, 3.0
SEGMENT_SENTENCES = 125  # about 10 minutes of speech, repeated 12 times


def sentences(count: int) -> str:
    adjectives = "quiet bright early heavy narrow golden silent distant careful gentle sudden ancient".split()
    nouns = "editor camera window river garden letter station market teacher engine mirror harbour".split()
    verbs = "checks moves paints carries finds opens watches follows repairs describes".split()
    return "<speak>" + " ".join(
        f"Scene {n}. The {adjectives[n % 12]} {nouns[n * 5 % 12]} {verbs[n * 7 % 10]} the {nouns[(n * 11 + 3) % 12]}."
        + ('<break time="900ms"/>' if n % 2 else "") for n in range(1, count + 1)) + "</speak>"


def make_programme() -> Path:
    """Two hours: a 10-minute segment (espeak-ng speech, a pause of about a second every other
    sentence; a 64x36 picture at 1 fps; AAC 128k stereo 48 kHz) joined 12 times without re-encoding."""
    WORK.mkdir(exist_ok=True)
    out = WORK / "split-2h.mp4"
    if out.exists():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        text, wav, segment = Path(tmp) / "s.xml", Path(tmp) / "s.wav", Path(tmp) / "segment.mp4"
        text.write_text(sentences(SEGMENT_SENTENCES))
        subprocess.run(["espeak-ng", "-m", "-v", "en-us", "-s", "160", "-f", str(text), "-w", str(wav)], check=True)
        length = float(probe(wav).duration or 0)
        pad = 600.0 - length
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=64x36:r=1", "-i", str(wav),
                        "-filter_complex", f"[1:a]apad=pad_dur={max(pad, 0.5):.3f},aresample=48000,aformat=channel_layouts=stereo[a]",
                        "-map", "0:v", "-map", "[a]", "-t", "600", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "128k",
                        str(segment)], check=True)
        listing = Path(tmp) / "list.txt"
        listing.write_text(f"file '{segment}'\n" * 12)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
                        "-movflags", "+faststart", str(out)], check=True)
    return out


def children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def measure_cutting(programme: Path, free: int) -> dict[str, float]:
    """The stage's cutting on its own: the layout for ``free`` slots (its look for silences), then
    every piece encoded from the input, as many at once as there are cores, in order."""
    info = probe(programme)
    source = pieces.Source(programme, info, None, float(info.duration or 0))
    engine = GladiaEngine(api_key=KEY, api_url=f"http://127.0.0.1:9/{free}", max_jobs=free)
    cpu, t0 = children_cpu(), time.perf_counter()
    layout = choose_layout(engine, source, TranscribeOptions(), MemoryJournal(), engine.new_run(), Hooks())
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        paths = [path for path, _start in pool.map(lambda i: pieces.cut(source, layout.spans[i], i, Path(tmp)), range(layout.count))]
        size = sum(p.stat().st_size for p in paths)
    return {"pieces": layout.count, "wall": time.perf_counter() - t0, "cpu": children_cpu() - cpu, "bytes": size}


def measure_extraction(programme: Path) -> dict[str, float]:
    cpu, t0 = children_cpu(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        size = extract_audio(programme, Path(tmp) / "audio.ogg").stat().st_size
    return {"wall": time.perf_counter() - t0, "cpu": children_cpu() - cpu, "bytes": size}


def run(programme: Path, env: dict[str, str], out: Path, *args: str) -> dict[str, Any]:
    subtool = str(Path(sys.executable).parent / "subtool")
    t0 = time.perf_counter()
    done = subprocess.run([subtool, "transcribe", str(programme), "-d", str(out), "--json", "--no-cache", "--engine", "gladia", *args],
                          env=env, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)["results"][0]
    result["wall"] = time.perf_counter() - t0
    return result


def main() -> None:
    from subtool.testing.gladia import EmulatorProcess

    programme = make_programme()
    duration = float(probe(programme).duration or 0)
    load_before = os.getloadavg()[0]
    extraction = measure_extraction(programme)
    cuts = {free: measure_cutting(programme, free) for free in (3, 25)}
    runs: dict[str, dict[str, Any]] = {}
    with EmulatorProcess(keys=[KEY], latency_ratio=RATIO, min_latency=MINIMUM) as emu, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GLADIA_API_KEY": KEY, "GLADIA_API_URL": emu.url, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        for name, args in (("one job", ["--split", "off"]), ("3 slots", ["--max-jobs", "3"]), ("25 slots", ["--max-jobs", "25"]),
                           ("3 slots, -l en", ["--max-jobs", "3", "-l", "en"]), ("25 slots, -l en", ["--max-jobs", "25", "-l", "en"])):
            emu.reset()
            runs[name] = run(programme, env, Path(tmp) / name.replace(" ", "-"), *args)
            runs[name]["sent"] = emu.stats()["upload_bytes"]
            runs[name]["jobs"] = emu.stats()["jobs_created"]
            print(name, round(runs[name]["wall"], 1), runs[name]["jobs"], runs[name]["timings"], flush=True)
    load_after = os.getloadavg()[0]
    record("Split", report(duration, extraction, cuts, runs, load_before, load_after))


def report(duration: float, extraction: dict[str, float], cuts: dict[int, dict[str, float]], runs: dict[str, dict[str, Any]],
           load_before: float, load_after: float) -> str:
    one = runs["one job"]
    rows = ["| case | jobs | wall to subtitles | vs one job | cutting + encoding (in the run) | bytes sent | vs one job |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in runs.items():
        rows.append(f"| {name} | {r['jobs']} | {r['wall']:.0f} s | {r['wall'] / one['wall']:.2f}x | {r['timings'].get('audio', 0):.1f} s | "
                    f"{r['sent']:,} | {r['sent'] / one['sent']:.4f} |")
    cut_rows = ["| what | pieces | wall | vs one extraction | ffmpeg CPU | vs one extraction | bytes |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
                f"| one extraction of the whole audio (the anchor) | 1 | {extraction['wall']:.1f} s | 1.00x | {extraction['cpu']:.1f} s | 1.00x | "
                f"{extraction['bytes']:,} |"]
    for free, c in cuts.items():
        cut_rows.append(f"| silences near the cuts + the pieces encoded from the input, {free} slots free | {c['pieces']:.0f} | {c['wall']:.1f} s | "
                        f"{c['wall'] / extraction['wall']:.2f}x | {c['cpu']:.1f} s | {c['cpu'] / extraction['cpu']:.2f}x | {c['bytes']:,.0f} |")
    three, many = runs["3 slots"]["wall"] / one["wall"], runs["25 slots"]["wall"] / one["wall"]
    worst_cut = max(c["wall"] / extraction["wall"] for c in cuts.values())
    worst_bytes = max(abs(r["sent"] / one["sent"] - 1) for r in runs.values())
    return f"""Input: a {duration / 3600:.2f}-hour programme (espeak-ng speech, a pause of about a second every other sentence;
AAC 128k stereo 48 kHz; a 64x36 picture), `subtool transcribe --no-cache` (console script) against the emulator at
`--latency-ratio {RATIO} --min-latency {MINIMUM:g}` (the service's measured pace), every case one after the other in one run;
1-minute load average {load_before:.1f} before, {load_after:.1f} after (other work shared the 2 cores).
Without `-l` the language is left to detection: the first 5 minutes go alone, the rest when their language is known.

{chr(10).join(rows)}

{chr(10).join(cut_rows)}

- Wall time to subtitles: **{three:.2f}x** one job with 3 slots (goal <= 0.4x: {"met" if three <= 0.4 else "NOT met"}), **{many:.2f}x** with 25
  (goal <= 0.15x: {"met" if many <= 0.15 else "NOT met"}). The engine polls a job after a fifth of the time it has waited (30 s at most),
  so each wait ends up to that much after the job.
- Cutting and encoding: **{worst_cut:.2f}x** one extraction of the whole audio, wall time, the worse case (goal <= 1.1x:
  {"met" if worst_cut <= 1.1 else "NOT met"}); the pieces are encoded as many at once as there are cores, and only a minute around each
  cut is decoded to find its silence. In the runs the cutting overlaps the first jobs.
- Bytes sent: within **{worst_bytes:.2%}** of one job's (goal: equal within 1%: {"met" if worst_bytes <= 0.01 else "NOT met"}).
"""


if __name__ == "__main__":
    main()
