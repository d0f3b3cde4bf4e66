"""Before any upload, each worker is asked what it sees: every local input readable, every output
folder writable (a file made and removed in it, or in its nearest existing parent: a read-only
mount passes a permission check), the cookies file; and what it is: subtool's version, ffmpeg
and ffprobe on its PATH, the account its environment names. A worker that differs in what it is
refuses the batch (one line naming it); an item a worker cannot see or write fails with a line
naming the worker and the path, before anything of it is uploaded, and the others run.

The check runs as one task pinned to each worker, in its thread pool rather than its event loop
(a slow shared mount must not stall its heartbeats). Workers that join later are not checked.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import AuthError, InputError, SubtoolError, UsageError
from ..claims import output_folders
from ..manifest import is_url
from .connect import workers

if TYPE_CHECKING:
    from distributed import Client

    from ..worker import Work
    from .task import EngineSpec

CHECK_S = 120.0  # for every worker to answer (thousands of inputs on a slow mount)
SHARED_HINT = "Inputs and outputs must be on storage every worker mounts at the same path (or the inputs URLs)"


def _unreadable(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    return None


def _unwritable(folder: str) -> str | None:
    from ...outputs import existing_ancestor

    where = existing_ancestor(Path(folder))
    try:
        with tempfile.NamedTemporaryFile(prefix=".subtool-check-", dir=where):
            return None
    except OSError as exc:
        return f"{exc.strerror or exc} in {where}" if where != Path(folder).absolute() else (exc.strerror or str(exc))


def inspect(inputs: list[str], folders: list[str], gladia: bool) -> dict[str, Any]:
    """On a worker: what it sees of ``inputs`` and ``folders``, and what it is."""
    from distributed import get_worker

    from ... import __version__
    from .slots import env_account

    me = get_worker()
    account: str | None = None
    if gladia:
        try:
            account = env_account()
        except SubtoolError as exc:
            account = f"! {exc.line()}"
    return {
        "host": socket.gethostname(),
        "name": str(me.name),
        "version": __version__,
        "ffmpeg": all(shutil.which(tool) for tool in ("ffmpeg", "ffprobe")),
        "account": account,
        "unseen": {p: why for p in inputs if (why := _unreadable(p)) is not None},
        "unwritable": {f: why for f in folders if (why := _unwritable(f)) is not None},
    }


def label(address: str, facts: dict[str, Any]) -> str:
    """A worker as messages name it: its name (``dask worker --name``), address and host."""
    name, where = facts.get("name"), f"{address} on {facts.get('host')}"
    return f"{name} ({where})" if name and name != address else where


def _worker_problem(address: str, facts: dict[str, Any], spec: EngineSpec) -> SubtoolError | None:
    from ... import __version__

    who = label(address, facts)
    if facts["version"] != __version__:
        return UsageError(f"worker {who} runs subtool {facts['version']}, this client {__version__}",
                          hint="Install the same subtool on every worker")
    if not facts["ffmpeg"]:
        return UsageError(f"worker {who} has no ffmpeg and ffprobe on its PATH", hint="Install ffmpeg on every worker")
    if spec.name == "gladia":
        account = facts["account"]
        if account is None:
            return AuthError(f"worker {who} has no GLADIA_API_KEY in its environment",
                             hint="Start every worker with the client's GLADIA_API_KEY and GLADIA_API_URL")
        if str(account).startswith("! "):
            return UsageError(f"worker {who}: {str(account)[2:]}")
        if account != spec.account:
            return UsageError(f"worker {who} uses another Gladia key or API URL than this client",
                              hint="Start every worker with the client's GLADIA_API_KEY and GLADIA_API_URL")
    return None


def _item_problem(w: Work, answers: dict[str, dict[str, Any]]) -> SubtoolError | None:
    item = w.item
    for address, facts in answers.items():
        who = label(address, facts)
        if not is_url(item.input) and item.input in facts["unseen"]:
            return InputError(f"worker {who} cannot see it ({facts['unseen'][item.input]})", path=item.input, hint=SHARED_HINT)
        for folder in sorted(str(f) for f in output_folders(item)):
            if folder in facts["unwritable"]:
                return UsageError(f"worker {who} cannot write into {folder} ({facts['unwritable'][folder]})", path=item.where,
                                  hint=SHARED_HINT)
        cookies = w.request.cookies
        if cookies is not None and cookies in facts["unseen"]:
            return UsageError(f"worker {who} cannot read the cookies file ({facts['unseen'][cookies]})", path=cookies, hint=SHARED_HINT)
    return None


def check(client: Client, batch: str, work: list[Work], spec: EngineSpec) -> dict[str, SubtoolError]:
    """Ask every worker (see the module docstring); the items that cannot run, by key. Raises
    ``UsageError`` for a worker that differs in what it is, or does not answer."""
    inputs = sorted({w.item.input for w in work if not is_url(w.item.input)} | {w.request.cookies for w in work if w.request.cookies})
    folders = sorted({str(f) for w in work for f in output_folders(w.item)})
    found = workers(client)
    futures = {addr: client.submit(inspect, inputs, folders, spec.name == "gladia", key=f"subtool-check-{batch}-{n}", pure=False,
                                   workers=[addr], allow_other_workers=False)
               for n, addr in enumerate(sorted(found))}
    deadline = time.monotonic() + CHECK_S
    try:
        for future in futures.values():
            future.exception(timeout=max(0.01, deadline - time.monotonic()))  # waits for its end, raises nothing of the task's
    except TimeoutError:
        late = sorted(addr for addr, f in futures.items() if not f.done())
        raise UsageError(f"worker {late[0]} did not answer the storage check within {CHECK_S:.0f} s",
                         hint="Check that worker (or stop it), then run again with --resume") from None
    answers: dict[str, dict[str, Any]] = {}
    for addr, future in futures.items():
        if future.status != "finished":
            raise UsageError(f"worker {addr} could not run the storage check ({future.exception()})")
        answers[addr] = future.result()
    for addr, facts in sorted(answers.items()):
        problem = _worker_problem(addr, facts, spec)
        if problem is not None:
            raise problem
    return {w.key: problem for w in work if (problem := _item_problem(w, answers)) is not None}
