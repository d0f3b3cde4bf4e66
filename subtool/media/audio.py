"""What is sent to a transcription engine: one mono, 16 kHz, low-bitrate Opus stream.

Speech recognisers resample to 16 kHz mono anyway (Gladia converts everything to 16 kHz PCM), so
sending the video or a stereo 48 kHz track only costs upload time. Opus at 24 kb/s in Ogg keeps
speech intelligible at about 180 kB per minute, a hundredth of a typical 720p video.

The pass-through rule (``needs_extraction``): a file is sent as it is when it is audio only
(cover art aside), has exactly one audio stream, is in a container the service takes (mp3, ogg,
opus, m4a, aac, flac, wav), averages at most ``PASS_THROUGH_MAX_BITRATE`` (64 kb/s: re-encoding
would save little and cost a generation of loss), and no cut (start/duration) is asked for.

Long inputs are cut at silences: ``find_silences`` runs ffmpeg's silencedetect (``find_silences_in``
only around where cuts may go), and the pure ``plan_chunks`` picks cut points near every
``target`` seconds, so each chunk stays under the service's limit. ``cut_audio`` makes
one piece from the input itself, never from an already encoded copy: a file that would be sent as
it is (the pass-through rule) in a container whose packets stand alone (Ogg, MP3, FLAC, WAV) is
cut by copying its packets (no encoding at all; the piece starts where the Ogg page or packet it
begins with does, read back from the piece), anything else is encoded once, as ``extract_audio`` does. Encoding
is what costs: for a 2-hour AAC programme, decoding the audio took 6 s of CPU and the Opus
encoding 90 s.
"""

from __future__ import annotations

import math
import tempfile
import threading
from pathlib import Path

from ..engines.gladia import service
from ..errors import MediaError, UsageError
from ..models import MediaInfo, Stream
from .ffmpeg import ProgressCallback, file_arg, run_ffmpeg, run_ffprobe
from .probe import damaged, probe

SAMPLE_RATE = 16000
OPUS_BITRATE = "24k"
PASS_THROUGH_MAX_BITRATE = 64_000
PASS_THROUGH_SUFFIXES = {".mp3", ".ogg", ".opus", ".m4a", ".aac", ".flac", ".wav"}

CHUNK_TARGET_S = service.CHUNK_TARGET_S
CHUNK_LIMIT_S = service.MAX_DURATION_S


def pick_audio_stream(info: MediaInfo, stream: int | None = None) -> tuple[int, Stream]:
    """The audio stream to send, as (its position among audio streams, the stream).

    ``stream`` counts audio streams from 0 as ffmpeg's ``0:a:N`` does; without it the stream
    flagged default wins, else the first one.
    """
    audio = info.audio_streams
    if not audio:
        raise MediaError("has no audio stream, so there is nothing to transcribe", path=info.path, code="no_audio")
    if stream is not None:
        if not 0 <= stream < len(audio):
            described = ", ".join(f"{i}: {s.codec or '?'}{f' [{s.language}]' if s.language else ''}" for i, s in enumerate(audio))
            raise UsageError(
                f"--audio-stream {stream} does not exist (the file has {len(audio)} audio stream(s): {described})",
                path=info.path,
                hint="Pick one of the listed numbers (counted from 0)",
            )
        return stream, audio[stream]
    for i, s in enumerate(audio):
        if s.default:
            return i, s
    return 0, audio[0]


def needs_extraction(info: MediaInfo, *, stream: int | None = None, start: float | None = None, duration: float | None = None) -> bool:
    """False when ``info``'s file can be sent as it is (see the module docstring for the rule)."""
    if start or duration or info.video_streams or len(info.audio_streams) != 1:
        return True
    if stream not in (None, 0):
        return True
    if Path(info.path).suffix.lower() not in PASS_THROUGH_SUFFIXES:
        return True
    if info.audio_streams[0].codec not in service.AUDIO_CODECS:
        return True
    bit_rate = info.bit_rate
    if bit_rate is None and info.duration:
        bit_rate = int(info.size * 8 / info.duration)
    return bit_rate is None or bit_rate > PASS_THROUGH_MAX_BITRATE


