"""Downloads that would never end: a server that streams without end, one that trickles, and a
SIGTERM in the middle. Each stops with one line (exit 3, or 143 for the signal) and leaves nothing
in the output folder or the temporary folder. The servers run on loopback, started here."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import SUBTOOL, run_cli

from subtool import sources
from subtool.errors import SourceError

pytestmark = pytest.mark.timeout(180)


@dataclass
class Server:
    base: str
    sent: dict[str, int] = field(default_factory=dict)  # bytes of body sent per path (downloads only)
    open: int = 0  # connections to silent.mp4 the client has not hung up yet
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


def _handler(server: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection does: no length announced

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.headers.get("Icy-MetaData"):
                # ffprobe's look at the header (ffmpeg's HTTP client asks for Icy metadata; its
                # user agent is yt-dlp's): nothing to see, the duration stays unknown.
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = self.path.split("?")[0]
            if path == "/silent.mp4":
                # A few bytes, then silence on an open connection, until the client hangs up.
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.end_headers()
                self.wfile.write(b"\0" * 1024)
                self.wfile.flush()
                with server.lock:
                    server.open += 1
                try:
                    while self.connection.recv(1):
                        pass
                except OSError:
                    pass
                with server.lock:
                    server.open -= 1
                return
            if path == "/announced.html":
                # A page that announces its video's size (schema.org's contentSize), then serves
                # an endless stream.
                page = (
                    '<html><head><title>Announced</title><script type="application/ld+json">{"@context": "https://schema.org", "@type": "VideoObject", '
                    f'"name": "Announced", "contentUrl": "{server.base}/endless.mp4", "contentSize": "1000000"}}</script></head></html>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.end_headers()
            # endless.mp4: as fast as the client reads; slow.mp4: 64 KB every 20 ms, without end;
            # trickle.mp4: 16 bytes every 0.2 s.
            piece, pause = {"/endless.mp4": (b"\0" * 65536, 0.0), "/slow.mp4": (b"\0" * 65536, 0.02), "/trickle.mp4": (b"\0" * 16, 0.2)}[path]
            # Endless as far as any limit under test goes; capped, so that a client without
            # limits (the code before them) cannot fill the test machine's disk.
            deadline, cap = time.monotonic() + 120, 200_000_000
            try:
                while time.monotonic() < deadline and server.sent.get(path, 0) < cap:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    server.sent[path] = server.sent.get(path, 0) + len(piece)
                    if pause:
                        time.sleep(pause)
            except OSError:
                return

    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server("")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(s))
    httpd.daemon_threads = True
    s.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield s
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def tmpdir_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A TMPDIR of the test's own, to see what a run leaves there."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    return folder, {"TMPDIR": str(folder)}


def leftovers(*folders: Path) -> list[str]:
    return sorted(str(p) for folder in folders if folder.exists() for p in folder.rglob("*"))


def test_library_download_stops_at_max_bytes(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "out"
    url = server.url("endless.mp4")
    with pytest.raises(SourceError) as caught:
        sources.download(url, out, max_bytes=3_000_000, retries=0)
    line = caught.value.line()
    assert caught.value.exit_code == 3
    assert line.startswith(f"{url}: the download passed the --max-download limit of 3.0 MB; stopped")
    assert "--max-download SIZE" in line
    # Stopped near the limit: what the server sent also counts the kernel's socket buffers (a few
    # MB per connection) and the metadata request's; far below the 200 MB a client without
    # limits takes.
    assert server.sent["/endless.mp4"] < 50_000_000
    assert leftovers(out) == []


def test_download_stops_well_past_the_size_the_site_announced(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "out"
    info = sources.inspect(server.url("announced.html"))
    assert (info.raw or {}).get("filesize") == 1_000_000
    with pytest.raises(SourceError) as caught:
        sources.download(info, out, retries=0)  # far below the default --max-download
    line = caught.value.line()
    assert line.startswith(f"{server.url('announced.html')}: the download passed ")
    assert "far more than the 1.0 MB the site announced; stopped" in line
    assert server.sent["/endless.mp4"] < 60_000_000
    assert leftovers(out) == []


def test_a_stalled_download_lets_go_of_its_connection(server: Server, tmp_path: Path) -> None:
    # A server gone silent on an open connection: the stall is said, and the download is really
    # over (its connection closed, nothing left writing), not left blocked in a read until its
    # socket timeout (here 120 s) runs out.
    out = tmp_path / "out"
    url = server.url("silent.mp4")
    with pytest.raises(SourceError) as caught:
        sources.download(url, out, retries=0, timeout=120, stall_timeout=2)
    assert caught.value.line().startswith(f"{url}: the download stalled: less than 64 KB arrived in 2 s")
    deadline = time.monotonic() + 30
    while server.open:
        assert time.monotonic() < deadline, "the stalled download still holds its connection"
        time.sleep(0.05)
    assert leftovers(out) == []


def test_run_stops_an_endless_download_at_max_download(server: Server, tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]]) -> None:
    tmpdir, env = tmpdir_env
    out = tmp_path / "out"
    url = server.url("endless.mp4")
    r = run_cli("run", url, "--engine", "local", "--mux", "mkv-multi", "-d", str(out), "--max-download", "4M", env=env)
    assert r.returncode == 3, r.stderr
    assert f"{url}: the download passed the --max-download limit of 4.0 MB; stopped" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert leftovers(out, tmpdir) == []  # not even the output folder it made for the download
    r = run_cli("run", url, "--max-download", "lots", "-d", str(out))
    assert r.returncode == 2 and "'lots' is not a size" in r.stderr


def test_batch_item_with_an_endless_download_fails_alone(server: Server, tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]]) -> None:
    tmpdir, env = tmpdir_env
    out = tmp_path / "out"
    r = run_cli(
        "batch", server.url("endless.mp4"), "--engine", "local", "--sidecars-only", "-d", str(out), "--max-download", "2M", "--json", env=env
    )
    assert r.returncode == 1, r.stderr
    import json

    [item] = json.loads(r.stdout)["items"]
    assert item["status"] == "failed" and item["exit_code"] == 3
    assert "the download passed the --max-download limit of 2.0 MB" in item["error"]
    assert leftovers(tmpdir) == []
    assert [p.name for p in out.iterdir()] == [".subtool-batch.sqlite"]


def test_transcribe_gives_up_on_a_trickle(server: Server, tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]]) -> None:
    tmpdir, env = tmpdir_env
    out = tmp_path / "out"
    url = server.url("trickle.mp4")
    t0 = time.monotonic()
    r = run_cli("transcribe", url, "--engine", "local", "-d", str(out), env={**env, "SUBTOOL_DOWNLOAD_STALL_TIMEOUT": "2"})
    assert r.returncode == 3, r.stderr
    assert f"{url}: the download stalled: less than 64 KB arrived in 2 s" in r.stderr
    assert "Check the network" in r.stderr and "Traceback" not in r.stderr
    assert time.monotonic() - t0 < 60  # not the hours a trickle used to take
    assert leftovers(out, tmpdir) == []
    r = run_cli("transcribe", url, "--engine", "local", "-d", str(out), env={"SUBTOOL_DOWNLOAD_STALL_TIMEOUT": "soon"})
    assert r.returncode == 2 and "SUBTOOL_DOWNLOAD_STALL_TIMEOUT='soon' is not a number of seconds" in r.stderr


def test_sigterm_mid_download_leaves_nothing(server: Server, tmp_path: Path, tmpdir_env: tuple[Path, dict[str, str]]) -> None:
    tmpdir, env = tmpdir_env
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [SUBTOOL, "run", server.url("slow.mp4"), "--engine", "local", "--mux", "mkv-multi", "-d", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env},
    )
    try:
        deadline = time.monotonic() + 60
        # The download is under way: its .part file, in the output folder (not in TMPDIR), grows.
        while not any(p.name.endswith(".part") and p.stat().st_size > 1_000_000 for p in out.rglob("*") if p.is_file()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
        assert leftovers(tmpdir) == []
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr  # 128 + SIGTERM
    assert "download interrupted" in stderr and "Traceback" not in stderr
    assert leftovers(out, tmpdir) == []
