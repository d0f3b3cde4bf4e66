"""Deterministic transcripts and the ``result`` object of a done job.

Words are plain dicts shaped as the API sends them (``{"word", "start", "end", "confidence"}``,
a leading space on every word but an utterance's first). Subtitles are written from the words
under ``subtitles_config``; the SRT uses a dot before the milliseconds, as the real service does.

Audio without speech gets what the schema allows and the service sends for it: no language, no
utterances, an empty ``full_transcript`` and empty subtitle files. ``messy=True`` shapes the
translations like a real capture (a June 2025 job, Japanese to French and English): some translated
utterances come back with ``words: []`` and ``text: ""``, others with text but no words, the first
one keeps source words untranslated, the SRT drops the last word and the VTT splits a cue the SRT
does not, and the results come in the reverse of the requested order (only ``languages`` says
which is which).
"""

from __future__ import annotations

import re
from typing import Any

from .audio import FRAME, voiced_regions

PLACEHOLDER = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat"
).split()
WORDS_PER_SECOND = 2.5
PLACEHOLDER_UTTERANCE = 8
SENTENCE_END = re.compile(r"[.!?…]$")

Word = dict[str, Any]
Utterance = dict[str, Any]


def _r(x: float) -> float:
    return round(x, 3)


def _confidence(i: int) -> float:
    return round(0.86 + (i * 37 % 13) / 100, 2)


def placeholder_words(duration: float) -> list[str]:
    """Lorem words at about 2.5 per second, each utterance-sized group closed by a full stop."""
    n = max(1, round(duration * WORDS_PER_SECOND))
    words = [PLACEHOLDER[i % len(PLACEHOLDER)] for i in range(n)]
    for i in range(PLACEHOLDER_UTTERANCE - 1, n, PLACEHOLDER_UTTERANCE):
        words[i] += "."
    words[-1] = words[-1].rstrip(".") + "."
    words[0] = words[0].capitalize()
    return words


def time_words(tokens: list[str], regions: list[tuple[float, float]], duration: float) -> list[tuple[str, float, float]]:
    """Spread ``tokens`` over the voiced ``regions`` in proportion to their length, so that words
    fall where there is speech and skip the pauses (the whole file when nothing is voiced)."""
    if not regions:
        regions = [(0.0, max(duration, FRAME))]
    total = sum(b - a for a, b in regions)
    weights = [len(t) + 1 for t in tokens]
    scale = total / sum(weights)

    def at(offset: float) -> float:
        for a, b in regions:
            if offset <= b - a:
                return a + offset
            offset -= b - a
        return regions[-1][1]

    out: list[tuple[str, float, float]] = []
    pos = 0.0
    for token, w in zip(tokens, weights, strict=True):
        span = w * scale
        start = at(pos + span * 0.05)
        end = max(at(pos + span * 0.92), start + 0.02)
        out.append((token, _r(start), _r(min(end, duration))))
        pos += span
    return out


def utterances_from_words(timed: list[tuple[str, float, float]], language: str, *, max_words: int = 0) -> list[Utterance]:
    """Group words into utterances at sentence ends (and after ``max_words`` when given)."""
    groups: list[list[tuple[str, float, float]]] = [[]]
    for token in timed:
        groups[-1].append(token)
        if SENTENCE_END.search(token[0]) or (max_words and len(groups[-1]) >= max_words):
            groups.append([])
    out: list[Utterance] = []
    k = 0
    for group in groups:
        if not group:
            continue
        words: list[Word] = []
        for j, (text, start, end) in enumerate(group):
            words.append({"word": text if j == 0 else " " + text, "start": start, "end": end, "confidence": _confidence(k)})
            k += 1
        out.append(make_utterance(words, language))
    return out


def make_utterance(words: list[Word], language: str, *, channel: int = 0, speaker: int | None = None) -> Utterance:
    conf = round(sum(w["confidence"] for w in words) / len(words), 2) if words else 1.0
    u: Utterance = {
        "start": words[0]["start"] if words else 0.0,
        "end": words[-1]["end"] if words else 0.0,
        "confidence": conf,
        "channel": channel,
        "language": language,
        "text": "".join(w["word"] for w in words).strip(),
        "words": words,
    }
    if speaker is not None:
        u["speaker"] = speaker
    return u


