"""URLs through yt-dlp with no internet: a real HTTP server on loopback, started here, serving
real media made from the samples; yt-dlp's own generic extractor does the finding."""

from __future__ import annotations

import hashlib
import http.server
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import SAMPLES, default_signals

from subtool import sources
from subtool.errors import Interrupted, OutputExistsError, SourceError, UsageError

TITLE = "Réunion: Q1/Q2? ok"
SAFE_TITLE = "Réunion_ Q1_Q2_ ok"

TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".wav": "audio/wav", ".html": "text/html; charset=utf-8"}


@dataclass
class Hit:
    path: str
    range: str | None
    cookie: str | None
    sent: int = 0
    complete: bool = False


@dataclass
class Site:
    root: Path
    base: str
    hits: list[Hit] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def media_hits(self, name: str) -> list[Hit]:
        return [h for h in self.hits if h.path == f"/{name}"]


def _handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # A small send buffer: a client that reads only a header cannot leave megabytes
            # "sent" into the kernel's autotuned buffers, so bytes sent are bytes wanted.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, *, body: bool) -> None:
            hit = Hit(self.path, self.headers.get("Range"), self.headers.get("Cookie"))
            site.hits.append(hit)
            path = self.path.split("?")[0]
            drop = path.startswith("/drop/")  # sends half of the file, then hangs up
            slow = path.startswith("/slow/")  # trickles, so that a Ctrl-C lands mid-download
            if path == "/forbidden.mp4":
                self._status(403)
                return
            file = site.root / path.removeprefix("/drop/").removeprefix("/slow/").lstrip("/")
            if not file.is_file():
                self._status(403 if path.startswith("/signed/") else 404)  # an expired signed link
                return
            data = file.read_bytes()
            start, end, status = 0, len(data) - 1, 200
            if hit.range and hit.range.startswith("bytes=") and not drop:
                first, _, last = hit.range[6:].partition("-")
                start = int(first or 0)
                end = min(int(last), end) if last else end
                status = 206
            self.send_response(status)
            self.send_header("Content-Type", TYPES.get(file.suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Accept-Ranges", "none" if drop else "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            if drop:
                self.send_header("Connection", "close")
            self.end_headers()
            if not body:
                return
            chunk_end = start + (end - start + 1) // 2 if drop else end + 1
            try:
                for pos in range(start, chunk_end, 16384):
                    piece = data[pos : min(pos + 16384, chunk_end)]
                    self.wfile.write(piece)
                    hit.sent += len(piece)
                    if slow:
                        self.wfile.flush()
                        time.sleep(0.05)
                self.wfile.flush()
            except OSError:
                return
            if drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            hit.complete = True

        def _status(self, code: int) -> None:
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "talk.mp4").write_bytes((SAMPLES / "talk.mp4").read_bytes())
    (root / "page.html").write_text(
        f'<!doctype html><html><head><title>{TITLE}</title></head><body><video src="talk.mp4" controls></video></body></html>',
        encoding="utf-8",
    )
    (root / "two.html").write_text(
        '<html><head><title>Two talks</title></head><body><video src="talk.mp4"></video><video src="copy.mp4"></video></body></html>'
    )
    (root / "copy.mp4").write_bytes((SAMPLES / "talk.mp4").read_bytes())
    (root / "nothing.html").write_text("<html><head><title>No video here</title></head><body><p>text only</p></body></html>")
    s = Site(root, "")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(s))
    server.daemon_threads = True
    s.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield s
    server.shutdown()
    server.server_close()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    d = tmp_path / "out"
    d.mkdir()
    return d


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", *args], check=True)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_is_url() -> None:
    assert sources.is_url("https://www.youtube.com/watch?v=x")
    assert sources.is_url("HTTP://127.0.0.1:8080/a.mp4")
    assert not sources.is_url("talk.mp4")
    assert not sources.is_url("/tmp/talk.mp4")
    assert not sources.is_url("C:\\videos\\talk.mp4")
    assert not sources.is_url("ftp://host/a.mp4")
    assert not sources.is_url("https://")
    assert not sources.is_url("http://[::1")  # malformed, not an exception