def extract_audio(
    src: str | Path,
    dest: str | Path,
    *,
    stream: int | None = None,
    start: float | None = None,
    duration: float | None = None,
    codec: str = "opus",
    info: MediaInfo | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write the audio to send to ``dest`` (an .ogg), or return ``src`` itself when it already is
    a small supported audio file. ``start``/``duration`` cut a piece (seconds)."""
    if info is None:
        info = probe(src, deep=False)
    index, _ = pick_audio_stream(info, stream)
    if not needs_extraction(info, stream=stream, start=start, duration=duration):
        return Path(src)
    if codec != "opus":
        raise UsageError(f"unsupported audio codec '{codec}' for the upload", hint="Use opus")
    dest = Path(dest)
    args: list[str] = []
    if start:
        args += ["-ss", f"{start:.3f}"]
    args += ["-i", file_arg(src)]
    if duration:
        args += ["-t", f"{duration:.3f}"]
    args += [
        "-map", f"0:a:{index}", "-vn", "-sn", "-dn", "-map_metadata", "-1",
        "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-c:a", "libopus", "-b:a", OPUS_BITRATE, "-application", "voip",
        # bitexact: a fixed Ogg serial number and no encoder tag, so the same input gives the
        # same bytes and the cache (keyed by the audio's hash) hits on a rerun.
        "-fflags", "+bitexact", "-flags:a", "+bitexact",
        "-f", "ogg", "-y", file_arg(dest),
    ]
    total = duration if duration else (info.duration - (start or 0.0) if info.duration else None)
    errors = run_ffmpeg(args, duration=total, on_progress=on_progress, what=f"extracting the audio of {src}", cancel=cancel)
    if damaged(errors):
        # The whole audio was decoded: a truncated file shows here (ffmpeg goes on and exits 0).
        Path(dest).unlink(missing_ok=True)
        raise MediaError("media file is truncated or corrupt (its audio cannot be decoded to the end); re-export or re-download it",
                         path=src, code="corrupt")
    return dest


def find_silences(
    src: str | Path,
    *,
    stream: int | None = None,
    noise_db: float = -35.0,
    min_silence: float = 0.4,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[tuple[float, float]]:
    """Silent stretches of ``src`` as (start, end) seconds, from ffmpeg's silencedetect.

    The filter's findings are printed by ``ametadata`` to a file rather than parsed from the
    log, so ffmpeg can run at ``-loglevel error`` like every other call. That file's name is an
    option inside the filter graph: ffmpeg-python builds the graph and escapes it (a temporary
    folder may hold quotes, colons or commas), from keyword arguments only (it escapes positional
    ones twice, its issue 745).
    """
    import ffmpeg  # ffmpeg-python: 20-40 ms to import (measured), only chunking needs it

    index = 0 if stream is None else stream
    with tempfile.TemporaryDirectory(prefix="subtool-silence-") as tmp:
        report = Path(tmp) / "silences.txt"
        found = (ffmpeg.input(file_arg(src))[f"a:{index}"]
                 .filter("aresample", sample_rate=SAMPLE_RATE)
                 .filter("silencedetect", n=f"{noise_db}dB", d=min_silence)
                 .filter("ametadata", mode="print", file=str(report)))
        run_ffmpeg(ffmpeg.output(found, "-", format="null").get_args(), duration=duration, on_progress=on_progress,
                   what=f"looking for silences in {src}")
        text = report.read_text(encoding="utf-8", errors="replace") if report.exists() else ""
    silences: list[tuple[float, float]] = []
    opened: float | None = None
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "lavfi.silence_start":
            opened = max(0.0, float(value))
        elif key == "lavfi.silence_end" and opened is not None:
            silences.append((opened, float(value)))
            opened = None
    if opened is not None and duration:
        silences.append((opened, duration))
    return silences


def find_silences_in(
    src: str | Path,
    windows: list[tuple[float, float]],
    *,
    stream: int | None = None,
    noise_db: float = -35.0,
    min_silence: float = 0.4,
    cancel: threading.Event | None = None,
) -> list[tuple[float, float]]:
    """Silent stretches of ``src`` within ``windows`` ((start, end) seconds), as (start, end)
    seconds of the whole: one ffmpeg run that seeks to each window and decodes only it (cuts need
    silences only near where they go: for a 2-hour input in 4 pieces, 3 windows of a minute)."""
    windows = [(max(0.0, a), b) for a, b in windows if b > max(0.0, a)]
    if not windows:
        return []
    index = 0 if stream is None else stream
    with tempfile.TemporaryDirectory(prefix="subtool-silence-") as tmp:
        reports = [Path(tmp) / f"silences{k}.txt" for k in range(len(windows))]
        args: list[str] = []
        chains: list[str] = []
        outputs: list[str] = []
        for k, ((start, end), report) in enumerate(zip(windows, reports, strict=True)):
            args += ["-ss", f"{start:.3f}", "-t", f"{end - start:.3f}", "-i", file_arg(src)]
            escaped = str(report).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
            chains.append(f"[{k}:a:{index}]aresample={SAMPLE_RATE},silencedetect=n={noise_db}dB:d={min_silence},"
                          f"ametadata=mode=print:file='{escaped}'[o{k}]")
            outputs += ["-map", f"[o{k}]", "-f", "null", "-"]
        run_ffmpeg([*args, "-filter_complex", ";".join(chains), *outputs], what=f"looking for silences in {src}", cancel=cancel)
        found: list[tuple[float, float]] = []
        for (start, end), report in zip(windows, reports, strict=True):
            text = report.read_text(encoding="utf-8", errors="replace") if report.exists() else ""
            found += [(start + a, start + b) for a, b in _silences(text, end - start)]
    return sorted(found)


def _silences(text: str, duration: float | None) -> list[tuple[float, float]]:
    """The (start, end) pairs of an ``ametadata`` report of silencedetect (one still open at the
    end closes at ``duration``)."""
    silences: list[tuple[float, float]] = []
    opened: float | None = None
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "lavfi.silence_start":
            opened = max(0.0, float(value))
        elif key == "lavfi.silence_end" and opened is not None:
            silences.append((opened, float(value)))
            opened = None
    if opened is not None and duration:
        silences.append((opened, duration))
    return silences


COPY_CUTS = {".ogg": "ogg", ".opus": "ogg", ".mp3": "mp3", ".flac": "flac", ".wav": "wav"}  # suffix -> muxer


def copies_pieces(info: MediaInfo, stream: int | None = None) -> bool:
    """Whether pieces of ``info``'s file are cut by copying its packets (see the module docstring)."""
    return not needs_extraction(info, stream=stream) and Path(info.path).suffix.lower() in COPY_CUTS


def cut_audio(
    src: str | Path,
    dest: str | Path,
    *,
    start: float,
    duration: float,
    info: MediaInfo,
    stream: int | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Path, float]:
    """The piece ``[start, start + duration)`` of ``src``'s audio as a file of its own, cut from
    ``src`` itself: copied packet for packet when ``copies_pieces``, else encoded once to ``dest``
    (an .ogg). Returns the piece's path (its suffix is the input's when copied) and where in
    ``src`` its first sample is: ``start`` when encoded; when copied, the start of the Ogg page or
    packet the copy begins with (an Ogg page of 24 kb/s Opus holds up to a second: 0.66 s before
    the cut asked for, measured), read back from the piece."""
    if not copies_pieces(info, stream):
        piece = extract_audio(src, dest, stream=stream, start=start, duration=duration, info=info, on_progress=on_progress, cancel=cancel)
        return piece, start
    suffix = Path(info.path).suffix.lower()
    out = Path(dest).with_suffix(suffix)
    args = [
        "-ss", f"{start:.3f}", "-i", file_arg(src), "-t", f"{duration:.3f}",
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-c:a", "copy",
        "-fflags", "+bitexact", "-f", COPY_CUTS[suffix], "-y", file_arg(out),
    ]
    run_ffmpeg(args, duration=duration, on_progress=on_progress, what=f"cutting the audio of {src}", cancel=cancel)
    probed = run_ffprobe(["-v", "error", "-show_entries", "format=start_time", "-of", "csv=p=0", file_arg(out)])
    try:
        shift = float(probed.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        shift = 0.0
    return out, max(0.0, start + shift)


def plan_chunks(
    duration: float,
    silences: list[tuple[float, float]],
    target: float = CHUNK_TARGET_S,
    limit: float = CHUNK_LIMIT_S,
) -> list[tuple[float, float]]:
    """Cut ``duration`` seconds into (start, end) pieces of about ``target`` seconds, each at
    most ``limit``, cutting in the middle of the silence nearest each ideal cut.

    Nothing is cut when the whole fits in ``limit``. A cut moves at most a quarter of
    ``target`` from its ideal place (and never so far that a piece would pass ``limit``); with no
    silence in reach it is made at the ideal place, mid-word if need be.
    """
    if duration <= 0:
        return []
    if duration <= limit:
        return [(0.0, duration)]
    count = max(2, math.ceil(duration / target))
    while duration / count > limit:
        count += 1
    step = duration / count
    reach = min(target / 4, (limit - step) / 2)
    mids = sorted((a + b) / 2 for a, b in silences if b > a)
    cuts: list[float] = []
    previous = 0.0
    for k in range(1, count):
        ideal = k * step
        lo = max(ideal - reach, previous + 1.0)
        hi = min(ideal + reach, previous + limit)
        near = [m for m in mids if lo <= m <= hi]
        cut = min(near, key=lambda m: abs(m - ideal)) if near else min(max(ideal, lo), hi)
        cuts.append(cut)
        previous = cut
    bounds = [0.0, *cuts, duration]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
