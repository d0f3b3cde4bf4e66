"""A done job's JSON as a ``Transcript``: utterances and words read defensively, translations
matched to the request by their ``languages`` field, what is missing said as notes. The service's
subtitle texts are kept as it wrote them (the transcribe stage normalises them)."""

from __future__ import annotations

from typing import Any

from ...errors import SubtoolError
from ...models import Transcript, Utterance, Word
from .request import service_code


def _num(value: object) -> float | None:
    """A finite number from the service's JSON, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _utterances(items: list[dict[str, Any]] | None, offset: float) -> list[Utterance]:
    """The service's utterances as ``Utterance``s, times shifted by ``offset``. Read defensively
    (real translations come with ``words: []``, ``text: ""``): a word without text or times is
    left out, an utterance without text gets its words' text, an utterance that cannot be timed
    at all is left out; an utterance with neither text nor words is kept, empty, so that the
    utterances stay aligned with the spoken ones (``Transcript.translations``)."""
    out: list[Utterance] = []
    for u in items or []:
        if not isinstance(u, dict):
            continue
        words: list[Word] = []
        spoken: list[str] = []
        for w in u.get("words") or []:
            if not isinstance(w, dict):
                continue
            text = str(w.get("word") or "")
            start, end = _num(w.get("start")), _num(w.get("end"))
            spoken.append(text)
            if not text.strip() or start is None or end is None:
                continue
            words.append(Word(text=text.strip(), start=round(start + offset, 3), end=round(max(start, end) + offset, 3),
                              confidence=_num(w.get("confidence"))))
        start, end = _num(u.get("start")), _num(u.get("end"))
        if start is None:
            start = words[0].start - offset if words else None
        if end is None:
            end = words[-1].end - offset if words else start
        if start is None or end is None:
            continue
        text = str(u.get("text") or "").strip() or "".join(spoken).strip()
        out.append(
            Utterance(
                start=round(start + offset, 3),
                end=round(max(start, end) + offset, 3),
                text=text,
                words=words,
                speaker=u.get("speaker") if isinstance(u.get("speaker"), int) else None,
                language=str(u["language"]) if u.get("language") else None,
                confidence=_num(u.get("confidence")),
                channel=u.get("channel") if isinstance(u.get("channel"), int) else None,
            )
        )
    return out


def _subtitles(items: list[dict[str, Any]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in items or []:
        if isinstance(s, dict) and s.get("format") and str(s.get("subtitles") or "").strip() not in ("", "WEBVTT"):
            out[str(s["format"])] = str(s["subtitles"])
    return out


def _addon_error(error: object) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("exception") or error.get("status_code") or "failed")
    return str(error)


def to_transcript(
    raw: dict[str, Any],
    *,
    targets: list[str] | None = None,
    offset: float = 0.0,
    job_ids: list[str] | None = None,
    notes: list[str] | None = None,
) -> Transcript:
    """A done job's JSON -> ``Transcript``, times shifted by ``offset`` seconds. ``targets`` are
    the requested translation languages (the user's tags): each translation result is matched to
    them by its ``languages`` field (by position only when it has none). What the result lacks
    (a translation that failed or did not come, utterances that came back empty) is appended to
    ``notes``. Audio without speech gives ``language`` None and no utterances."""
    notes = notes if notes is not None else []
    result = raw.get("result") or {}
    tr = result.get("transcription") or {}
    utterances = _utterances(tr.get("utterances"), offset)
    detected = [str(c) for c in tr.get("languages") or [] if c]
    language = _spoken(raw, detected, utterances)
    transcript = Transcript(
        language=language,
        utterances=utterances,
        languages=detected or ([language] if language else []),
        duration=_num((result.get("metadata") or {}).get("audio_duration")),
        engine="gladia",
        job_ids=list(job_ids or ([str(raw["id"])] if raw.get("id") else [])),
    )
    if transcript.duration is not None and offset:
        transcript.duration = round(offset + float(transcript.duration), 3)
    subs = _subtitles(tr.get("subtitles"))
    if subs and language:
        transcript.subtitles[language] = subs
    if utterances:  # nothing said: there is nothing to translate
        _translations(transcript, result.get("translation") or {}, list(targets or []), offset, notes)
    return transcript


def _spoken(raw: dict[str, Any], detected: list[str], utterances: list[Utterance]) -> str | None:
    """The spoken language: the first detected, else the utterances', else the one forced in the
    request (the service may leave ``languages`` empty when it was told)."""
    language = detected[0] if detected else next((u.language for u in utterances if u.language), None)
    if language is None and any(u.text for u in utterances):
        forced = ((raw.get("request_params") or {}).get("language_config") or {}).get("languages") or []
        language = str(forced[0]) if len(forced) == 1 else None
    return language


def _translations(transcript: Transcript, translation: dict[str, Any], requested: list[str], offset: float, notes: list[str]) -> None:
    """The translation results into ``transcript``, matched to the requested tags by their
    languages, in request order; what failed, came back empty or did not come, said in ``notes``."""
    by_code: dict[str, list[str]] = {}
    for tag in requested:
        try:
            code = service_code(tag, translation=True)
        except SubtoolError:
            code = tag
        by_code.setdefault(code, []).append(tag)
    found = translation.get("results")
    told: set[str] = set()
    for i, item in enumerate(found if isinstance(found, list) else []):
        if not isinstance(item, dict):
            continue
        tags = _tags(item, i, requested, by_code, notes)
        if not tags:
            continue
        if item.get("error"):
            notes.append(f"the {', '.join(tags)} translation failed at the service ({_addon_error(item['error'])}): no {', '.join(tags)} subtitles")
            told.update(tags)
            continue
        translated = _utterances(item.get("utterances"), offset)
        empty = sum(1 for u in translated if not u.text)
        if empty:
            notes.append(
                f"{', '.join(tags)}: {empty} of {len(translated)} translated utterances came back empty from the service: "
                "those lines have no subtitle in that language"
            )
        subs = _subtitles(item.get("subtitles"))
        for tag in tags:
            transcript.translations[tag] = translated
            if subs:
                transcript.subtitles[tag] = subs
    order = {tag: i for i, tag in enumerate(requested)}
    transcript.translations = dict(sorted(transcript.translations.items(), key=lambda kv: order.get(kv[0], len(order))))
    missing = [t for t in requested if t not in transcript.translations and t not in told]
    if missing:
        why = f" (the translation failed: {_addon_error(translation['error'])})" if translation.get("error") else ""
        notes.append(f"the service sent no {', '.join(missing)} translation{why}: no subtitles in {'that language' if len(missing) == 1 else 'those languages'}")


def _tags(item: dict[str, Any], i: int, requested: list[str], by_code: dict[str, list[str]], notes: list[str]) -> list[str]:
    """The requested tags a translation result is for: by its ``languages`` field, by position
    only when it has none; one that was not asked for is said and left out."""
    got = next((str(c) for c in item.get("languages") or [] if c), None)
    if got is None:
        return [requested[i]] if i < len(requested) else []
    if not requested:
        return [got]
    tags = by_code.get(got, [got] if got in requested else [])
    if not tags:
        notes.append(f"the service sent a translation into '{got}', which was not asked for: left out")
    return tags
