"""A URL with a password in it (``http://user:pass@host/...``): the media are fetched with it, and
it appears nowhere else: not on stdout or stderr (even with -v), not in any file written (sidecars,
transcript.json, raw.json, the batch report and state, the cache), and not at the transcription
service, which is never handed such a URL (its audio is downloaded and uploaded instead)."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_sample, run_cli

from subtool.testing.gladia import EmulatorProcess

pytestmark = pytest.mark.timeout(300)

USER, PASSWORD = "editor", "Pw-9f3Zq7x"
WRONG = "WrongPw-4471"


class _AuthHandler(http.server.SimpleHTTPRequestHandler):
    seen: list[str | None]

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="media"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, list[str | None]]]:
    root = tmp_path.parent / f"{tmp_path.name}-www"  # outside tmp_path, whose every file is searched
    root.mkdir()
    copy_sample("talk.mp4", root)
    copy_sample("memo.mp3", root)
    (root / "page.html").write_text('<html><head><title>Members talk</title></head><body><video src="talk.mp4"></video></body></html>')
    seen: list[str | None] = []
    handler = type("Handler", (_AuthHandler,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def service_jobs(emu: EmulatorProcess) -> str:
    """Every job the emulator holds, as it reports them (its request parameters: the audio_url)."""
    req = urllib.request.Request(f"{emu.url}/v2/pre-recorded?limit=100", headers={"x-gladia-key": "cred-key"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


def test_a_password_in_a_url_is_used_and_never_shown_stored_or_handed_over(tmp_path: Path, site: tuple[str, list[str | None]]) -> None:
    host, seen = site
    secret = f"http://{USER}:{PASSWORD}@{host}"
    shown = f"http://{USER}:***@{host}"
    outputs: list[str] = []
    with EmulatorProcess(latency=0.2) as emu:
        env = {"GLADIA_API_KEY": "cred-key", "GLADIA_API_URL": emu.url}

        def cli(*args: str, code: int = 0) -> dict:
            r = run_cli(*args, "--no-cache", env=env, cwd=tmp_path)  # each run goes to the service
            outputs.extend([r.stdout, r.stderr])
            assert r.returncode == code, r.stderr
            return json.loads(r.stdout) if "--json" in args else {}

        # Sidecars only: the service would fetch a plain URL itself; this one is downloaded here.
        doc = cli("-v", "run", f"{secret}/talk.mp4", "--sidecars-only", "--keep-raw", "-d", "run", "--json")
        assert doc["results"][0]["input"] == f"{shown}/talk.mp4"
        assert "carries a password" in outputs[-1]
        assert emu.stats()["uploads"] == 1
        transcript = json.loads((tmp_path / "run" / "talk.transcript.json").read_text())
        assert transcript["source"] == f"{shown}/talk.mp4"
        # A page whose <video> is on the same protected host, muxed.
        doc = cli("run", f"{secret}/page.html", "--mux", "mkv-multi", "-d", "page", "--json")
        assert doc["results"][0]["input"] == f"{shown}/page.html" and (tmp_path / doc["results"][0]["output"]).exists()
        doc = cli("transcribe", f"{secret}/memo.mp3", "-d", "transcribe", "--json")
        assert doc["results"][0]["input"] == f"{shown}/memo.mp3"
        manifest = tmp_path / "lot.csv"
        manifest.write_text(f"input,delivery,outdir\n{secret}/memo.mp3,sidecars,batch\n{secret}/talk.mp4,mkv-multi,batch\n")
        doc = cli("batch", str(manifest), "--report", "report.json", "--json")
        assert [i["status"] for i in doc["items"]] == ["done", "done"]
        assert [i["input"] for i in doc["items"]] == [f"{shown}/memo.mp3", f"{shown}/talk.mp4"]
        # --resume finds the items again (their keys do not depend on the password) and the
        # real URL is read from the manifest again.
        doc = cli("batch", str(manifest), "--resume", "--json")
        assert [i["status"] for i in doc["items"]] == ["skipped", "skipped"]
        # A wrong password: one line, without it.
        r = run_cli("run", f"http://{USER}:{WRONG}@{host}/talk.mp4", "--sidecars-only", "-d", "wrong", env=env, cwd=tmp_path)
        outputs.extend([r.stdout, r.stderr])
        assert r.returncode == 3 and f"http://{USER}:***@{host}/talk.mp4: access refused (HTTP 401)" in r.stderr
        assert "Check the user name and password in the URL" in r.stderr
        assert emu.stats()["jobs_created"] == 5
        at_service = service_jobs(emu)
    assert at_service.count('"audio_url"') >= 5  # the jobs are listed, with what the service was handed
    assert PASSWORD not in at_service and USER not in at_service
    assert any(a and a.startswith("Basic ") for a in seen)  # the credentials were used, as basic authentication
    for text in outputs:
        assert PASSWORD not in text and WRONG not in text
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "lot.csv"]  # the manifest holds it, of course
    written += [p for p in Path(os.environ["XDG_CACHE_HOME"]).rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"report.json", ".subtool-batch.sqlite", "talk.transcript.json", "talk.raw.json", "memo.en.srt"} <= names
    for path in written:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and WRONG.encode() not in data, path