def assign_speakers(utterances: list[Utterance], count: int) -> None:
    """Speakers in turn, numbered from 0 in order of appearance."""
    for i, u in enumerate(utterances):
        u["speaker"] = i % max(count, 1)


LEVEL_GAP_DB = 6.0


def speakers_by_level(utterances: list[Utterance], env: list[float]) -> list[Utterance]:
    """``--diarization level``: voices told apart by loudness, the emulator's stand-in for telling
    voices apart. Each stretch of speech between pauses (``voiced_regions``) has the level of its
    loudest 20 ms frame; the levels fall into groups wherever sorted levels are more than 6 dB
    apart; each group is a speaker, numbered in order of appearance in this job (as a service
    numbers its speakers). A word is its stretch's speaker, and an utterance is split where its
    speaker changes."""
    regions = voiced_regions(env)
    levels = [max(env[int(a / FRAME): max(int(a / FRAME) + 1, int(b / FRAME))]) for a, b in regions]
    group: dict[float, int] = {}
    count, previous = 0, None
    for value in sorted(set(levels)):
        if previous is not None and value - previous > LEVEL_GAP_DB:
            count += 1
        group[value], previous = count, value

    def region_of(w: Word) -> int:
        mid = (w["start"] + w["end"]) / 2
        return min(range(len(regions)), key=lambda i: 0.0 if regions[i][0] <= mid <= regions[i][1] else min(abs(mid - regions[i][0]), abs(mid - regions[i][1])))

    numbers: dict[int, int] = {}
    runs: list[tuple[Utterance, int, list[Word]]] = []  # (the utterance it came from, speaker, words)
    for u in utterances:
        for w in u["words"]:
            who = numbers.setdefault(group[levels[region_of(w)]], len(numbers)) if regions else 0
            if runs and runs[-1][0] is u and runs[-1][1] == who:
                runs[-1][2].append(w)
            else:
                runs.append((u, who, [{**w, "word": w["word"].lstrip()}]))
    return [make_utterance(ws, str(u["language"]), channel=u["channel"], speaker=who) for u, who, ws in runs]


def pseudo_word(word: str, language: str) -> str:
    """``" tool."`` -> ``" tool·fr."``: readable, deterministic, visibly tagged; the punctuation
    stays last so sentence ends are still sentence ends."""
    lead = " " if word.startswith(" ") else ""
    core = word.strip()
    m = re.match(r"^(.*?)([.,;:!?…]*)$", core)
    stem, punct = (m.group(1), m.group(2)) if m else (core, "")
    return f"{lead}{stem}·{language}{punct}"


def translate(utterances: list[Utterance], language: str) -> list[Utterance]:
    out: list[Utterance] = []
    for u in utterances:
        words = [{**w, "word": pseudo_word(w["word"], language)} for w in u["words"]]
        t = make_utterance(words, language, channel=u["channel"], speaker=u.get("speaker"))
        out.append(t)
    return out


# -- subtitles ---------------------------------------------------------------------------------

DEFAULT_CHARS_PER_ROW = 42
DEFAULT_ROWS = 2
DEFAULT_MAX_DURATION = 7.0
DEFAULT_MIN_DURATION = 1.0


def cues(utterances: list[Utterance], config: dict[str, Any]) -> list[tuple[float, float, list[str]]]:
    """(start, end, rows) per caption, never across utterances, within the config's limits."""
    per_row = int(config.get("maximum_characters_per_row") or DEFAULT_CHARS_PER_ROW)
    rows = int(config.get("maximum_rows_per_caption") or DEFAULT_ROWS)
    max_dur = float(config.get("maximum_duration") or DEFAULT_MAX_DURATION)
    min_dur = float(config["minimum_duration"]) if config.get("minimum_duration") is not None else DEFAULT_MIN_DURATION
    out: list[tuple[float, float, list[str]]] = []
    for u in utterances:
        current: list[str] = []  # rows of the caption being built
        start = end = 0.0
        for w in u["words"]:
            token = w["word"].strip()
            if not current:
                current, start, end = [token], w["start"], w["end"]
                continue
            if len(current[-1]) + 1 + len(token) <= per_row and w["end"] - start <= max_dur:
                current[-1] += " " + token
            elif len(current) < rows and w["end"] - start <= max_dur:
                current.append(token)
            else:
                out.append((start, end, current))
                current, start = [token], w["start"]
            end = w["end"]
        if current:
            out.append((start, end, current))
    # Stretch short captions up to the minimum duration without running into the next one.
    fixed: list[tuple[float, float, list[str]]] = []
    for i, (a, b, text) in enumerate(out):
        limit = out[i + 1][0] if i + 1 < len(out) else b + min_dur
        fixed.append((a, max(b, min(a + min_dur, limit)), text))
    return fixed


