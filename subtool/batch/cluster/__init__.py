"""A batch on a Dask cluster: the same items, state, report and resume as one machine, with the
local work (audio extraction, mux, burn, the offline model) spread over the cluster's workers.

``subtool batch --cluster tcp://HOST:8786`` uses a running ``dask scheduler``; ``--workers N``
starts a local cluster of N worker processes. Dask and distributed are the ``subtool[cluster]``
extra, imported only here (and only for those options). One concept per module:

- ``connect``: the client, to the scheduler given or a local cluster it starts; the dashboard's
  address said once.
- ``slots``: the account's job slots, a named ``distributed.Semaphore`` per API URL and key
  fingerprint (a hash, never the key), so every worker of a batch, and every batch sharing the
  scheduler, counts against one ``--max-jobs``. A lease is refreshed by the process that holds
  it: a worker that dies gives its leases back after Dask's ``locks.lease-timeout`` (30 s by
  default). The client paces the shared limit on 429s by holding leases back.
- ``link``: the client stays the only writer of the SQLite state. A worker sends each change of
  an item's row (the job's token before its create, its id before waiting on it) through a
  distributed ``Queue``; the client commits it and answers on the item's own queue before the
  worker goes on (a round trip of about 5 ms on loopback; an item makes about six).
- ``task``: one item on a worker, the same ``batch.worker.Worker`` over the stages, its engine
  built there from the worker's own environment (GLADIA_API_KEY and GLADIA_API_URL never travel
  in a task). The task leaves the worker's thread pool at once (``secede``): waiting on the
  service holds no thread, and local steps take one of the worker's slots, as many as its
  threads (``dask worker --nthreads``, by default its cores). A worker that dies mid-item: Dask
  runs the task again elsewhere, and the new attempt reads the row from the client, so a job
  recorded (or only its token) is polled, never paid again; the dead attempt's late messages are
  refused.
- ``preflight``: before any upload, each worker says whether it sees every input and can write
  every output folder (and has ffmpeg, the same subtool, the same account): an item a worker
  cannot see fails with a line naming the worker and the path; the others run.
- ``pool``: the client's loop: items submitted in order (jobs already at the service first), as
  many at once as the slots and the workers' threads can use, each to the least busy worker;
  progress, Ctrl-C, the report.
"""

from __future__ import annotations

from typing import Any

from ...errors import UsageError

EXTRA_HINT = "Install the cluster extra where subtool runs: pip install 'subtool[cluster]'"


def check_request(cluster: str | None, workers: int | None, local_jobs: int | None, engine: Any) -> None:
    """The options of a cluster batch, and Dask itself, checked before the state is touched."""
    if cluster is not None and workers is not None:
        raise UsageError("--cluster and --workers exclude each other",
                         hint="Give --cluster to use a running Dask scheduler, or --workers N to start N local worker processes")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {workers}")
    if cluster is not None and not str(cluster).strip():
        raise UsageError("--cluster needs the scheduler's address", hint="For example --cluster tcp://HOST:8786")
    if cluster is not None and local_jobs is not None:
        raise UsageError("--local-jobs sets one machine's slots; on a cluster each worker runs as many local steps at once as it has threads",
                         hint="Start each worker with dask worker --nthreads N instead")
    if not isinstance(engine, str):
        raise UsageError("a batch on a Dask cluster builds its engine on each worker, from that worker's environment",
                         hint="Give the engine by name (auto, gladia or local)")
    try:
        import distributed  # noqa: F401
    except ImportError:
        option = "--cluster" if cluster is not None else "--workers"
        raise UsageError(f"{option} runs the batch on Dask, which is not installed", hint=EXTRA_HINT) from None