def test_direct_media_url_metadata_and_identical_download(site: Site, out: Path, capfd: pytest.CaptureFixture[str]) -> None:
    info = sources.inspect(site.url("talk.mp4"))
    assert info.extractor == "Generic" and info.platform == "generic"
    assert info.direct_media_url == site.url("talk.mp4")
    assert not info.is_playlist and info.entries == []
    assert info.stem == "talk" and info.ext == "mp4"
    assert info.duration is not None and abs(info.duration - 15.8) < 0.5  # read from the header by ffprobe
    seen: list[tuple[float, float | None]] = []
    path = sources.download(info, out, prefer="mp4", on_progress=lambda done, total: seen.append((done, total)))
    assert path == out / "talk.mp4"
    assert _sha(path) == _sha(SAMPLES / "talk.mp4")
    assert sorted(p.name for p in out.iterdir()) == ["talk.mp4"]  # no work folder, no .part
    size = (SAMPLES / "talk.mp4").stat().st_size
    assert seen and seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert capfd.readouterr().out == ""  # yt-dlp printed nothing on stdout


def test_download_from_a_plain_url_string(site: Site, out: Path) -> None:
    path = sources.download(site.url("talk.mp4"), out, prefer="any")
    assert path == out / "talk.mp4" and _sha(path) == _sha(SAMPLES / "talk.mp4")


def test_html_page_with_video_tag_titled_from_title_safely_named(site: Site, out: Path) -> None:
    info = sources.inspect(site.url("page.html"))
    assert not info.is_playlist
    assert info.title == TITLE
    assert info.stem == SAFE_TITLE
    assert info.direct_media_url is None and info.webpage_url == site.url("page.html")
    assert info.duration is not None and abs(info.duration - 15.8) < 0.5
    path = sources.download(info, out, prefer="mkv")
    assert path.name == f"{SAFE_TITLE}.mp4"
    assert _sha(path) == _sha(SAMPLES / "talk.mp4")
    assert [p.name for p in out.iterdir()] == [path.name]


def test_format_chosen_for_the_delivery_without_reencoding(site: Site, out: Path) -> None:
    # The same talk offered as WebM (VP9/Opus) and MP4 (H.264/AAC): each delivery gets its own
    # container's file, byte for byte as served.
    webm = site.root / "talk.webm"
    vp9_opus = ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "100k", "-c:a", "libopus", "-b:a", "24k")
    _ffmpeg("-i", str(SAMPLES / "talk.mp4"), "-t", "3", *vp9_opus, str(webm))
    (site.root / "both.html").write_text(
        "<html><head><title>Both</title></head><body><video controls>"
        '<source src="talk.webm" type="video/webm; codecs=vp9,opus">'
        '<source src="talk.mp4" type="video/mp4; codecs=avc1.42E01E,mp4a.40.2">'
        "</video></body></html>"
    )
    info = sources.inspect(site.url("both.html"))
    assert {f["ext"] for f in (info.raw or {})["formats"]} == {"mp4", "webm"}
    as_mp4 = sources.download(info, out / "mp4", prefer="mp4")
    as_webm = sources.download(info, out / "webm", prefer="webm")
    assert (as_mp4.name, as_webm.name) == ("Both.mp4", "Both.webm")
    assert _sha(as_mp4) == _sha(SAMPLES / "talk.mp4")
    assert _sha(as_webm) == _sha(webm)
    audio = sources.download(info, out / "audio", prefer="webm", audio_only=True)
    assert _sha(audio) == _sha(webm)  # the only audio on offer comes muxed with video: taken as is


