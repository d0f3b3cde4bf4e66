"""Shot changes for one run: whether they are looked for, found beside the transcription, kept in
the transcript (so transcript.json and the cache entry hold them).

They are looked for when ``--shot-changes`` is given, or by default when the profile says so
(``shot_changes = true``: netflix) and the input has video here (a URL the service fetches itself
has none). A transcript that comes from the cache with its cuts needs no new detection.

Why beside the engine and not inside the audio extraction's ffmpeg pass: the cuts need every
frame decoded, which on a 1080p H.264 input costs about 20 to 25 times the audio extraction (10
minutes of 12 Mbit/s 1080p: 78 s against 3.2 s; the single pass took 82 s,
``benchmarks/bench_shots.py``). In the extraction's pass that decode would hold back the upload
(and a rerun's cache lookup) by all of it; in a pass of its own, started once the audio is out
and the cache missed, it runs while the service (or the offline model) transcribes, and the run
waits only for what is left of it when the transcript is in. Reading the input twice costs one
more demux, a small share of the decode. A detection that fails is said and the run goes on
without cuts; a stop or an interrupt stops it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import Interrupted, SubtoolError
from ..models import NOTE, Fetched, Hooks, Transcript


def wanted(fetched: Fetched) -> bool:
    """Should this run's cue edges follow the video's shot changes? Not with ``--cues service``:
    the service's files are delivered as it wrote them, and the decode (20-25x the audio
    extraction) would be paid for nothing; a later run from the cache with subtool's cues looks
    for the cuts then, without a new job."""
    plan = fetched.plan
    if plan.options.cues == "service":
        return False
    return plan.options.shot_changes if plan.options.shot_changes is not None else plan.profile.shot_changes


class Detection:
    """One detection pass in a thread of its own (``start``), joined by ``attach``."""

    def __init__(self, fetched: Fetched, hooks: Hooks) -> None:
        self.fetched = fetched
        self.hooks = hooks
        self.cancel = threading.Event()
        self.found: tuple[list[float], float] | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.waited = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="subtool-shots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from ..media.shots import detect

        t0 = time.monotonic()
        try:
            assert self.fetched.media is not None and self.fetched.info is not None
            with self.hooks.hold("ffmpeg"):
                if not self.cancel.is_set():
                    shots = detect(self.fetched.media, self.fetched.info, cancel=self.cancel)
                    self.found = (shots.cuts, shots.fps)
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that attaches the result
            self.error = exc
        self.seconds = time.monotonic() - t0

    def stop(self) -> None:
        self.cancel.set()
        if self._thread is not None:
            self._thread.join()

    def attach(self, transcript: Transcript, timings: dict[str, float]) -> Transcript:
        """``transcript`` with the cuts found (once the pass is over); a failure is said, an
        interrupt raised."""
        if self._thread is not None:
            t0 = time.monotonic()
            self._thread.join()
            self.waited = time.monotonic() - t0
            timings["shots"] = self.seconds
            timings["shots_wait"] = self.waited
        if isinstance(self.error, Interrupted | KeyboardInterrupt):
            raise self.error
        if self.error is not None:
            why = self.error.line() if isinstance(self.error, SubtoolError) else f"{type(self.error).__name__}: {self.error}"
            self.hooks.warning(f"{self.fetched.plan.input}: the shot changes could not be found ({why}): cue edges are not timed to them")
            return transcript
        if self.found is None:
            return transcript
        cuts, fps = self.found
        self.hooks.status(f"{NOTE}{len(cuts)} shot change(s) found: cue edges are timed to them")
        return dataclasses.replace(transcript, shot_changes=cuts, frame_rate=fps)


@contextmanager
def beside(fetched: Fetched, hooks: Hooks, *, cached: Transcript | None) -> Iterator[Detection | None]:
    """A detection running while the block transcribes, when the run wants cuts and has none
    (``cached``: the transcript the cache gave, whose cuts are reused); None otherwise. The pass
    is stopped when the block fails."""
    if not wanted(fetched) or (cached is not None and cached.shot_changes is not None):
        yield None
        return
    info = fetched.info
    if fetched.media is None or info is None or not info.video_streams:
        if fetched.plan.options.shot_changes:
            where = "the service fetches the URL itself" if fetched.media is None else "the input has no video"
            hooks.status(f"{NOTE}shot changes were not looked for: {where}")
        yield None
        return
    detection = Detection(fetched, hooks)
    detection.start()
    try:
        yield detection
    except BaseException:
        detection.stop()
        raise
