"""URL source stage on loopback: what yt-dlp costs on top of the transfer itself.

A ~20 MB MP4 (the talk sample looped, stream copy) is served by http.server on 127.0.0.1, then:
metadata (``sources.inspect``: yt-dlp's generic extractor + ffprobe of the header) against a bare
HTTP HEAD; ``sources.download`` against a plain ``urllib`` copy of the same bytes; and the import
of ``subtool.sources`` (yt-dlp loaded lazily) against ``import yt_dlp``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import ROOT, WORK, median, record, run_cmd, timed
from subtool import sources


def main() -> None:
    www = WORK / "sources"
    www.mkdir(parents=True, exist_ok=True)
    media = www / "long.mp4"
    if not media.exists():
        loop = ("-stream_loop", "100", "-i", str(ROOT / "samples" / "talk.mp4"), "-c", "copy", "-movflags", "+faststart")
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *loop, str(media)], check=True)
    size = media.stat().st_size

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # clients that read only a header hang up: expected

    shutil.copyfile(ROOT / "samples" / "talk.mp4", www / "talk.mp4")
    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/long.mp4"

    def head() -> None:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD")) as r:
            r.read()

    def plain_copy() -> None:
        with tempfile.TemporaryDirectory(dir=WORK) as d, urllib.request.urlopen(url) as r, open(Path(d) / "x.mp4", "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)

    def yt_download() -> None:
        with tempfile.TemporaryDirectory(dir=WORK) as d:
            sources.download(url, d)

    info = sources.inspect(url)
    small = sources.inspect(url.replace("long.mp4", "talk.mp4"))

    def yt_download_info(what: sources.SourceInfo) -> None:
        with tempfile.TemporaryDirectory(dir=WORK) as d:
            sources.download(what, d)

    sources.inspect(url)  # yt-dlp imported and its extractors loaded, as in a running `subtool run`
    t_head = timed(head, repeat=7)
    t_inspect = timed(lambda: sources.inspect(url), repeat=7)
    t_copy = timed(plain_copy, repeat=5)
    t_dl = timed(yt_download, repeat=5)
    t_dl_info = timed(lambda: yt_download_info(info), repeat=5)
    t_dl_small = timed(lambda: yt_download_info(small), repeat=5)
    server.shutdown()

    t_import_yt = [run_cmd([sys.executable, "-c", "import yt_dlp"]) for _ in range(7)]
    t_import_src = [run_cmd([sys.executable, "-c", "import subtool.sources"]) for _ in range(7)]
    t_import_ie = [run_cmd([sys.executable, "-c", "import yt_dlp; yt_dlp.YoutubeDL({'quiet': True})"]) for _ in range(7)]

    mb = size / 1e6
    h, i, c, d = median(t_head), median(t_inspect), median(t_copy), median(t_dl)
    di, ds = median(t_dl_info), median(t_dl_small)
    small_mb = (www / "talk.mp4").stat().st_size / 1e6
    record(
        "URL sources (yt-dlp on loopback)",
        f"""A {mb:.1f} MB MP4 served by `http.server` on 127.0.0.1; medians (7 runs for metadata, 5 for downloads).

| step | median | against its anchor |
|---|---|---|
| HTTP HEAD of the file (anchor) | {h * 1000:.1f} ms | 1.00 |
| `sources.inspect` (yt-dlp generic extractor + ffprobe of the header) | {i * 1000:.0f} ms | {i / h:.0f}x |
| plain `urllib` copy of the file (anchor) | {c * 1000:.0f} ms ({mb / c:.0f} MB/s) | 1.00 |
| `sources.download(url)` (yt-dlp, in the download's process, loads its extractors and extracts again, downloads, renames) | {d * 1000:.0f} ms ({mb / d:.0f} MB/s) | {d / c:.2f}x |
| `sources.download(info)` (metadata from `inspect`, no second extraction) | {di * 1000:.0f} ms ({mb / di:.0f} MB/s) | {di / c:.2f}x |
| `sources.download(info)` of the {small_mb:.1f} MB sample (fixed cost per download) | {ds * 1000:.0f} ms | |
| transfer rate net of the fixed cost | {(mb - small_mb) / max(di - ds, 1e-6):.0f} MB/s | |
| `python -c "import yt_dlp"` | {median(t_import_yt) * 1000:.0f} ms | |
| `python -c "import yt_dlp; YoutubeDL()"` | {median(t_import_ie) * 1000:.0f} ms | |
| `python -c "import subtool.sources"` (yt-dlp not loaded) | {median(t_import_src) * 1000:.0f} ms | |

The metadata step is a fixed cost per URL (yt-dlp's extractor machinery, one request, one ffprobe
of the header); a download adds a fixed cost (its own process, which imports Python and yt-dlp
again so that it can be stopped wherever it is; yt-dlp's set-up; the work folder) and then moves
bytes at the rate on the last table row. On a real network the transfer dominates. Loading yt-dlp
is paid only by commands that take a URL.""",
    )


if __name__ == "__main__":
    main()
