"""The emulator's HTTP server (a threading server over ``handler.Handler`` and one ``State``),
and the behaviour it shows as a whole: Gladia's pre-recorded v2 routes, jobs, faults and stats.

Choices where the public material (Gladia's OpenAPI description, its docs, SDK 2.2.1) is silent:
- an upload ffprobe cannot decode (or without an audio stream), or in a container outside the
  documented list (AIFF, MPEG-TS...), is refused with 422 ``Invalid parameter``; a body without a
  multipart boundary gets 400; a chunked (streamed) upload is read like any other, and refused
  with 413 as soon as it passes the size limit;
- audio longer than the duration limit is accepted at upload (its duration is reported) and the
  job then ends ``status: "error"`` with ``error_code: 422`` (the docs say only "longer files give
  an error");
- a remote ``audio_url`` that cannot be fetched or decoded ends the job in error with
  ``error_code: 400`` (the callback's "Bad Request" example); an ``audio_url`` naming one of this
  emulator's own files that does not exist is refused at create with 422;
- 429 (concurrency, rate) uses the common error envelope and carries ``Retry-After`` (whole
  seconds: until the first running job is due to end, or until the rate window frees a request).

Kind by default, unkind on request (what the real service may do and subtool must survive):
- audio without speech (``has_speech``: silence, steady noise or tone; ``--no-speech-below DB``
  for a plain level threshold) gets the empty result the schema allows, not invented words;
- ``--queue``: creates beyond ``--max-concurrent`` are accepted and stay ``queued`` until a slot
  frees (Gladia's documented behaviour; a paid account queues up to 300), instead of 429;
- ``--rate-limit N/s`` (or ``N/min``): requests beyond that per key get 429 with Retry-After, on
  every endpoint, polling included;
- ``--delay ENDPOINT:SECONDS``: every answer of that endpoint is held back (the SDK gives up a GET
  after 10 s);
- ``--lose-reply ENDPOINT[:COUNT[:STATUS]]``: the request is carried out, then its answer is lost
  (the connection dropped, or STATUS sent instead), as after a timeout, a gateway 5xx or a reset;
- ``--messy-translations``: translations shaped like a real capture (see ``results``);
- ``--missing-subtitles LANG[:FORMAT]``: that subtitle file left out of results (a result's
  ``subtitles`` is optional in the schema);
- ``--strict``: the list filter takes only the documented ``custom_metadata={"k":"v"}`` JSON form
  (the SDK's ``custom_metadata[k]=v`` is ignored, as an unknown parameter), list items carry no
  ``post_session_metadata``, and ``validation_errors`` appear only on 400 answers.
``GET /_emulator/log`` gives each API request's arrival and answer times and status, so a test can
time a client's waits from the server's side.

Where each part lives: ``config`` (settings), ``state`` (files, jobs, statistics), ``handler``
(routes, answers), ``uploads`` (bodies, multipart, audio_url downloads), ``jobs`` (admission,
queue, latency, outcome), ``transcripts`` (what a job hears), ``listing`` (list filters, pages),
``faults`` (faults, lost replies, rate limit), ``spec`` (the create body), ``results`` (the
result object), ``audio`` (ffprobe, envelopes, samples). The service's own facts (limits,
languages, containers, subtitle ranges) come from ``subtool.engines.gladia.service``; the
emulator never imports the client it emulates (``subtool.engines.gladia.engine``) nor the SDK.
"""

from __future__ import annotations

import socket
from http.server import ThreadingHTTPServer

from .config import ENDPOINTS, Config, parse_rate
from .handler import Handler
from .state import State, apply_fault

__all__ = ["ENDPOINTS", "Config", "EmulatorServer", "State", "apply_fault", "parse_rate"]


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, state: State, *, verbose: bool = False) -> None:
        self.state = state
        self.verbose = verbose
        if ":" in host:  # an IPv6 address such as ::1
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)
        shown = host if host not in ("", "0.0.0.0") else "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        state.base_url = f"http://{shown}:{self.server_address[1]}"
