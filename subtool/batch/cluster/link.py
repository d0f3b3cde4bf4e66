"""Between a batch's client and its items on the workers: the client stays the only writer of the
SQLite state.

Each item's attempt on a worker (``Link``) sends its messages on the batch's queue (a distributed
``Queue`` on the scheduler): ``start`` (the row as the state holds it now is the answer, so an
attempt after a dead worker's polls the job the dead one recorded), ``set`` (a change of the row:
a stage, the job's token before its create, its id before the wait), and without waiting for an
answer ``created`` and ``retry`` (the pacing) and ``warning``. A ``start`` or ``set`` waits for
the client's answer on the attempt's own queue: the client (``Desk``) commits first, then
answers, so nothing is paid for that the state does not hold. Only the latest attempt of an item
is answered; an earlier one (its worker thought dead, still running) is told to stop.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import Interrupted, RateLimitError, SubtoolError
from ..pacing import Pacer
from ..state import State

if TYPE_CHECKING:
    from distributed import Client, Queue

# Waits on a queue have no timeout: the scheduler logs an error with its traceback for every
# queue_get that times out. A worker waiting for an answer is woken by its own queue instead
# (``wake``, when its item is stopped), the desk by a message of its own (``close``).


def events_name(batch: str) -> str:
    return f"subtool-batch-{batch}"


def replies_name(batch: str, attempt: str) -> str:
    return f"subtool-batch-{batch}-{attempt}"


def stop_name(batch: str) -> str:
    return f"subtool-batch-{batch}-stop"


class Link:
    """An item's attempt, on its worker: the ``Recorder`` and the pacing its ``Worker`` uses."""

    def __init__(self, client: Client, batch: str, key: str, attempt: str, worker: str, cancel: threading.Event) -> None:
        from distributed import Queue

        self.key, self.attempt, self.worker, self.cancel = key, attempt, worker, cancel
        self.events = Queue(events_name(batch), client=client)
        self.replies = Queue(replies_name(batch, attempt), client=client)
        self.seq = 0
        self.lock = threading.Lock()  # one question at a time: the pieces of a long input share the link

    def start(self) -> dict[str, Any] | None:
        """The item's row as the state holds it now (None if it holds none)."""
        row: dict[str, Any] | None = self._ask({"op": "start", "worker": self.worker}).get("row")
        return row

    def set(self, key: str, **values: Any) -> None:
        self._ask({"op": "set", "values": values})

    def created(self) -> None:
        self._tell({"op": "created"})

    def on_retry(self, error: SubtoolError) -> None:
        self._tell({"op": "retry", "rate_limited": isinstance(error, RateLimitError), "message": error.message})

    def warning(self, line: str) -> None:
        self._tell({"op": "warning", "line": line})

    def wake(self) -> None:
        """Wake a wait for an answer: the item was stopped (its cancel flag is set)."""
        with contextlib.suppress(Exception):
            self.replies.put({"wake": True})

    def close(self) -> None:
        for queue in (self.replies, self.events):
            with contextlib.suppress(Exception):  # the client or the scheduler may be gone already
                queue.close()

    def _tell(self, message: dict[str, Any]) -> None:
        self.events.put({**message, "key": self.key, "attempt": self.attempt})

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.seq += 1
            seq = self.seq
            self._tell({**message, "seq": seq})
            while True:
                reply: dict[str, Any] = self.replies.get()
                if reply.get("wake") and self.cancel.is_set():
                    raise Interrupted("cancelled: the batch was stopped, or its client is gone")
                if reply.get("seq") != seq:
                    continue
                if reply.get("stop"):
                    self.cancel.set()
                    raise Interrupted(str(reply["stop"]))
                if reply.get("error"):
                    raise SubtoolError(str(reply["error"]))
                return reply


