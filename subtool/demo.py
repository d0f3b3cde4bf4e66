"""``python -m subtool.demo``: what ``make demo`` runs.

``subtool run`` on the repository's English sample with the embedded offline engine (no key, no
network) and the ``mkv-multi`` mux preset, into ``demo-output/``; then it says where the
subtitled video and the sidecars are, and what the video now carries.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "talk.mp4"
OUT = ROOT / "demo-output"


def main() -> int:
    exe = Path(sys.executable).parent / "subtool"
    if OUT.exists():
        shutil.rmtree(OUT)
    env = {k: v for k, v in os.environ.items() if k not in ("GLADIA_API_KEY", "GLADIA_API_URL")}
    cmd = [str(exe), "run", str(SAMPLE), "--engine", "local", "-l", "en", "--format", "srt,vtt", "--mux", "mkv-multi", "-d", str(OUT), "--json"]
    print("$ subtool run samples/talk.mp4 --engine local -l en --format srt,vtt --mux mkv-multi -d demo-output --json", file=sys.stderr)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, env=env, text=True)
    if proc.returncode != 0:
        return proc.returncode
    result = json.loads(proc.stdout)["results"][0]
    print()
    print(f"engine: {result['engine']}   spoken language: {result['language']}")
    print(f"subtitled video: {result['output']}")
    for path in result["files"]:
        print(f"sidecar:         {path}")
    streams = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", f"file:{result['output']}"],
            capture_output=True, text=True, check=True,
        ).stdout
    )["streams"]
    for s in streams:
        tags = s.get("tags", {})
        print(f"  stream #{s['index']}: {s['codec_type']:<8} {s['codec_name']:<8} {tags.get('language', ''):<4} {tags.get('title', '')}")
    srt = next(p for p in result["files"] if p.endswith(".srt"))
    print("\nfirst cues of", Path(srt).name)
    print("\n".join(Path(srt).read_text(encoding="utf-8").splitlines()[:8]))
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result["timings"].items())
    print(f"\ntimings: {timings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
