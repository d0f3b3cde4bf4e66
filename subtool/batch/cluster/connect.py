"""The batch's client on Dask: connected to the scheduler ``--cluster`` names (its address, or the
file ``dask scheduler --scheduler-file`` wrote), or to a local cluster of ``--workers`` processes
started here (on loopback, each with the CPU count divided among them as its threads, or
``--local-jobs`` each, ignoring Ctrl-C: the client stops the items). The dashboard's address is said once; the account's semaphore is
registered before the state is touched, so a batch whose ``--max-jobs`` disagrees with another's
on the same scheduler is refused at once. Reaching the scheduler waits as long as Dask's
``distributed.comm.timeouts.connect`` (30 s by default)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...engines.base import is_job_engine
from ...errors import AuthError, UsageError
from .slots import ClusterSlots, env_account, semaphore

if TYPE_CHECKING:
    from distributed import Client

    from ..scheduler import Settings

WORKERS_S = 60.0  # for a first worker to join a scheduler that has none yet


@dataclass
class Connection:
    client: Client
    address: str
    account: str | None  # the account's semaphore name (gladia)
    slots: ClusterSlots | None  # the account's slots as the client paces them


def _client(cluster: str | None, workers: int | None, local_jobs: int | None, stack: contextlib.ExitStack) -> Client:
    from distributed import Client, LocalCluster

    if workers is not None:
        threads = local_jobs or max(1, (os.cpu_count() or 1) // workers)
        local = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True, host="127.0.0.1",
                                                 dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR, preload=[__name__]))
        return stack.enter_context(Client(local, set_as_default=False))
    assert cluster is not None
    target = cluster.strip()
    try:
        if "://" not in target and Path(target).is_file():
            return stack.enter_context(Client(scheduler_file=target, set_as_default=False))
        return stack.enter_context(Client(target, set_as_default=False))
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"could not reach the Dask scheduler at {target} ({type(exc).__name__}: {exc})".rstrip(": ()"),
                         hint="Start it there with `dask scheduler`, or check the address (tcp://HOST:8786)") from None


def dask_setup(worker: object) -> None:
    """Run by Dask in each worker process of a local cluster as it starts (``preload``): Ctrl-C
    at a terminal reaches every process of its group, and the batch's client is the one that
    stops the items (its stop event) and records how far they got; a worker that died of it
    would leave them to be cancelled after ``pool.STOP_GRACE_S``, with a traceback each."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def dashboard(client: Client) -> str | None:
    """The scheduler's dashboard address, if it serves one."""
    try:
        link = client.dashboard_link
    except (KeyError, AttributeError):  # a scheduler started without bokeh, or with --no-dashboard
        return None
    return str(link) if link else None


@contextlib.contextmanager
def connect(cluster: str | None, workers: int | None, local_jobs: int | None, settings: Settings,
            notes: Callable[[str], None] | None) -> Iterator[Connection]:
    """The batch's connection, closed (and a local cluster stopped) on the way out."""
    with contextlib.ExitStack() as stack:
        client = _client(cluster, workers, local_jobs, stack)
        address = str(client.scheduler.address) if client.scheduler is not None else str(cluster)
        try:
            client.wait_for_workers(1, timeout=WORKERS_S)
        except TimeoutError:
            raise UsageError(f"the Dask scheduler at {address} has no workers", hint=f"Start one on each machine: dask worker {address}") from None
        if notes:
            link = dashboard(client)
            notes(f"dask dashboard: {link}" if link else f"dask scheduler {address}: it serves no dashboard (install bokeh where it runs)")
        account, slots = None, None
        if is_job_engine(settings.engine):
            account = env_account()
            if account is None:
                raise AuthError("no Gladia API key", hint="Set GLADIA_API_KEY here and on every worker")
            slots = ClusterSlots(semaphore(account, settings.max_jobs, client), settings.max_jobs)
            stack.callback(slots.close)
        yield Connection(client, address, account, slots)


def workers(client: Client) -> dict[str, dict[str, Any]]:
    """The scheduler's workers now: address -> Dask's description (``nthreads``, ``name``, ``host``)."""
    info = client.scheduler_info(n_workers=-1)
    return {str(addr): dict(w) for addr, w in info.get("workers", {}).items()}