def test_unreachable_host_is_one_clear_line(out: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/talk.mp4"
    with pytest.raises(SourceError) as caught:
        sources.inspect(url, timeout=5, retries=0)
    err = caught.value
    assert err.exit_code == 3
    assert err.line().startswith(f"{url}: cannot reach the host")
    assert "\n" not in err.line() and "Traceback" not in err.line()
    with pytest.raises(SourceError, match="cannot reach the host"):
        sources.download(url, out, timeout=5, retries=0)
    assert list(out.iterdir()) == []


def test_host_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # connections are accepted by the kernel, never answered
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/talk.mp4"
        with pytest.raises(SourceError) as caught:
            sources.inspect(url, timeout=1, retries=0)
    assert caught.value.line() == f"{url}: the site did not answer in time. Check the network, or try again later"


def test_login_required_message_from_yt_dlp_suggests_cookies() -> None:
    # The error a platform extractor raises for a members-only video, built by yt-dlp's own class.
    from yt_dlp.utils import DownloadError, ExtractorError

    try:
        raise ExtractorError("This video is only available for registered users. Use --cookies for the authentication", expected=True)
    except ExtractorError as inner:
        wrapped = DownloadError(f"ERROR: [vimeo] 123: {inner.orig_msg}", sys.exc_info())
    err = sources._source_error("https://vimeo.com/123", wrapped)
    assert err.exit_code == 3
    assert err.line().startswith("https://vimeo.com/123: login required (This video is only available for registered users")
    assert err.line().endswith("Pass --cookies FILE (cookies.txt exported from a browser where you are logged in)")


def test_page_without_video_is_no_video_found(site: Site) -> None:
    with pytest.raises(SourceError) as caught:
        sources.inspect(site.url("nothing.html"))
    assert caught.value.exit_code == 3
    assert caught.value.line().startswith(f"{site.url('nothing.html')}: no video found")


def test_not_found_and_forbidden(site: Site) -> None:
    with pytest.raises(SourceError, match=r"not found \(HTTP 404\)"):
        sources.inspect(site.url("gone.mp4"), retries=0)
    with pytest.raises(SourceError) as caught:
        sources.inspect(site.url("forbidden.mp4"), retries=0)
    assert "HTTP 403" in caught.value.line() and "--cookies FILE" in caught.value.line()


def test_not_a_url() -> None:
    with pytest.raises(SourceError, match="not an http"):
        sources.inspect("talk.mp4")


def test_connection_dropped_half_way_leaves_nothing(site: Site, out: Path) -> None:
    url = site.url("drop/talk.mp4")
    with pytest.raises(SourceError) as caught:
        sources.download(url, out, retries=1, timeout=5)
    assert caught.value.exit_code == 3
    assert caught.value.line().startswith(f"{url}: ")
    hits = site.media_hits("drop/talk.mp4")
    assert hits and all(0 < h.sent < (SAMPLES / "talk.mp4").stat().st_size for h in hits if h.sent)
    assert list(out.iterdir()) == []  # no .part, no work folder, no half file


def test_cancel_from_progress_leaves_nothing(site: Site, out: Path) -> None:
    cancel = threading.Event()
    calls: list[float] = []

    def progress(done: float, total: float | None) -> None:
        calls.append(done)
        cancel.set()

    with pytest.raises(Interrupted) as caught:
        sources.download(site.url("talk.mp4"), out, on_progress=progress, cancel=cancel)
    assert caught.value.exit_code == 130
    assert len(calls) == 1
    assert list(out.iterdir()) == []


def test_ctrl_c_during_download_leaves_nothing(site: Site, out: Path) -> None:
    def progress(done: float, total: float | None) -> None:
        if done > 10_000:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted):
        sources.download(site.url("talk.mp4"), out, on_progress=progress)
    assert list(out.iterdir()) == []


