"""The Gladia emulator: start-up, one job end to end, upload throughput, 20 concurrent jobs.

Anchors: a bare ``python -c pass`` for start-up, ``ffprobe`` of the same file for a job (the
emulator probes and decodes it), a local file copy for upload throughput.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time

from harness import ROOT, WORK, median, record, run_cmd, timed

sys.path.insert(0, str(ROOT))
from gladiaio_sdk import GladiaClient

from subtool.testing.gladia import EmulatorProcess


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def main() -> None:
    WORK.mkdir(exist_ok=True)
    talk = WORK / "emu-talk.opus"
    big = WORK / "emu-big.wav"
    ffmpeg("-i", str(ROOT / "samples/talk.mp4"), "-vn", "-ac", "1", "-ar", "16000", "-c:a", "libopus", "-b:a", "24k", str(talk))
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=r=16000:a=0.05:seed=7", "-t", "1500", "-ac", "1", str(big))

    python = [median(timed(lambda: run_cmd([sys.executable, "-c", "pass"]), repeat=5))]
    starts: list[float] = []
    for _ in range(5):
        t0 = time.perf_counter()
        emu = EmulatorProcess().start()
        starts.append(time.perf_counter() - t0)
        emu.stop()

    probe = median(timed(lambda: run_cmd(["ffprobe", "-v", "error", "-show_format", str(talk)]), repeat=5))
    with EmulatorProcess() as emu:
        c = GladiaClient(api_key="k", api_url=emu.url).prerecorded()
        c.transcribe(str(talk), {}, interval=0.02)  # the sample fingerprints are ready after this
        job = median(timed(lambda: c.transcribe(str(talk), {"subtitles": True, "translation": True,
                                                                "translation_config": {"target_languages": ["fr"]}}, interval=0.02), repeat=5))
        size = big.stat().st_size
        upload = median(timed(lambda: c.upload_file(str(big)), repeat=3))
        copy = median(timed(lambda: shutil.copyfile(big, WORK / "emu-copy.wav"), repeat=3))

        async def many() -> float:
            ac = GladiaClient(api_key="k", api_url=emu.url).prerecorded_async()
            t0 = time.perf_counter()
            await asyncio.gather(*(ac.transcribe(str(talk), {}, interval=0.05) for _ in range(20)))
            return time.perf_counter() - t0

        emu.reset()
        emu.fault(latency=1.0)
        wall = asyncio.run(many())
        peak = emu.stats()["max_concurrent_jobs"]
    (WORK / "emu-copy.wav").unlink(missing_ok=True)

    record(
        "Gladia emulator",
        f"""| what | emulator | anchor | ratio |
| --- | --- | --- | --- |
| start-up to the URL line (median of 5) | {median(starts) * 1000:.0f} ms | `python -c pass` {python[0] * 1000:.0f} ms | {median(starts) / python[0]:.1f}× |
| one job, talk.opus (14 s), upload + create + poll to done, subtitles + 1 translation, latency 0 (median of 5) | {job * 1000:.0f} ms | ffprobe of the file {probe * 1000:.0f} ms | {job / probe:.1f}× |
| upload of a {size / 2**20:.0f} MB WAV through the SDK (median of 3) | {size / 2**20 / upload:.0f} MB/s | local file copy {size / 2**20 / copy:.0f} MB/s | {upload / copy:.1f}× the copy time |
| 20 concurrent `transcribe()` (async SDK), latency 1 s | {wall:.2f} s wall, peak {peak} jobs at once | 1 s latency | {wall:.1f}× |
""",
    )


if __name__ == "__main__":
    main()
