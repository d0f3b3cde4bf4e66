"""Where a batch's items write, checked before any job: two items that would write the same
file are refused (paths compared as the filesystem compares them: symlinks and ``..`` resolved,
case ignored where the folder ignores it), and a manifest's items write only inside its folder or
the -d folder unless ``allow_outside`` (a shared manifest once wrote far above its own folder)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..flow import plan as stage
from ..models import Delivery, TranscribeOptions
from .manifest import Item, is_url


def _side_stem(item: Item) -> Path | None:
    """The stem of an item's side files (sidecars, transcript.json, raw.json), by the rule every
    run follows (``stage.side_stem``): in ``outdir`` named after the input, else beside
    ``output`` named after it, else beside the input. A URL's stem is its title, known once it is
    resolved (None here) unless ``output`` names it."""
    outdir = Path(item.outdir) if item.outdir else None
    if is_url(item.input):
        return stage.side_stem(Path.cwd(), "", output=item.output, outdir=None) if item.output and outdir is None else None
    return stage.side_stem(Path(item.input).parent, Path(item.input).stem, output=item.output, outdir=outdir)


def item_outputs(item: Item, options: TranscribeOptions, deliv: Delivery, keep_raw: bool) -> set[Path]:
    """The files ``item`` writes that are known before it runs: its video and its side files
    (a language left to detection, or a URL's title, is known only later: the item's own checks
    refuse those outputs when they exist)."""
    stem = _side_stem(item)
    out: set[Path] = set()
    if stem is not None:
        out.update(stage.planned_outputs(stem, options, keep_raw=keep_raw))
    if item.output:
        out.add(Path(item.output))
    elif stem is not None and deliv.kind != "sidecars":
        video = stage.output_for(stem, deliv, None, stage.burn_choice(deliv, options))
        if video is not None:
            out.add(video)
    return out


def output_folders(item: Item) -> set[Path]:
    folders = {Path(f) for f in (item.outdir, Path(item.output).parent if item.output else None) if f}
    if not folders:
        folders.add(Path.cwd() if is_url(item.input) else Path(item.input).parent)
    return folders


def _case_insensitive(folder: Path) -> bool:
    """Whether ``folder`` finds names whatever their case (macOS and Windows by default, a Linux
    folder with casefolding): a probe file made there is looked up in upper case. A folder that
    cannot be written is taken as case-sensitive (nothing is written there anyway)."""
    try:
        with tempfile.NamedTemporaryFile(prefix=".subtool-case-probe-", dir=folder) as probe:
            name = Path(probe.name).name
            return (folder / name.upper()).exists()
    except OSError:
        return False


class Claims:
    """Which item writes which output, paths compared as the filesystem does: symlinks and ``..``
    resolved, and regardless of case where the folder is case-insensitive (probed, once per
    folder, only when two paths differ by case alone)."""

    def __init__(self) -> None:
        self.owners: dict[str, list[tuple[str, str]]] = {}  # casefolded -> [(resolved, where)]
        self.folding: dict[Path, bool] = {}

    def clash(self, paths: Iterable[Path]) -> tuple[Path, str] | None:
        """The first of ``paths`` that an item already claimed, with that item's place."""
        for path in sorted(paths):
            full = path.resolve()
            for other, where in self.owners.get(str(full).casefold(), []):
                if other == str(full) or self._folds(full.parent):
                    return full, where
        return None

    def claim(self, paths: Iterable[Path], where: str) -> None:
        for path in paths:
            full = path.resolve()
            self.owners.setdefault(str(full).casefold(), []).append((str(full), where))

    def _folds(self, folder: Path) -> bool:
        from ..outputs import existing_ancestor

        probe_in = existing_ancestor(folder)
        if probe_in not in self.folding:
            self.folding[probe_in] = _case_insensitive(probe_in)
        return self.folding[probe_in]


def outside(folder: Path, roots: list[Path]) -> bool:
    full = folder.resolve()
    return not any(full == root or full.is_relative_to(root) for root in roots)