def _stamp(t: float, sep: str) -> str:
    ms = round(t * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def subtitle_file(utterances: list[Utterance], fmt: str, config: dict[str, Any]) -> str:
    blocks = [f"{i}\n{_stamp(a, '.')} --> {_stamp(b, '.')}\n" + "\n".join(rows) for i, (a, b, rows) in enumerate(cues(utterances, config), 1)]
    body = "\n\n".join(blocks) + "\n" if blocks else ""
    # The real service writes SRT with a dot before the milliseconds too (a quirk clients fix).
    return "WEBVTT\n\n" + body if fmt == "vtt" else body


def subtitles(utterances: list[Utterance], config: dict[str, Any]) -> list[dict[str, str]]:
    return [{"format": fmt, "subtitles": subtitle_file(utterances, fmt, config)} for fmt in config.get("formats") or ["srt"]]


def without_subtitles(result: dict[str, Any], missing: frozenset[str]) -> dict[str, Any]:
    """``result`` with the subtitle files ``missing`` names (``"fr:vtt"``; ``"fr"``: every format)
    left out, the spoken language's and the translations' alike."""
    if not missing:
        return result

    def keep(language: str | None, item: dict[str, Any]) -> bool:
        return f"{language}" not in missing and f"{language}:{item.get('format')}" not in missing

    transcription = result.get("transcription") or {}
    spoken = next(iter(transcription.get("languages") or []), None)
    if "subtitles" in transcription:
        transcription["subtitles"] = [s for s in transcription["subtitles"] if keep(spoken, s)]
    for item in (result.get("translation") or {}).get("results") or []:
        if "subtitles" in item:
            language = next(iter(item.get("languages") or []), None)
            item["subtitles"] = [s for s in item["subtitles"] if keep(language, s)]
    return result


# -- messy translations (the real capture's shapes) -----------------------------------------------


def messy_translation(source: list[Utterance], translated: list[Utterance]) -> list[Utterance]:
    """``translated`` as the real service sometimes sends it: utterance 1 of every 4 empty
    (``words: []``, ``text: ""``), utterance 2 of every 4 without its words, and the first one
    with its first half left in the source language."""
    out: list[Utterance] = []
    for i, (src, u) in enumerate(zip(source, translated, strict=True)):
        u = {**u, "words": [dict(w) for w in u["words"]]}
        if i % 4 == 1:
            u["words"], u["text"] = [], ""
        elif i % 4 == 2:
            u["words"] = []
        elif i == 0 and len(u["words"]) > 1:
            half = len(u["words"]) // 2
            u["words"][:half] = [dict(w) for w in src["words"][:half]]
            u["text"] = "".join(w["word"] for w in u["words"]).strip()
        out.append(u)
    return out


def messy_subtitles(utterances: list[Utterance], config: dict[str, Any]) -> list[dict[str, str]]:
    """The formats disagree, as in the capture: the SRT loses the last word, the VTT splits its
    first caption in two (both written from the whole translation: the capture's subtitles have
    text its utterances lack)."""
    out = []
    for fmt in config.get("formats") or ["srt"]:
        caps = cues(utterances, config)
        if fmt == "srt" and caps:
            a, b, rows = caps[-1]
            words = " ".join(rows).split()
            caps[-1] = (a, b, [" ".join(words[:-1])] if len(words) > 1 else rows)
        elif fmt == "vtt" and caps:
            a, b, rows = caps[0]
            words = " ".join(rows).split()
            if len(words) > 1:
                mid = (a + b) / 2
                caps[:1] = [(a, mid, [" ".join(words[: len(words) // 2])]), (mid, b, [" ".join(words[len(words) // 2 :])])]
        blocks = [f"{i}\n{_stamp(a, '.')} --> {_stamp(b, '.')}\n" + "\n".join(rows) for i, (a, b, rows) in enumerate(caps, 1)]
        body = "\n\n".join(blocks) + "\n" if blocks else ""
        out.append({"format": fmt, "subtitles": "WEBVTT\n\n" + body if fmt == "vtt" else body})
    return out


# -- the result object -------------------------------------------------------------------------


def addon(results: Any, exec_time: float = 0.01) -> dict[str, Any]:
    return {"success": True, "is_empty": not results, "exec_time": exec_time, "error": None, "results": results}


def sentences_of(utterances: list[Utterance]) -> list[str]:
    return [u["text"] for u in utterances]


def build_result(
    utterances: list[Utterance],
    language: str | None,
    params: dict[str, Any],
    *,
    audio_duration: float,
    transcription_time: float,
    messy: bool = False,
) -> dict[str, Any]:
    """``result`` of a done job for the echoed ``params`` (request_params with defaults);
    ``language`` None (with no utterances) for audio without speech."""
    if params.get("diarization") and not any("speaker" in u for u in utterances):
        diarize(utterances, params.get("diarization_config") or {})
    transcription: dict[str, Any] = {
        "full_transcript": " ".join(u["text"] for u in utterances),
        "languages": [language] if language and utterances else [],
        "utterances": utterances,
    }
    sub_cfg = params.get("subtitles_config") if params.get("subtitles") else None
    if sub_cfg is not None:
        transcription["subtitles"] = subtitles(utterances, sub_cfg)
    if params.get("sentences"):
        transcription["sentences"] = [addon(sentences_of(utterances))]
    result: dict[str, Any] = {
        "metadata": {
            "audio_duration": round(audio_duration, 6),
            "number_of_distinct_channels": 1,
            "billing_time": round(audio_duration, 6),
            "transcription_time": round(transcription_time, 3),
        },
        "transcription": transcription,
    }
    if params.get("translation"):
        result["translation"] = translations(utterances, params, sub_cfg, messy=messy)
    result.update(audio_intelligence(utterances, params))
    return result


def diarize(utterances: list[Utterance], cfg: dict[str, Any]) -> None:
    """Speakers as ``diarization_config`` asks: the given number (or the minimum), at most the
    maximum."""
    count = cfg.get("number_of_speakers") or cfg.get("min_speakers") or 1
    if cfg.get("max_speakers"):
        count = min(count, cfg["max_speakers"])
    assign_speakers(utterances, int(count))


def translations(utterances: list[Utterance], params: dict[str, Any], sub_cfg: dict[str, Any] | None, *, messy: bool) -> dict[str, Any]:
    """The ``translation`` add-on: one result per target language, in the requested order
    (reversed when ``messy``)."""
    results = []
    for target in params["translation_config"]["target_languages"]:
        clean = t_utts = translate(utterances, target)
        if messy:
            t_utts = messy_translation(utterances, clean)
        item: dict[str, Any] = {
            "languages": [target],
            "full_transcript": " ".join(u["text"] for u in t_utts if u["text"]),
            "utterances": t_utts,
            "error": None,
        }
        if sub_cfg is not None:
            item["subtitles"] = messy_subtitles(clean, sub_cfg) if messy else subtitles(t_utts, sub_cfg)
        if params.get("sentences"):
            item["sentences"] = [addon(sentences_of(t_utts))]
        results.append(item)
    if messy:
        results.reverse()
    return addon(results)


def audio_intelligence(utterances: list[Utterance], params: dict[str, Any]) -> dict[str, Any]:
    """The other add-ons asked for: summary, sentences, entities, sentiment, audio to LLM."""
    out: dict[str, Any] = {}
    text = " ".join(u["text"] for u in utterances)
    if params.get("summarization"):
        first = text.split(". ")[0].rstrip(".")
        out["summarization"] = addon(f"Summary ({(params.get('summarization_config') or {}).get('type', 'general')}): {first}.")
    if params.get("sentences"):
        out["sentences"] = addon(sentences_of(utterances))
    if params.get("named_entity_recognition"):
        out["named_entity_recognition"] = addon([])
    if params.get("sentiment_analysis"):
        out["sentiment_analysis"] = addon(
            [{"text": u["text"], "sentiment": "neutral", "emotion": "neutral", "start": u["start"], "end": u["end"],
              "channel": u["channel"], "speaker": u.get("speaker", 0)} for u in utterances]
        )
    if params.get("audio_to_llm"):
        prompts = (params.get("audio_to_llm_config") or {}).get("prompts") or []
        out["audio_to_llm"] = addon([addon({"prompt": p, "response": f"(emulated answer to: {p})"}) for p in prompts])
    return out
