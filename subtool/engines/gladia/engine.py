"""The Gladia pre-recorded API, through the official SDK (gladiaio-sdk 2.2.1, sync client).

What the SDK leaves to us, and how it is done here:

- Retries. The SDK retries once after 0.3 s, with no jitter, ignoring Retry-After, and retries a
  create too (which can make a second job). Its retry is switched off (``max_attempts=1``) and
  every call goes through ``_call``: exponential backoff with full jitter on 429, 408, 5xx,
  request timeouts and dropped connections, honouring Retry-After, until the run's deadline.
- Duplicate jobs. Each create carries a client-made token in ``custom_metadata``; after a failed
  create (a timeout, a gateway 5xx, a reset connection: the service may have acted), and before
  trying again, the jobs carrying that token are looked up, so a job the service made anyway is
  adopted instead of paid twice. The lookup uses the filter form Gladia documents
  (``?custom_metadata={"k":"v"}``, JSON; the SDK's ``list`` sends ``custom_metadata[k]=v``, which
  the API may ignore) with ``after_date``, and pages through the answers until it passes the
  token's creation time (15 minutes earlier, for clock skew), so it does not depend on either
  filter being honoured: a 25-slot batch finds its job among the newest 50, 100 or more. A lookup
  that fails is said (a note naming the token) before the create is tried again.
- Polling. The SDK's ``poll`` waits a fixed 3 s; here the wait between ``get`` calls is a fifth
  of the time already waited (0.5 s at least, ``poll_max_interval`` = 30 s at most): a job's end
  is noticed at most about 20% after it happens, and a two-hour job costs about 270 requests. A
  finished multi-hour job with translations is many MB and the SDK gives a GET 10 s: a GET that
  times out is asked again with three times the timeout (30 s, 90 s, up to 600 s), and the user
  is told, so a slow result is neither a dead service nor a failed paid job.
- Concurrency. The service runs at most 3 jobs at once on the free plan (25 paid) and queues the
  others (a paid account up to 300) rather than refusing them. ``slots`` is the account's limiter:
  by default ``JobSlots``, one process-wide limiter per API URL, shared by the chunks of a long
  file and by batches; a batch on a Dask cluster passes one that spans its workers. A job holds a
  slot from ``submit`` until ``wait`` returns. A job the service keeps ``queued`` is waited for (said once
  after 15 s), and its time in the queue does not count against the deadline. A 429, on a create
  or on a poll, is retried after the service's Retry-After (seconds or an HTTP date) when it gives
  one.
- Results. A job over audio without speech is a normal result (no language, no utterances);
  translations are matched to the request by their ``languages`` field, not their position, and
  their utterances may come back empty or without words (a real capture shows both): those are
  kept, empty, and said (``notes``).
- Progress. The upload goes through the SDK's own ``upload_file`` with a file that reports what
  the HTTP client has read of it (``ReportingFile``: bytes of the total, for a bar with the rate
  and time left), on connections whose send buffer is bounded (``client.SEND_BUFFER``) so that
  "read" means close to "sent"; while a job waits, each poll reports how long it has been
  ``queued`` or ``processing`` (a spinner with the time), and the end of that wait.
- Secrets. The key only goes to the SDK client, and is checked first (a line break or a non-ASCII
  character is refused before any connection); a user:password in ``GLADIA_API_URL`` is shown as
  ``user:***``. Every message that leaves this module is passed through ``_scrub``.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from ...errors import (
    AuthError,
    Interrupted,
    JobError,
    RateLimitError,
    ServiceError,
    ServiceTimeoutError,
    ServiceUnavailableError,
    SubtoolError,
)
from ...models import TranscribeOptions, Transcript
from ..base import NOTE, StatusCallback
from ..jobs import Run, SlotLimiter, job_slots
from . import service
from .client import (
    QUEUED_NOTE_S,
    RETRY_AFTER_MAX_S,
    RETRY_STATUSES,
    SEARCH_ATTEMPTS,
    SEARCH_MARGIN_S,
    SEARCH_PAGE,
    SEARCH_PAGES,
    TIMEOUT_GROWTH,
    TIMEOUT_MAX_S,
    ReportingFile,
    bound_send_buffer,
    env_float,
    get_job,
    iso_time,
    poll_interval,
    prefetch_sdk,
)
from .client import (
    retry_after as read_retry_after,
)
from .request import _USERINFO, TOKEN_KEY, build_request, check_api_url, check_key, redact_url, validate
from .results import to_transcript
from .service import DEFAULT_API_URL, MAX_DURATION_S

T = TypeVar("T")

DEFAULT_DEADLINE_S = 4 * 3600.0
# How long one request is retried: an outage of minutes is waited out, not one of hours; a service
# never reached in this process (a wrong GLADIA_API_URL, no network) is given up on sooner.
RETRY_WINDOW_S = 600.0
UNREACHED_WINDOW_S = 30.0

class GladiaEngine:
    """The ``JobEngine`` of the Gladia service (see ``engines.base``): submit, adopt, wait, find."""

    name = "gladia"
    fetches_urls = True
    takes_media = False  # sent one small audio stream, extracted here
    submits_jobs = True

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        max_jobs: int = 3,
        poll_max_interval: float = 30.0,
        deadline: float | None = None,
        cache: bool = True,
        slots: SlotLimiter | None = None,
    ) -> None:
        self._key = api_key if api_key is not None else os.environ.get("GLADIA_API_KEY", "")
        url = api_url or os.environ.get("GLADIA_API_URL") or DEFAULT_API_URL
        self.api_url = check_api_url(url, variable="GLADIA_API_URL" if not api_url else "the API URL").rstrip("/")
        self.shown_url = redact_url(self.api_url)  # what messages show: never a password
        self.max_jobs = max(1, max_jobs)
        self.poll_max_interval = poll_max_interval
        self.deadline = deadline if deadline is not None else (env_float("SUBTOOL_GLADIA_DEADLINE") or DEFAULT_DEADLINE_S)
        self.cache = cache
        # Test and tuning knobs: the duration limit and chunk size (real ones: 135 and 60 min).
        self.max_duration = env_float("SUBTOOL_GLADIA_MAX_DURATION") or MAX_DURATION_S
        self.chunk_target = env_float("SUBTOOL_GLADIA_CHUNK_TARGET") or min(service.CHUNK_TARGET_S, self.max_duration / 2)
        # The account's job slots: this process's limiter for the API URL, unless a scheduler gives
        # one that spans processes (a Dask cluster's workers: ``batch.cluster.slots``).
        self.slots: SlotLimiter = slots if slots is not None else job_slots(self.api_url, self.max_jobs)
        self.retry_window = env_float("SUBTOOL_GLADIA_RETRY_WINDOW") or RETRY_WINDOW_S
        self._reached = False  # any answer from the service yet (an HTTP error counts)
        self._client_obj: Any = None
        self._client_lock = threading.Lock()
        prefetch_sdk()

    # -- plumbing ---------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        if self._key:
            text = text.replace(self._key, "***")
        if self.shown_url != self.api_url:
            text = text.replace(self.api_url, self.shown_url)
            m = _USERINFO.match(self.api_url)
            secret = (m["password"] or m["user"]) if m else None
            if secret and len(secret) >= 4:  # a shorter one would blank out ordinary letters
                text = text.replace(secret, "***")
        return text

    def _client(self) -> Any:
        if not self._key:
            raise AuthError("no Gladia API key", hint="Set GLADIA_API_KEY, or use --engine local for the offline engine")
        check_key(self._key)
        with self._client_lock:
            if self._client_obj is None:
                from gladiaio_sdk import GladiaClient, HttpRetryOptions

                client = GladiaClient(api_key=self._key, api_url=self.api_url, http_retry=HttpRetryOptions(max_attempts=1))
                self._client_obj = client.prerecorded()
                bound_send_buffer(self._client_obj)
            return self._client_obj

    def check(self, options: TranscribeOptions) -> None:
        """The options, and the key (missing, or one that cannot go into a header), before any
        work on the inputs: nothing is extracted or uploaded for a run that would be refused."""
        validate(options)
        if not self._key:
            raise AuthError("no Gladia API key", hint="Set GLADIA_API_KEY, or use --engine local for the offline engine")
        check_key(self._key)

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
            retry_after = read_retry_after(exc.response_headers)
            if status == 429:
                return RateLimitError(f"the service kept answering 429 (too many requests) while {what}", hint="Wait, or lower --max-jobs"), True, retry_after
            if status in RETRY_STATUSES or status >= 500:
                return ServiceUnavailableError(f"the service kept failing (HTTP {status}: {message}) while {what}", hint="Retry later"), True, retry_after
            details = exc.validation_errors
            if details:
                message = self._scrub("; ".join(str(d) for d in details)) if isinstance(details, list) else self._scrub(str(details))
            return ServiceError(f"the service refused the request (HTTP {status}: {message}) while {what}", code=f"http_{status}"), False, None
        if isinstance(exc, SdkTimeout):
            return ServiceTimeoutError(
                f"the service did not answer within {exc.timeout:.0f} s while {what}", hint="Retry later", code="timeout"
            ), True, None
        text = self._scrub(str(exc))
        if text.startswith("HTTP request failed") or isinstance(exc.__cause__, Exception):
            cause = exc.__cause__.args[-1] if exc.__cause__ is not None and exc.__cause__.args else exc
            return ServiceUnavailableError(
                f"could not reach the service at {self.shown_url} while {what} ({type(cause).__name__})",
                hint="Check the network and GLADIA_API_URL",
                code="unreachable",
            ), True, None
        return ServiceError(f"unexpected answer from the service while {what}: {type(exc).__name__}: {text}"), False, None

    def _call(
        self,
        run: Run,
        what: str,
        fn: Callable[[], T],
        before_retry: Callable[[], T | None] | None = None,
        on_timeout: Callable[[], None] | None = None,
    ) -> T:
        """``fn()``, retried on what may pass (429, 5xx, timeouts, dropped connections) with
        backoff, honouring Retry-After, within the retry window and the run's deadline.
        ``before_retry`` may settle the call instead (a job found by its token);
        ``on_timeout`` is told before a request that timed out is sent again."""
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
                    delay = max(delay, min(retry_after, RETRY_AFTER_MAX_S))
                if now + delay > run.until or now + delay - first_failure > window:
                    raise error from None
                waited = " (as the service asked)" if retry_after is not None and delay >= retry_after else ""
                run.status(f"{NOTE}retrying in {delay:.1f} s{waited}: {error.message}")
                if error.code == "timeout" and on_timeout is not None:
                    on_timeout()
                run.sleep(delay)

    # -- the steps ---------------------------------------------------------------------------

    def upload(self, audio: str | Path, run: Run) -> str:
        """Upload a local file; the service's URL for it."""
        path = Path(audio)
        size = path.stat().st_size
        run.status(f"uploading {path.name} ({size / 1e6:.2f} MB)")
        client = self._client()

        def send() -> Any:
            # The SDK's upload, given a file that reports what the HTTP client has read of it.
            with ReportingFile(str(path), lambda sent: run.progress("upload", sent, size)) as fh:
                return client.upload_file(fh)

        run.progress("upload", 0, size)
        response = self._call(run, f"uploading {path.name}", send)
        run.progress("upload", size, size)
        return str(response.audio_url)

    def _search_token(self, token: str, since: float | None) -> str | None:
        """The id of the job created with ``token``, or None when the service has none. Asks with
        the documented filter form (JSON) and ``after_date``, and pages through the answers until
        they are older than ``since`` (less a margin for clock skew), in case the service honours
        neither filter. A ``ServiceError`` when the search itself fails or cannot finish."""
        client = self._client()
        http = getattr(client, "_http_client", None)
        core = getattr(client, "_core", None)
        if http is None or core is None:
            raise ServiceError("this SDK version has no HTTP client to search jobs with")
        base = core.build_list_endpoint(None)
        params: list[tuple[str, str]] = [("custom_metadata", json.dumps({TOKEN_KEY: token})), ("limit", str(SEARCH_PAGE))]
        floor = since - SEARCH_MARGIN_S if since is not None else None
        if floor is not None:
            stamp = datetime.fromtimestamp(floor, UTC)
            params.append(("after_date", stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"))
        query = urlencode(params)
        timeout = client._options.prerecorded_timeouts.list
        def fetch(url: str) -> Any:
            for attempt in range(1, SEARCH_ATTEMPTS + 1):
                try:
                    return http.get(url, {"request_timeout": timeout}).json()
                except Exception as exc:  # noqa: BLE001 - classified into one line
                    error, retry, retry_after = self._classify(exc, "searching for it")
                    if not retry or attempt == SEARCH_ATTEMPTS:
                        raise ServiceError(error.message) from None
                    time.sleep(min(RETRY_AFTER_MAX_S, retry_after if retry_after is not None else float(attempt)))
            return None

        for _ in range(SEARCH_PAGES):
            page = fetch(f"{base}?{query}")
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise ServiceError("the service's job list was not a list of jobs")
            older = 0
            for item in page["items"]:
                if not isinstance(item, dict):
                    continue
                if (item.get("custom_metadata") or {}).get(TOKEN_KEY) == token and item.get("id"):
                    return str(item["id"])
                created = iso_time(item.get("created_at"))
                if floor is not None and created is not None and created < floor:
                    older += 1
            following = page.get("next")
            if not page["items"] or not following or (floor is not None and older == len(page["items"])):
                return None
            # Only the link's query is used (as the SDK does): the request stays on this API URL.
            query = urlencode(parse_qsl(urlsplit(str(following)).query, keep_blank_values=True))
        span = f"the {SEARCH_PAGES * SEARCH_PAGE} newest jobs" if floor is None else f"{SEARCH_PAGES * SEARCH_PAGE} jobs"
        raise ServiceError(f"searched {span} without getting back to when it was made")

    def _find_created(self, token: str, since: float | None, run: Run) -> str | None:
        """The job a failed-looking create made anyway, found by its token; None (and a note that
        names the token, when the search failed) otherwise."""
        try:
            job_id = self._search_token(token, since)
        except SubtoolError as exc:
            run.status(
                f"{NOTE}could not check whether the service made the job anyway (token {TOKEN_KEY}={token}): "
                f"{self._scrub(exc.message)}; creating it again may make a second job: look for that token among your jobs"
            )
            return None
        if job_id is not None:
            run.status(f"{NOTE}the service had made job {job_id} although its answer was lost: using it")
        return job_id

    def find_job(self, token: str, since: float | None = None) -> str | None:
        """The job created with ``token`` (see ``submit``), if the service has one; ``since`` is
        when the token was made (epoch seconds), if known. A ``ServiceError`` naming the token when
        the service could not be searched (the caller must not assume there is no job)."""
        try:
            return self._search_token(token, since)
        except SubtoolError as exc:
            raise ServiceError(
                f"could not search the service for the job created with token {TOKEN_KEY}={token}: {self._scrub(exc.message)}",
                hint="Retry later; the token identifies the job among yours",
            ) from None

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
        since = time.time()
        try:
            job_id = self._call(
                run, "creating the job", lambda: str(client.create(body).id), before_retry=lambda: self._find_created(token, since, run)
            )
        except BaseException:
            self.slots.release()
            raise
        run.opened(job_id)
        run.status(f"job {job_id} created")
        return job_id

    def adopt(self, job_id: str, *, run: Run) -> None:
        """Take up a job an earlier run created (its id recorded, or found by its token): it
        holds a job slot from now until ``wait`` returns, as a job ``submit`` made does."""
        self.slots.acquire(run.cancel)
        run.opened(job_id)

    def wait(self, job_id: str, *, run: Run | None = None, path: str | None = None) -> dict[str, Any]:
        """Poll ``job_id`` until it is done; its raw JSON. Releases the job's slot. Time the job
        spends queued at the service does not count against the deadline."""
        run = run or self.new_run()
        client = self._client()
        started = status_since = time.monotonic()
        last = ""
        queued_since: float | None = None
        queued_for = 0.0
        told_queued = False
        timeout = [float(client._options.prerecorded_timeouts.get) if hasattr(client, "_options") else 10.0]

        def longer() -> None:
            before = timeout[0]
            timeout[0] = min(TIMEOUT_MAX_S, before * TIMEOUT_GROWTH)
            run.status(
                f"{NOTE}job {job_id}: the service took more than {before:.0f} s to answer (a large result is slow to "
                f"download): asking again, allowing {timeout[0]:.0f} s"
            )

        try:
            while True:
                raw = self._call(run, f"checking job {job_id}", lambda: get_job(client, job_id, timeout[0]), on_timeout=longer)
                status = str(raw.get("status"))
                now = time.monotonic()
                if status == "queued":
                    queued_since = now if queued_since is None else queued_since
                    if not told_queued and now - queued_since >= QUEUED_NOTE_S:
                        told_queued = True
                        run.status(
                            f"{NOTE}job {job_id} is queued at the service (its limit of jobs at once is reached): "
                            "waiting; time in the queue does not count against the deadline"
                        )
                elif queued_since is not None:
                    queued_for += now - queued_since
                    queued_since = None
                if status != last:
                    if last in ("queued", "processing"):  # that wait is over: its spinner goes
                        run.progress(last, now - status_since, now - status_since)
                    run.status(f"job {job_id} {status}")
                    last, status_since = status, now
                if status in ("queued", "processing"):
                    run.progress(status, now - status_since, None)  # a spinner with the time waited
                if status == "done":
                    run.closed(job_id)
                    return raw
                if status == "error":
                    run.closed(job_id)
                    detail = raw.get("error") or raw.get("message")
                    if isinstance(detail, dict):
                        detail = detail.get("message")
                    raise JobError(job_id, raw.get("error_code"), self._scrub(str(detail)) if detail else None, path=path)
                in_queue = queued_for + (now - queued_since if queued_since is not None else 0.0)
                remaining = run.until + in_queue - now
                if remaining <= 0:
                    raise ServiceTimeoutError(
                        f"job {job_id} did not finish within the {run.deadline:g} s deadline (last status: {status})",
                        path=path,
                        hint="Raise SUBTOOL_GLADIA_DEADLINE, or fetch the job later by its id",
                    )
                run.sleep(min(poll_interval(now - started, self.poll_max_interval), remaining))
        finally:
            self.slots.release()

    # -- jobs at the service (subtool jobs) ---------------------------------------------------

    def list_jobs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The account's newest jobs (at most ``limit``), each as the service's own JSON."""
        client, run = self._client(), self.new_run()
        http, core = client._http_client, client._core
        endpoint = core.build_list_endpoint({"limit": limit})
        body = self._call(run, "listing the jobs", lambda: http.get(endpoint, {"request_timeout": client._options.prerecorded_timeouts.list}).json())
        return [item for item in (body.get("items") or []) if isinstance(item, dict)] if isinstance(body, dict) else []

    def job(self, job_id: str) -> dict[str, Any]:
        """One job as the service's own JSON; a ``ServiceError`` when the service has no such job."""
        client = self._client()
        try:
            return self._call(self.new_run(), f"getting job {job_id}", lambda: get_job(client, job_id))
        except ServiceError as exc:
            if exc.code in ("http_404", "http_400"):
                raise ServiceError(f"the service has no job {job_id}", hint="See 'subtool jobs list'", code="http_404") from None
            raise

    def delete_job(self, job_id: str) -> None:
        """Delete a finished job (its audio and results) at the service."""
        client = self._client()
        try:
            self._call(self.new_run(), f"deleting job {job_id}", lambda: client.delete(job_id))
        except SubtoolError as exc:
            if "HTTP 403" in exc.message:
                raise ServiceError(f"job {job_id} cannot be deleted while it is queued or processing",
                                   hint="Wait until it is done (subtool jobs get ID), then delete it") from None
            if exc.code in ("http_404", "http_400"):
                raise ServiceError(f"the service has no job {job_id}", hint="See 'subtool jobs list'", code="http_404") from None
            raise

    def to_transcript(
        self,
        raw: dict[str, Any],
        *,
        targets: list[str] | None = None,
        offset: float = 0.0,
        job_ids: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> Transcript:
        return to_transcript(raw, targets=targets, offset=offset, job_ids=job_ids, notes=notes)