class Desk:
    """The batch's client end: a thread that commits every change the workers send, in the order
    they come, and answers each; what it learns feeds the progress line."""

    def __init__(self, client: Client, batch: str, state: State, pacer: Pacer | None, on_warning: Callable[[str], None] | None) -> None:
        from distributed import Queue

        self.client, self.batch, self.state, self.pacer, self.on_warning = client, batch, state, pacer, on_warning
        self.events = Queue(events_name(batch), client=client)
        self.lock = threading.Lock()
        self.current: dict[str, str] = {}  # item key -> its latest attempt
        self.stages: dict[str, str] = {}  # item key -> the stage last committed
        self.started: dict[str, float] = {}  # item key -> when its first attempt started (monotonic)
        self.replies: dict[str, Queue] = {}  # attempt -> its queue
        self.stopping = False
        self.lost: BaseException | None = None  # the scheduler, gone
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="subtool-batch-desk")
        self._thread.start()

    def at_service(self) -> int:
        with self.lock:
            return sum(1 for stage in self.stages.values() if stage == "submitted")

    def forget(self, key: str) -> None:
        """The item is settled: its attempt's queue is released."""
        with self.lock:
            attempt = self.current.get(key)
            self.stages.pop(key, None)
            queue = self.replies.pop(attempt, None) if attempt else None
        if queue is not None:
            with contextlib.suppress(Exception):
                queue.close()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(Exception):
            self.events.put({"op": "close"})
        self._thread.join(10)
        with self.lock:
            queues, self.replies = list(self.replies.values()), {}
        for queue in [*queues, self.events]:
            with contextlib.suppress(Exception):
                queue.close()

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                first = self.events.get()
                rest = self.events.get(batch=True)
            except Exception as exc:  # noqa: BLE001 - the scheduler is gone: the pool says so
                if self._closed.is_set():
                    return
                self.lost = exc
                return
            for message in [first, *rest]:
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        op, key, attempt = message.get("op"), str(message.get("key")), str(message.get("attempt"))
        seq = message.get("seq")
        try:
            if op == "start":
                self._start(key, attempt, seq)
            elif op == "set":
                self._set(key, attempt, seq, message.get("values") or {})
            elif op == "created" and self.pacer is not None:
                self.pacer.created()
            elif op == "retry" and self.pacer is not None and message.get("rate_limited"):
                self.pacer.on_retry(RateLimitError(str(message.get("message"))))
            elif op == "warning" and self.on_warning is not None:
                self.on_warning(str(message.get("line")))
        except SubtoolError as exc:
            if seq is not None:
                self._answer(attempt, {"seq": seq, "error": exc.line()})
        except Exception as exc:  # noqa: BLE001 - a fault here must fail the item, not every worker waiting on the desk
            if seq is not None:
                from ...outputs import database_full

                error = database_full(exc, self.state.path)
                self._answer(attempt, {"seq": seq, "error": error.line() if error else f"the batch state could not be written: {exc}"})

    def _start(self, key: str, attempt: str, seq: Any) -> None:
        if self.stopping:
            self._answer(attempt, {"seq": seq, "stop": "the batch was stopped"})
            return
        with self.lock:
            self.current[key] = attempt
            self.started.setdefault(key, time.monotonic())
        self._answer(attempt, {"seq": seq, "row": self.state.row(key)})

    def _set(self, key: str, attempt: str, seq: Any, values: dict[str, Any]) -> None:
        with self.lock:
            latest = self.current.get(key) == attempt
        if not latest:
            self._answer(attempt, {"seq": seq, "stop": "a later attempt of this item took over"})
            return
        self.state.set(key, **values)  # committed before the worker goes on
        if "stage" in values:
            with self.lock:
                self.stages[key] = str(values["stage"])
        self._answer(attempt, {"seq": seq})

    def _answer(self, attempt: str, reply: dict[str, Any]) -> None:
        from distributed import Queue

        with self.lock:
            queue = self.replies.get(attempt)
        if queue is None:
            queue = Queue(replies_name(self.batch, attempt), client=self.client)
            with self.lock:
                self.replies[attempt] = queue
        queue.put(reply)
