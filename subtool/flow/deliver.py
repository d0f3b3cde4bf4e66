"""Stage 5, deliver: soft tracks (``media.mux``), one burned language (``media.burn``), or the
sidecars alone.

One sidecar per language is delivered, in the format the container keeps best (WebM carries
WebVTT; elsewhere SRT is the most faithful source for mov_text and Matroska). The mux hears the
spoken language, so the default track is the first one not in it; the burn draws the language the
plan decided (the one the output is named after), else the spoken one. When the sidecars were
made for another profile than the burn style's own (``--profile netflix --burn social-vertical``),
the burned language is made again for the style's profile, so a narrow picture does not wrap
2 x 42 cues into 4-line blocks, and its lines are kept to what one drawn line of the style holds
on the picture (a larger ``--font-size``); the sidecars keep theirs (the service's own file, with
``--cues service``, is burned as it wrote it). The delivered tracks come back with the flags the
output really carries. A language reused from the input's own track is not added again: its
stream is copied with the rest (unless ``--replace``), and a reused file is burned as it is.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from ..errors import ProfileViolation, UsageError
from ..models import NOTE, BurnStyle, CueProblem, Delivered, Fetched, Hooks, Plan, Profile, SubtitleTrack, Transcribed, Written


def one_per_language(tracks: list[SubtitleTrack], container: str) -> list[SubtitleTrack]:
    """One sidecar per language, in the format ``container`` keeps best."""
    order = ["vtt", "srt", "ass"] if container == "webm" else ["srt", "vtt", "ass"]
    best: dict[str | None, SubtitleTrack] = {}
    for track in tracks:
        fmt = Path(track.path).suffix.lstrip(".")
        current = best.get(track.language)
        if current is None or order.index(fmt) < order.index(Path(current.path).suffix.lstrip(".")):
            best[track.language] = track
    return list(best.values())


def deliver(fetched: Fetched, transcribed: Transcribed, written: Written, hooks: Hooks, *, force: bool | None = None) -> Delivered:
    """Mux or burn the written tracks into the fetched media as the plan says (nothing for
    sidecars only). No tracks (no speech): no video, and a warning says so."""
    plan = fetched.plan
    kind = plan.delivery.kind
    force = plan.force if force is None else force
    if kind == "sidecars":
        return Delivered(None, tracks=list(written.tracks))
    if not written.tracks:
        hooks.warning(f"{plan.input}: no speech was found, so there are no subtitles to {kind}: no video was made")
        return Delivered(None)
    assert fetched.media is not None and plan.output is not None
    with hooks.hold("ffmpeg"):
        if hooks.cancel is not None and hooks.cancel.is_set():
            from ..errors import Interrupted

            raise Interrupted("cancelled")
        if kind == "mux":
            return _mux(fetched, transcribed, written, hooks, force)
        return _burn(fetched, transcribed, written, hooks, force)


def _mux(fetched: Fetched, transcribed: Transcribed, written: Written, hooks: Hooks, force: bool) -> Delivered:
    from ..media.mux import mux

    plan = fetched.plan
    assert fetched.media is not None and plan.output is not None
    hooks.status("muxing")
    info = fetched.info
    # A language reused from one of the input's own tracks is in the output already (its stream
    # is copied as it is), unless --replace drops them: then its extracted file goes in instead.
    kept = set() if plan.delivery.replace else {r.language for r in plan.reused if r.origin == "track"}
    new = [t for t in one_per_language(written.tracks, plan.delivery.container or "mkv") if t.language not in kept]
    if not new:
        hooks.status(f"{NOTE}every language is already a track of {plan.input}: no video was made")
        return Delivered(None, tracks=list(written.tracks))
    spoken = transcribed.transcript.language or (plan.options.languages[0] if len(plan.options.languages) == 1 else None)
    muxed = mux(
        fetched.media, new, plan.output,
        probed=(lambda: info) if info is not None else None,  # the plan's probe: no second ffprobe
        preset=plan.delivery.mux, default=plan.delivery.default, forced=list(plan.delivery.forced), replace=plan.delivery.replace,
        spoken=spoken, force=force, on_progress=hooks.stage("mux"), on_warning=hooks.warning,
    )
    flags = {m.source: (m.default, m.forced, m.title) for m in muxed.tracks}
    by_language = {t.language: flags[t.path] for t in written.tracks if t.path in flags}
    flagged = [
        dataclasses.replace(t, default=f[0], forced=f[1], title=f[2]) if (f := by_language.get(t.language)) else t for t in written.tracks
    ]
    return Delivered(Path(muxed.output), tracks=flagged)


def _burn(fetched: Fetched, transcribed: Transcribed, written: Written, hooks: Hooks, force: bool) -> Delivered:
    from ..media.burn import burn

    plan = fetched.plan
    assert fetched.media is not None and plan.output is not None and plan.delivery.burn is not None
    lang = plan.burn_language or transcribed.transcript.language
    track = next((t for t in one_per_language(written.tracks, "mp4") if t.language == lang), None)
    if track is None or lang is None:
        made = ", ".join(transcribed.transcript.all_languages())
        raise UsageError(f"no {lang} subtitles were made to burn", hint=f"Pick --burn-language among: {made}")
    hooks.status(f"burning {lang}")
    with tempfile.TemporaryDirectory(prefix="subtool-burn-track-") as tmp:
        # The service's own file (--cues service) is burned as it wrote it, never remade for the style.
        if track.path in written.service_files:
            _checked_for_style(plan, Path(track.path), lang, hooks)
            drawn = Path(track.path)
        else:
            drawn = _for_style(fetched, transcribed, lang, Path(tmp), hooks) or Path(track.path)
        out = burn(fetched.media, drawn, plan.output, style=plan.delivery.burn, language=lang, force=force,
                   on_progress=hooks.stage("burn"), cancel=hooks.cancel, on_warning=hooks.warning)
    return Delivered(out, burned=lang, tracks=list(written.tracks))


def _checked_for_style(plan: Plan, path: Path, lang: str, hooks: Hooks) -> None:
    """The service's file (``--cues service``) is burned as it wrote it: what in it breaks the burn
    style's own profile, when that is not the sidecars', is said (refused with ``--strict``)."""
    from ..presets import load_profile
    from .write import report_lines, service_problems

    assert plan.delivery.burn is not None
    profile = load_profile(plan.delivery.burn.profile)
    if profile == plan.profile:
        return
    shown = f"{plan.output} (burned {lang})"
    problems = [dataclasses.replace(p, path=shown) for p in service_problems(path.read_text(encoding="utf-8"), path, lang, profile)]
    if problems and plan.options.strict:
        raise ProfileViolation(f"{len(problems)} problem(s) in the service's {lang} subtitles under the burn style's {profile.name} profile: "
                               "nothing was burned (--strict)", path=plan.input,
                               hint="Run without --strict, burn with a style whose profile they meet, or use --cues subtool")
    for line in report_lines(problems, profile.name):
        hooks.warning(line)


def _for_style(fetched: Fetched, transcribed: Transcribed, lang: str, folder: Path, hooks: Hooks) -> Path | None:
    """The burned language made again for the burn style's own profile when the sidecars were made
    for another (``--profile netflix --burn social-vertical``: 2 x 42 cues would be drawn as 4-line
    blocks in the vertical style), its lines no longer than one drawn line of the style holds on
    this picture (``_drawn_profile``); None when that is the sidecars' profile."""
    from ..subtitles import build_tracks, write_track
    from .write import report_lines, shots_for

    plan = fetched.plan
    style = plan.delivery.burn
    assert style is not None
    profile, narrowed = _drawn_profile(style, fetched)
    if profile == plan.profile or lang in plan.reused_languages:  # a reused file is burned as it is
        return None
    transcript = transcribed.transcript
    [built] = build_tracks(transcript, profile, languages=[lang], speaker_labels=plan.speaker_labels, template=plan.options.template,
                           shots=shots_for(plan, transcript))
    path = write_track(built.cues, folder / f"burn.{lang}.srt", fmt="srt")
    why = f", the widest line the {style.name} style draws on this picture" if narrowed else ""
    hooks.status(f"{NOTE}the burned {lang} subtitles are made for the {style.name} style's {profile.name} profile "
                 f"({profile.max_chars_per_line} characters{why} x {profile.max_lines} lines); the sidecars keep the {plan.profile.name} profile")
    problems = [CueProblem(lang, v.index, v.start, v.end, v.code, v.message, path=f"{plan.output} (burned {lang})", template=built.template)
                for v in built.violations]
    if problems and plan.options.strict:
        raise ProfileViolation(f"{len(problems)} problem(s) in the burned {lang} subtitles under the {profile.name} profile: nothing was burned (--strict)",
                               path=plan.input, hint="Run without --strict, or burn with a style whose profile the cues meet")
    for line in report_lines(problems, profile.name):
        hooks.warning(line)
    return path


def _drawn_profile(style: BurnStyle, fetched: Fetched) -> tuple[Profile, bool]:
    """The burn style's profile, its lines narrowed to what one drawn line of the style holds on
    the video's picture (``subtitles.burnfit``), so libass never wraps a cue onto more lines than
    the profile allows (a larger ``--font-size``, a narrow picture); and whether it was narrowed."""
    from ..presets import load_profile
    from ..subtitles.burnfit import GLYPH_EM, chars_per_line

    profile = load_profile(style.profile)
    video = fetched.info.video_streams[0] if fetched.info is not None and fetched.info.video_streams else None
    if video is None or not video.width or not video.height:
        return profile, False
    per_line = chars_per_line(style, video.width, video.height)
    chars, cjk = min(profile.max_chars_per_line, int(per_line)), min(profile.cjk_max_chars_per_line, int(per_line * GLYPH_EM))
    if (chars, cjk) == (profile.max_chars_per_line, profile.cjk_max_chars_per_line):
        return profile, False
    return dataclasses.replace(profile, max_chars_per_line=max(1, chars), cjk_max_chars_per_line=max(1, cjk)), True