def test_real_sigint_in_a_child_process_leaves_nothing(site: Site, out: Path) -> None:
    url = site.url("slow/talk.mp4")
    code = (
        "import sys\n"
        "from subtool import sources\n"
        "from subtool.errors import Interrupted\n"
        "try:\n"
        f"    sources.download({url!r}, {str(out)!r})\n"
        "except Interrupted as exc:\n"
        "    print(exc.line())\n"
        "    sys.exit(exc.exit_code)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    try:
        for _ in range(600):  # until the download has really started
            if any(h.sent > 0 and h.range is None for h in site.media_hits("slow/talk.mp4")[1:]):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the download never started")
        assert any(p.name.endswith(".subtool-part") for p in out.iterdir())  # yt-dlp's work folder exists now
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stderr
    assert "download interrupted" in stdout
    assert "Traceback" not in stderr
    assert list(out.iterdir()) == []


def test_expired_media_link_is_fetched_again_from_the_page(site: Site, out: Path) -> None:
    # Platforms sign media links for a few hours; metadata read earlier may point at a dead one.
    (site.root / "signed").mkdir()
    (site.root / "signed" / "v1.mp4").write_bytes((SAMPLES / "talk.mp4").read_bytes())
    page = site.root / "signed.html"
    page.write_text('<html><head><title>Signed</title></head><body><video src="signed/v1.mp4"></video></body></html>')
    info = sources.inspect(site.url("signed.html"))
    (site.root / "signed" / "v1.mp4").rename(site.root / "signed" / "v2.mp4")
    page.write_text(page.read_text().replace("v1.mp4", "v2.mp4"))
    path = sources.download(info, out)
    assert path == out / "Signed.mp4" and _sha(path) == _sha(SAMPLES / "talk.mp4")
    assert [h.path for h in site.hits if h.path.startswith("/signed")][-2:] == ["/signed.html", "/signed/v2.mp4"]
    assert [p.name for p in out.iterdir()] == ["Signed.mp4"]


def test_existing_output_is_not_overwritten_without_force(site: Site, out: Path) -> None:
    info = sources.inspect(site.url("talk.mp4"))
    (out / "talk.mp4").write_bytes(b"mine")
    with pytest.raises(OutputExistsError):
        sources.download(info, out)
    assert (out / "talk.mp4").read_bytes() == b"mine"
    path = sources.download(info, out, force=True)
    assert _sha(path) == _sha(SAMPLES / "talk.mp4")
    assert [p.name for p in out.iterdir()] == ["talk.mp4"]


def test_playlist_refused_without_flag_then_expanded(site: Site) -> None:
    info = sources.inspect(site.url("two.html"))
    assert info.is_playlist and info.title == "Two talks"
    assert len(info.entries) == 2
    with pytest.raises(UsageError) as caught:
        sources.expand(info, allow_playlist=False)
    assert caught.value.exit_code == 2
    assert "playlist of 2 videos" in caught.value.line() and "--playlist" in caught.value.line()
    entries = sources.expand(info, allow_playlist=True)
    assert [e.url for e in entries] == [site.url("talk.mp4"), site.url("copy.mp4")]
    assert all(e.duration is not None and abs(e.duration - 15.8) < 0.5 for e in entries)
    assert len({e.stem for e in entries}) == 2  # distinct names for distinct inputs


def test_playlist_entries_download(site: Site, out: Path) -> None:
    entries = sources.expand(sources.inspect(site.url("two.html")), allow_playlist=True)
    paths = [sources.download(e, out) for e in entries]
    assert len(set(paths)) == 2
    assert all(_sha(p) == _sha(SAMPLES / "talk.mp4") for p in paths)


def test_missing_cookies_file_fails_before_any_request(site: Site, out: Path, tmp_path: Path) -> None:
    missing = tmp_path / "cookies.txt"
    with pytest.raises(SourceError) as caught:
        sources.inspect(site.url("talk.mp4"), cookies=missing)
    assert caught.value.exit_code == 3
    assert caught.value.line().startswith(f"{missing}: cookies file not found")
    with pytest.raises(SourceError, match="cookies file not found"):
        sources.download(site.url("talk.mp4"), out, cookies=missing)
    assert site.hits == []
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[{"name": "session", "value": "x"}]', "is a JSON cookies export"),
        ("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\n", "line 2 is not a Netscape cookies.txt entry"),
    ],
)
def test_malformed_cookies_file_fails_before_any_request(
    site: Site, tmp_path: Path, capfd: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(content)
    with pytest.raises(SourceError) as caught:
        sources.inspect(site.url("talk.mp4"), cookies=cookies)
    assert caught.value.line().startswith(f"{cookies}: {expected}")
    assert "Netscape cookies.txt format" in caught.value.line()
    assert site.hits == []
    assert capfd.readouterr() == ("", "")


def test_cookies_file_is_sent(site: Site, out: Path, tmp_path: Path) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tsecret42\n")
    info = sources.inspect(site.url("talk.mp4"), cookies=cookies)
    sources.download(info, out, cookies=cookies)
    media = site.media_hits("talk.mp4")
    # yt-dlp's metadata request and the download carry the cookie. ffprobe's header read (the one
    # with a Range) gets it through -cookies, scoped by domain, which ffmpeg cannot match on a
    # host with an explicit port such as this test server's, so it is not checked here.
    by_yt_dlp = [h for h in media if h.range is None]
    assert len(by_yt_dlp) == 2 and any(h.complete for h in by_yt_dlp)
    assert all(h.cookie == "session=secret42" for h in by_yt_dlp), [(h.range, h.cookie) for h in media]


def test_duration_limit_refuses_before_download(site: Site, out: Path) -> None:
    info = sources.inspect(site.url("talk.mp4"))
    sources.check_duration(info, limit_s=60)
    with pytest.raises(SourceError) as caught:
        sources.check_duration(info, limit_s=5)
    assert caught.value.exit_code == 3
    assert "0:00:16" in caught.value.line() and "0:00:05" in caught.value.line()


def test_long_media_refused_having_read_only_its_header(site: Site, out: Path) -> None:
    # Ten minutes of 8 kHz 8-bit silence: 4.8 MB made instantly, far bigger than socket buffers.
    long = site.root / "long.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "600", "-c:a", "pcm_u8", str(long))
    size = long.stat().st_size
    with pytest.raises(SourceError, match="longer than"):
        sources.resolve(site.url("long.wav"), limit_s=120)
    hits = site.media_hits("long.wav")
    assert hits, "the metadata needs the header"
    assert not any(h.complete for h in hits)
    assert sum(h.sent for h in hits) < size // 4, [(h.range, h.sent) for h in hits]
    assert list(out.iterdir()) == []


def test_resolve_returns_checked_inputs(site: Site) -> None:
    [one] = sources.resolve(site.url("page.html"), limit_s=60)
    assert one.stem == SAFE_TITLE
    with pytest.raises(UsageError, match="--playlist"):
        sources.resolve(site.url("two.html"), limit_s=60)
    assert len(sources.resolve(site.url("two.html"), limit_s=60, allow_playlist=True)) == 2
    with pytest.raises(SourceError, match="longer than"):
        sources.resolve(site.url("two.html"), limit_s=10, allow_playlist=True)


def test_duration_limits_by_platform() -> None:
    yt = sources.SourceInfo(
        url="https://youtu.be/x",
        title="t",
        stem="t",
        duration=7500,
        extractor="Youtube",
        platform="youtube",
        is_playlist=False,
        webpage_url="https://www.youtube.com/watch?v=x",
        direct_media_url=None,
        ext="mp4",
        id="x",
    )
    assert sources.duration_limit(yt, service_fetches_url=True) == 120 * 60
    assert sources.duration_limit(yt, service_fetches_url=False) == 135 * 60
    with pytest.raises(SourceError, match="2:05:00"):
        sources.check_duration(yt, limit_s=sources.duration_limit(yt, service_fetches_url=True))
    sources.check_duration(yt, limit_s=sources.duration_limit(yt, service_fetches_url=False))


def test_unknown_preference_is_usage_error(site: Site, out: Path) -> None:
    with pytest.raises(UsageError, match="mkv, mp4, webm or any"):
        sources.download(site.url("talk.mp4"), out, prefer="avi")
    assert site.hits == []


def test_audio_only_download(site: Site, out: Path) -> None:
    path = sources.download(site.url("talk.mp4"), out, audio_only=True)
    assert path.exists() and path.parent == out


def test_importing_sources_does_not_load_yt_dlp() -> None:
    code = "import sys, subtool.sources, subtool.cli.app; assert 'yt_dlp' not in sys.modules, 'yt_dlp imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
