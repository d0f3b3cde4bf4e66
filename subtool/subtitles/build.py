"""Tracks built: tokens (``tokens``), runs (``segment``), cues (``layout``), timing (``timing``,
``shots``), then the profile's rules checked and repaired (``rules``).

``build_track`` returns one language's cues with what still breaks the profile; ``build_cues``
only the cues; ``build_tracks`` every language of a transcript, the translations following the
spoken language's cue template by default (``template``; ``template="own"`` segments each
language on its own). The cyclic garbage collector is paused while building (``gc_paused``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from ..models import Profile, Transcript, Utterance
from .check import problems
from .layout import Layout
from .limits import limits_for
from .model import BuiltTrack, Cue
from .rules import Owners, settle
from .segment import gather
from .shots import Shots
from .template import Slot, follow, slots
from .tokens import tokens

TEMPLATES = ("source", "own")


def build_cues(
    utterances: list[Utterance],
    profile: Profile,
    *,
    language: str,
    duration: float | None = None,
    speaker_labels: bool = False,
    shots: Shots | None = None,
) -> list[Cue]:
    """Cues for one language under ``profile`` (``build_track`` without the report)."""
    return build_track(utterances, profile, language=language, duration=duration, speaker_labels=speaker_labels, shots=shots).cues


def build_track(
    utterances: list[Utterance],
    profile: Profile,
    *,
    language: str,
    duration: float | None = None,
    speaker_labels: bool = False,
    shots: Shots | None = None,
) -> BuiltTrack:
    """Cues for one language under ``profile``, and what in them still breaks it (as ``check``
    reports it). ``shots``: the video's cuts, which cue edges are timed to."""
    with gc_paused():
        # The tokens are freed when this returns, while the collector is still paused: left alive
        # until gc.enable(), they made the next allocation scan them all (the build took 8% longer).
        return built(utterances, profile, language, duration, speaker_labels, shots)[0]


def built(utterances: list[Utterance], profile: Profile, language: str, duration: float | None, speaker_labels: bool,
          shots: Shots | None) -> tuple[BuiltTrack, Layout, Owners]:
    """The track, the layout it was made from and the runs each cue holds (what a translation
    following this track's template needs)."""
    sample = " ".join(u.text for u in utterances[:20])
    lim = limits_for(profile, language, sample)
    layout = Layout(gather(tokens(utterances, lim), lim, speaker_labels), lim, speaker_labels, duration)
    cues, owners, found, layout = settle(layout, shots)
    return BuiltTrack(language, cues, found), layout, owners


def build_tracks(
    transcript: Transcript,
    profile: Profile,
    *,
    languages: list[str],
    speaker_labels: bool = False,
    template: str = "source",
    shots: Shots | None = None,
) -> list[BuiltTrack]:
    """Every language in ``languages`` (transcript languages). With ``template="source"``, a
    translation takes the spoken language's cue times (built for it even when it is not asked
    for); with ``"own"``, or when there is no spoken text, each is segmented on its own."""
    if template not in TEMPLATES:
        raise ValueError(f"template must be one of {TEMPLATES}, not {template!r}")
    spoken = transcript.language
    with gc_paused():
        source: tuple[list[Slot], list[Utterance]] | None = None
        done: dict[str, BuiltTrack] = {}
        if template == "source" and spoken and transcript.spoken(spoken) and any(lang != spoken for lang in languages):
            track, layout, owners = built(transcript.utterances, profile, spoken, transcript.duration, speaker_labels, shots)
            source = (slots(layout, owners, track.cues), transcript.utterances)
            done[spoken] = track
        out = []
        for lang in languages:
            utts = transcript.utterances_for(lang)
            if lang in done:
                out.append(done[lang])
            elif source is not None and lang != spoken:
                out.append(_following(source, utts, profile, lang, spoken))
            else:
                out.append(built(utts, profile, lang, transcript.duration, speaker_labels, shots)[0])
        return out


def _following(source: tuple[list[Slot], list[Utterance]], utterances: list[Utterance], profile: Profile, language: str,
               spoken: str | None) -> BuiltTrack:
    lim = limits_for(profile, language, " ".join(u.text for u in utterances[:20]))
    cues = follow(source[0], source[1], utterances, lim)
    return BuiltTrack(language, cues, problems(cues, lim), template=spoken)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. Building and writing allocate hundreds of thousands
    of small objects (tokens, cues, events) and make no reference cycles, but each burst of
    allocations makes the collector rescan everything alive, the whole transcript included: that
    was a third of the time on a 3-hour transcript. Reference counting still frees everything."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
