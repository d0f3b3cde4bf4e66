"""The Gladia pre-recorded API, through the official SDK (gladiaio-sdk 2.2.1, sync client).

What the SDK leaves to us, and how it is done here:

- Retries. The SDK retries once after 0.3 s, with no jitter, ignoring Retry-After, and retries a
  create too (which can make a second job). Its retry is switched off (``max_attempts=1``) and
  every call goes through ``_call``: exponential backoff with full jitter on 429, 408, 5xx,
  request timeouts and dropped connections, honouring Retry-After, until the run's deadline.
- Duplicate jobs. Each create carries a client-made token in ``custom_metadata``; after a failed
  create, and before trying again, the recent jobs carrying that token are listed, so a job the
  service made anyway is adopted instead of doubled.
- Polling. The SDK's ``poll`` waits a fixed 3 s; here the wait between ``get`` calls is a fifth
  of the time already waited (0.5 s at least, ``poll_max_interval`` = 30 s at most): a job's end
  is noticed at most about 20% after it happens, and a two-hour job costs about 270 requests.
- Concurrency. The service runs at most 3 jobs at once on the free plan (25 paid). ``JobSlots``
  is one process-wide limiter per API URL, shared by the chunks of a long file and by batches: a
  job holds a slot from ``submit`` until ``wait`` returns.
- Secrets. The key only goes to the SDK client; every message that leaves this module is passed
  through ``_scrub``.
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .. import languages as langs
from ..errors import (
    AuthError,
    Interrupted,
    JobError,
    LanguageError,
    RateLimitError,
    ServiceError,
    ServiceTimeoutError,
    ServiceUnavailableError,
    SubtoolError,
)
from ..models import Transcript, Utterance, Word
from .base import NOTE, StatusCallback, TranscribeOptions

T = TypeVar("T")

DEFAULT_API_URL = "https://api.gladia.io"
DEFAULT_DEADLINE_S = 4 * 3600.0
# How long one request is retried: an outage of minutes is waited out, not one of hours; a service
# never reached in this process (a wrong GLADIA_API_URL, no network) is given up on sooner.
RETRY_WINDOW_S = 600.0
UNREACHED_WINDOW_S = 30.0
MAX_DURATION_S = 135 * 60.0
MAX_DURATION_URL_S = 120 * 60.0
CHUNK_TARGET_S = 3600.0
TOKEN_KEY = "subtool_request"

# The service's contract (language_config.languages in the API schema): 99 transcription codes.
TRANSCRIPTION_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu hy id "
    "is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd "
    "si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo zh".split()
)
# translation_config.target_languages: the same plus Wolof.
TRANSLATION_LANGUAGES = TRANSCRIPTION_LANGUAGES | {"wo"}
# Where the service's code is not the ISO 639-1 one langcodes gives.
_SERVICE_ALIASES = {"jv": "jw", "nb": "no"}

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}


def _env_float(name: str) -> float | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise SubtoolError(f"{name}={value!r} is not a number of seconds") from None


def service_code(code: str, *, translation: bool = False) -> str:
    """A user's language code as the service spells it; ``LanguageError`` when the service does
    not know the language (checked before anything is uploaded)."""
    what = "translation target" if translation else "language"
    normalized = langs.normalize(code, what=what)
    base = langs.base(normalized)
    base = _SERVICE_ALIASES.get(base, base)
    allowed = TRANSLATION_LANGUAGES if translation else TRANSCRIPTION_LANGUAGES
    if base not in allowed:
        raise LanguageError(
            f"the Gladia service does not {'translate into' if translation else 'transcribe'} '{code}' ({langs.english_name(normalized)})",
            hint="Use one of its ISO 639-1 codes (e.g. en, fr, es, de), or --engine local",
        )
    return base


def validate(options: TranscribeOptions) -> None:
    """Refuse what the service would refuse, before any upload."""
    for code in options.languages:
        service_code(code)
    for code in options.translate:
        service_code(code, translation=True)
    if options.translation_model not in ("base", "enhanced"):
        raise SubtoolError(f"unknown translation model '{options.translation_model}'", hint="Use base or enhanced")


def build_request(options: TranscribeOptions, audio_url: str, token: str | None = None) -> dict[str, Any]:
    """The create body for ``options`` (the API's InitTranscriptionRequest)."""
    body: dict[str, Any] = {"audio_url": audio_url}
    codes = list(dict.fromkeys(service_code(c) for c in options.languages))
    if codes or options.code_switching:
        body["language_config"] = {"languages": codes, "code_switching": bool(options.code_switching and len(codes) != 1)}
    formats = [f for f in dict.fromkeys(options.formats) if f in ("srt", "vtt")]
    if formats:
        body["subtitles"] = True
        body["subtitles_config"] = {"formats": formats, **options.subtitle_limits}
    if options.translate:
        body["translation"] = True
        body["translation_config"] = {
            "target_languages": list(dict.fromkeys(service_code(c, translation=True) for c in options.translate)),
            "model": options.translation_model,
            "match_original_utterances": True,  # cues line up with the spoken language's
        }
    if options.diarize:
        body["diarization"] = True
        hints = {"number_of_speakers": options.speakers, "min_speakers": options.min_speakers, "max_speakers": options.max_speakers}
        if any(v is not None for v in hints.values()):
            body["diarization_config"] = {k: v for k, v in hints.items() if v is not None}
    if options.vocabulary:
        body["custom_vocabulary"] = True
        # Above 0.6 the service reports false positives (Gladia's own advice).
        body["custom_vocabulary_config"] = {"vocabulary": list(dict.fromkeys(options.vocabulary)), "default_intensity": 0.5}
    if token:
        body["custom_metadata"] = {TOKEN_KEY: token}
    return body


def cache_options(options: TranscribeOptions) -> dict[str, Any]:
    """The options that change a Gladia result (the cache key's part)."""
    return build_request(options, "")


class JobSlots:
    """At most ``limit`` jobs at the service at once; ``limit`` may be raised or lowered live."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.in_use = 0
        self.peak = 0
        self._cond = threading.Condition()

    def acquire(self, cancel: threading.Event | None = None) -> None:
        with self._cond:
            while self.in_use >= self.limit:
                if cancel is not None and cancel.is_set():
                    raise Interrupted("cancelled while waiting for a job slot")
                self._cond.wait(0.2)
            self.in_use += 1
            self.peak = max(self.peak, self.in_use)

    def release(self) -> None:
        with self._cond:
            self.in_use = max(0, self.in_use - 1)
            self._cond.notify()


_SLOTS: dict[str, JobSlots] = {}
_SLOTS_LOCK = threading.Lock()


def job_slots(api_url: str, max_jobs: int) -> JobSlots:
    """The process-wide limiter for ``api_url``, set to ``max_jobs``."""
    with _SLOTS_LOCK:
        slots = _SLOTS.get(api_url)
        if slots is None:
            slots = _SLOTS[api_url] = JobSlots(max_jobs)
        else:
            slots.limit = max(1, max_jobs)
        return slots


@dataclass
class Run:
    """One transcription's shared state: its deadline, its cancel flag, the jobs it started."""

    until: float
    deadline: float
    cancel: threading.Event = field(default_factory=threading.Event)
    job_ids: list[str] = field(default_factory=list)
    open_jobs: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_status: StatusCallback | None = None
    on_retry: Callable[[SubtoolError], None] | None = None  # a batch paces itself on 429s

    def status(self, line: str) -> None:
        if self.on_status is not None:
            self.on_status(line)

    def sleep(self, seconds: float) -> None:
        if self.cancel.wait(max(0.0, seconds)):
            raise Interrupted("cancelled")


_PREFETCH = threading.Event()


def _prefetch_sdk() -> None:
    """Import the SDK (about half a second: it brings httpx and its live client) in the
    background, while ffprobe and ffmpeg run on the input, instead of after them."""
    if _PREFETCH.is_set():
        return
    _PREFETCH.set()

    def load() -> None:
        import contextlib

        with contextlib.suppress(Exception):
            import gladiaio_sdk  # noqa: F401

    threading.Thread(target=load, name="subtool-sdk-import", daemon=True).start()


def _get_job(client: Any, job_id: str) -> dict[str, Any]:
    """The job as the service's own JSON, through the SDK's HTTP client (its auth, timeouts and
    errors). ``client.get`` would build the SDK's dataclasses and ``to_dict`` turn them back: that
    drops fields the service sends (``error_code``, ``custom_metadata``, ``file.source``), so
    ``--keep-raw`` would not be the service's JSON, and dataclasses_json re-resolves the type
    hints of every nested class on each call (about 25 ms of CPU per poll; three quarters of a
    batch's CPU at 25 slots)."""
    http = getattr(client, "_http_client", None)
    core = getattr(client, "_core", None)
    if http is None or core is None:  # another SDK layout: its public, slower way
        return dict(client.get(job_id).to_dict())
    timeout = client._options.prerecorded_timeouts.get
    body = http.get(core.build_job_endpoint(job_id), {"request_timeout": timeout}).json()
    if not isinstance(body, dict) or "status" not in body:
        raise ServiceError(f"unexpected answer from the service while checking job {job_id}: not a job")
    return body


POLL_MIN_S = 0.5
POLL_SHARE = 0.2


def poll_interval(waited: float, maximum: float) -> float:
    """The next wait between polls: a fifth of the time already waited, between 0.5 s and
    ``maximum``. A job's end is noticed at most about 20% (and 30 s) after it happens, and a long
    job is asked about rarely: a 1-hour job costs about 150 polls, a 5-second one about 9."""
    return min(maximum, max(POLL_MIN_S, waited * POLL_SHARE))


class GladiaEngine:
    name = "gladia"
    fetches_urls = True
    takes_media = False  # sent one small audio stream, extracted here

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        max_jobs: int = 3,
        poll_max_interval: float = 30.0,
        deadline: float | None = None,
        cache: bool = True,
    ) -> None:
        self._key = api_key if api_key is not None else os.environ.get("GLADIA_API_KEY", "")
        self.api_url = (api_url or os.environ.get("GLADIA_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.max_jobs = max(1, max_jobs)
        self.poll_max_interval = poll_max_interval
        self.deadline = deadline if deadline is not None else (_env_float("SUBTOOL_GLADIA_DEADLINE") or DEFAULT_DEADLINE_S)
        self.cache = cache
        # Test and tuning knobs: the duration limit and chunk size (real ones: 135 and 60 min).
        self.max_duration = _env_float("SUBTOOL_GLADIA_MAX_DURATION") or MAX_DURATION_S
        self.chunk_target = _env_float("SUBTOOL_GLADIA_CHUNK_TARGET") or min(CHUNK_TARGET_S, self.max_duration / 2)
        self.slots = job_slots(self.api_url, self.max_jobs)
        self.retry_window = _env_float("SUBTOOL_GLADIA_RETRY_WINDOW") or RETRY_WINDOW_S
        self._reached = False  # any answer from the service yet (an HTTP error counts)
        self._client_obj: Any = None
        self._client_lock = threading.Lock()
        _prefetch_sdk()

    # -- plumbing ---------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def _client(self) -> Any:
        if not self._key:
            raise AuthError("no Gladia API key", hint="Set GLADIA_API_KEY, or use --engine local for the offline engine")
        with self._client_lock:
            if self._client_obj is None:
                from gladiaio_sdk import GladiaClient, HttpRetryOptions

                client = GladiaClient(api_key=self._key, api_url=self.api_url, http_retry=HttpRetryOptions(max_attempts=1))
                self._client_obj = client.prerecorded()
            return self._client_obj

    def check(self, options: TranscribeOptions) -> None:
        validate(options)

    def cache_tag(self, options: TranscribeOptions) -> str:
        return ""

    def new_run(self, on_status: StatusCallback | None = None, deadline: float | None = None) -> Run:
        span = self.deadline if deadline is None else deadline
        return Run(until=time.monotonic() + span, deadline=span, on_status=on_status)

    def _classify(self, exc: BaseException, what: str) -> tuple[SubtoolError, bool, float | None]:
        """(the error to raise, whether to retry, the server's Retry-After)."""
        from gladiaio_sdk import HttpError
        from gladiaio_sdk import TimeoutError as SdkTimeout

        if isinstance(exc, HttpError):
            status = exc.status
            body = exc.response_body if isinstance(exc.response_body, dict) else {}
            message = self._scrub(str(body.get("message") or str(exc).split(" | ")[0]))
            if status == 401:
                return AuthError(f"the key was refused (HTTP 401) while {what}", hint="Check GLADIA_API_KEY"), False, None
            if status == 403:
                return AuthError(
                    f"the service refused access (HTTP 403: {message}) while {what}",
                    hint="Check GLADIA_API_KEY, and that your plan includes what was asked for",
                ), False, None
            retry_after = None
            with contextlib.suppress(TypeError, ValueError):
                retry_after = float(exc.response_headers.get("retry-after", ""))
            if status == 429:
                return RateLimitError(f"the service kept answering 429 (too many requests) while {what}", hint="Wait, or lower --max-jobs"), True, retry_after
            if status in RETRY_STATUSES or status >= 500:
                return ServiceUnavailableError(f"the service kept failing (HTTP {status}: {message}) while {what}", hint="Retry later"), True, retry_after
            details = exc.validation_errors
            if details:
                message = self._scrub("; ".join(str(d) for d in details)) if isinstance(details, list) else self._scrub(str(details))
            return ServiceError(f"the service refused the request (HTTP {status}: {message}) while {what}"), False, None
        if isinstance(exc, SdkTimeout):
            return ServiceTimeoutError(f"the service did not answer within {exc.timeout:.0f} s while {what}", hint="Retry later"), True, None
        text = self._scrub(str(exc))
        if text.startswith("HTTP request failed") or isinstance(exc.__cause__, Exception):
            cause = exc.__cause__.args[-1] if exc.__cause__ is not None and exc.__cause__.args else exc
            return ServiceUnavailableError(
                f"could not reach the service at {self.api_url} while {what} ({type(cause).__name__})",
                hint="Check the network and GLADIA_API_URL",
                code="unreachable",
            ), True, None
        return ServiceError(f"unexpected answer from the service while {what}: {type(exc).__name__}: {text}"), False, None

    def _call(self, run: Run, what: str, fn: Callable[[], T], before_retry: Callable[[], T | None] | None = None) -> T:
        attempt = 0
        first_failure: float | None = None
        while True:
            if run.cancel.is_set():
                raise Interrupted("cancelled")
            try:
                result = fn()
                self._reached = True
                return result
            except SubtoolError:
                raise
            except Exception as exc:  # noqa: BLE001 - every SDK failure is classified below
                error, retry, retry_after = self._classify(exc, what)
                if error.code != "unreachable":
                    self._reached = True
                if not retry:
                    raise error from None
                now = time.monotonic()
                first_failure = now if first_failure is None else first_failure
                window = self.retry_window if self._reached else min(self.retry_window, UNREACHED_WINDOW_S)
                if run.on_retry is not None:
                    run.on_retry(error)
                if before_retry is not None:
                    adopted = before_retry()
                    if adopted is not None:
                        return adopted
                attempt += 1
                delay = random.uniform(0.5, 1.0) * min(30.0, 0.5 * 2 ** (attempt - 1))
                if retry_after is not None:
                    delay = max(delay, min(retry_after, 60.0))
                if now + delay > run.until or now + delay - first_failure > window:
                    raise error from None
                run.status(f"{NOTE}retrying in {delay:.1f} s: {error.message}")
                run.sleep(delay)

    # -- the steps ---------------------------------------------------------------------------

    def upload(self, audio: str | Path, run: Run) -> str:
        """Upload a local file; the service's URL for it."""
        path = Path(audio)
        run.status(f"uploading {path.name} ({path.stat().st_size / 1e6:.2f} MB)")
        client = self._client()
        response = self._call(run, f"uploading {path.name}", lambda: client.upload_file(path))
        return str(response.audio_url)

    def _find_created(self, token: str) -> str | None:
        """The job a failed-looking create made anyway, found by its token (best effort)."""
        try:
            page = self._client().list({"custom_metadata": {TOKEN_KEY: token}, "limit": 20})
        except Exception:  # noqa: BLE001 - if listing fails too, the create is simply retried
            return None
        for item in page.items or []:
            if (item.custom_metadata or {}).get(TOKEN_KEY) == token:
                return str(item.id)
        return None

    def find_job(self, token: str) -> str | None:
        """The job created with ``token`` (see ``submit``), if the service has one."""
        return self._find_created(token)

    def submit(self, audio: str | Path, options: TranscribeOptions, *, run: Run | None = None, token: str | None = None) -> str:
        """Upload ``audio`` when it is a local file, create the job, return its id. The job holds
        one of the process's job slots until ``wait`` returns. A caller that records ``token``
        before calling can find the job with ``find_job`` after a crash during the create."""
        run = run or self.new_run()
        validate(options)
        text = str(audio)
        audio_url = text if text.startswith(("http://", "https://")) else self.upload(audio, run)
        token = token or uuid.uuid4().hex
        body = build_request(options, audio_url, token)
        client = self._client()
        self.slots.acquire(run.cancel)
        try:
            job_id = self._call(run, "creating the job", lambda: str(client.create(body).id), before_retry=lambda: self._find_created(token))
        except BaseException:
            self.slots.release()
            raise
        with run.lock:
            run.job_ids.append(job_id)
            run.open_jobs.add(job_id)
        run.status(f"job {job_id} created")
        return job_id

    def wait(self, job_id: str, *, run: Run | None = None, path: str | None = None) -> dict[str, Any]:
        """Poll ``job_id`` until it is done; its raw JSON. Releases the job's slot."""
        run = run or self.new_run()
        client = self._client()
        started = time.monotonic()
        last = ""
        try:
            while True:
                raw = self._call(run, f"checking job {job_id}", lambda: _get_job(client, job_id))
                status = str(raw.get("status"))
                if status != last:
                    run.status(f"job {job_id} {status}")
                    last = status
                if status == "done":
                    with run.lock:
                        run.open_jobs.discard(job_id)
                    return raw
                if status == "error":
                    with run.lock:
                        run.open_jobs.discard(job_id)
                    detail = raw.get("error") or raw.get("message")
                    if isinstance(detail, dict):
                        detail = detail.get("message")
                    raise JobError(job_id, raw.get("error_code"), self._scrub(str(detail)) if detail else None, path=path)
                remaining = run.until - time.monotonic()
                if remaining <= 0:
                    raise ServiceTimeoutError(
                        f"job {job_id} did not finish within the {run.deadline:g} s deadline (last status: {status})",
                        path=path,
                        hint="Raise SUBTOOL_GLADIA_DEADLINE, or fetch the job later by its id",
                    )
                run.sleep(min(poll_interval(time.monotonic() - started, self.poll_max_interval), remaining))
        finally:
            self.slots.release()

    def to_transcript(
        self, raw: dict[str, Any], *, targets: list[str] | None = None, offset: float = 0.0, job_ids: list[str] | None = None
    ) -> Transcript:
        return to_transcript(raw, targets=targets, offset=offset, job_ids=job_ids)

    # -- the whole thing -------------------------------------------------------------------

    def transcribe(
        self,
        audio: str | Path,
        options: TranscribeOptions,
        *,
        duration: float | None = None,
        on_status: StatusCallback | None = None,
        raw_sink: list[dict[str, Any]] | None = None,
    ) -> Transcript:
        """Transcribe ``audio`` (a local audio file, or an http(s) URL the service fetches).
        Inputs longer than the service's limit are cut at silences and sent as concurrent jobs."""
        validate(options)
        self._client()  # a missing key is reported before any work
        run = self.new_run(on_status)
        text = str(audio)
        is_url = text.startswith(("http://", "https://"))
        limit = min(self.max_duration, MAX_DURATION_URL_S) if is_url and "youtu" in text else self.max_duration
        targets = list(options.translate)
        try:
            if duration is None or duration <= limit:
                job_id = self.submit(audio, options, run=run)
                raw = self.wait(job_id, run=run)
                if raw_sink is not None:
                    raw_sink.append({"offset": 0.0, "job": raw})
                transcript = to_transcript(raw, targets=targets, job_ids=[job_id])
                if duration and not transcript.duration:
                    transcript.duration = duration
                return transcript
            if is_url:
                raise ServiceError(
                    f"{text} lasts {duration / 60:.0f} min, over the service's {limit / 60:.0f}-minute limit for links",
                    hint="Download it first (subtool cuts local files into chunks)",
                )
            return self._transcribe_chunks(Path(audio), options, duration, limit, run, raw_sink)
        except KeyboardInterrupt:
            run.cancel.set()
            with run.lock:
                open_jobs = sorted(run.open_jobs)
            raise Interrupted("interrupted while transcribing", job_ids=open_jobs) from None

    def _transcribe_chunks(
        self, audio: Path, options: TranscribeOptions, duration: float, limit: float, run: Run, raw_sink: list[dict[str, Any]] | None
    ) -> Transcript:
        from ..media.audio import extract_audio, find_silences, plan_chunks

        run.status(f"{NOTE}{duration / 60:.0f} min is over the {limit / 60:.0f}-minute limit: cutting at silences")
        silences = find_silences(audio, duration=duration)
        plan = plan_chunks(duration, silences, target=self.chunk_target, limit=limit)
        results: list[tuple[float, dict[str, Any], str] | None] = [None] * len(plan)
        errors: list[BaseException] = []
        with tempfile.TemporaryDirectory(prefix="subtool-chunks-") as tmp:
            paths = [
                extract_audio(audio, Path(tmp) / f"chunk{i:03d}.ogg", start=start, duration=end - start)
                for i, (start, end) in enumerate(plan)
            ]
            run.status(f"sending {len(plan)} chunks, at most {self.slots.limit} at once")

            def work(i: int) -> None:
                try:
                    job_id = self.submit(paths[i], options, run=run)
                    results[i] = (plan[i][0], self.wait(job_id, run=run), job_id)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    errors.append(exc)
                    run.cancel.set()

            threads = [threading.Thread(target=work, args=(i,), daemon=True, name=f"gladia-chunk-{i}") for i in range(len(plan))]
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        real = [e for e in errors if not isinstance(e, Interrupted)]
        if real or errors:
            raise (real or errors)[0]
        parts: list[Transcript] = []
        for item in results:
            assert item is not None
            start, raw, job_id = item
            if raw_sink is not None:
                raw_sink.append({"offset": start, "job": raw})
            parts.append(to_transcript(raw, targets=list(options.translate), offset=start, job_ids=[job_id]))
        return stitch(parts, [p[0] for p in plan], duration=duration)


# -- result mapping ------------------------------------------------------------------------------


def _utterances(items: list[dict[str, Any]] | None, offset: float) -> list[Utterance]:
    out: list[Utterance] = []
    for u in items or []:
        words = [
            Word(
                text=str(w.get("word", "")).strip(),
                start=round(float(w["start"]) + offset, 3),
                end=round(float(w["end"]) + offset, 3),
                confidence=w.get("confidence"),
            )
            for w in u.get("words") or []
        ]
        out.append(
            Utterance(
                start=round(float(u["start"]) + offset, 3),
                end=round(float(u["end"]) + offset, 3),
                text=str(u.get("text", "")).strip(),
                words=words,
                speaker=u.get("speaker"),
                language=u.get("language"),
                confidence=u.get("confidence"),
                channel=u.get("channel"),
            )
        )
    return out


def normalize_subtitles(text: str, fmt: str) -> str:
    """The service's subtitle text made standard (SRT times with a comma, one final newline)."""
    from ..subtitles import normalize_service_subtitles

    return normalize_service_subtitles(text, fmt)


def _subtitles(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(s["format"]): normalize_subtitles(str(s.get("subtitles", "")), str(s["format"])) for s in items or [] if s.get("format")}


def to_transcript(raw: dict[str, Any], *, targets: list[str] | None = None, offset: float = 0.0, job_ids: list[str] | None = None) -> Transcript:
    """A done job's JSON -> ``Transcript``, times shifted by ``offset`` seconds. ``targets`` are
    the requested translation languages, in order (the service answers in that order)."""
    result = raw.get("result") or {}
    tr = result.get("transcription") or {}
    utterances = _utterances(tr.get("utterances"), offset)
    detected = [str(c) for c in tr.get("languages") or []]
    language = detected[0] if detected else next((u.language for u in utterances if u.language), None) or "und"
    transcript = Transcript(
        language=language,
        utterances=utterances,
        languages=detected or [language],
        duration=(result.get("metadata") or {}).get("audio_duration"),
        engine="gladia",
        job_ids=list(job_ids or ([str(raw["id"])] if raw.get("id") else [])),
    )
    if transcript.duration is not None and offset:
        transcript.duration = round(offset + float(transcript.duration), 3)
    subs = _subtitles(tr.get("subtitles"))
    if subs:
        transcript.subtitles[language] = subs
    translation = result.get("translation") or {}
    for i, item in enumerate(translation.get("results") or []):
        if item.get("error"):
            continue
        got = (item.get("languages") or [None])[0]
        lang = targets[i] if targets and i < len(targets) else got
        if not lang:
            continue
        transcript.translations[str(lang)] = _utterances(item.get("utterances"), offset)
        subs = _subtitles(item.get("subtitles"))
        if subs:
            transcript.subtitles[str(lang)] = subs
    return transcript


def _shift_subtitles(text: str, fmt: str, offset: float) -> list[Any]:
    import pysubs2

    subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    subs.shift(s=offset)
    return list(subs.events)


def stitch(parts: list[Transcript], offsets: list[float], *, duration: float | None = None) -> Transcript:
    """One transcript from chunk transcripts whose times are already shifted; subtitle texts are
    shifted here (``offsets`` gives each chunk's start) and renumbered as one file."""
    import pysubs2

    first = parts[0]
    out = Transcript(language=first.language, engine="gladia", duration=duration)
    for part in parts:
        out.utterances += part.utterances
        out.job_ids += part.job_ids
        out.languages += [lang for lang in part.languages if lang not in out.languages]
        for lang, utts in part.translations.items():
            out.translations.setdefault(lang, []).extend(utts)
    for lang in dict.fromkeys(lang for p in parts for lang in p.subtitles):
        for fmt in dict.fromkeys(f for p in parts for f in p.subtitles.get(lang, {})):
            merged = pysubs2.SSAFile()
            for part, offset in zip(parts, offsets, strict=True):
                text = part.subtitles.get(lang, {}).get(fmt)
                if text:
                    merged.events += _shift_subtitles(text, fmt, offset)
            out.subtitles.setdefault(lang, {})[fmt] = normalize_subtitles(merged.to_string(fmt), fmt)
    return out
