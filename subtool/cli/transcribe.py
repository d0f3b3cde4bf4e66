"""``subtool transcribe``: thin wrapper over :mod:`subtool.transcription`."""

from __future__ import annotations

import click

from .app import STATE, emit_json, err, info, json_option, progress_enabled, split_csv


@click.command(name="transcribe")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-l", "--language", "languages", multiple=True, help="Spoken language (ISO 639-1); several mean detection among them.")
@click.option("--code-switching", is_flag=True, help="Detect the language per utterance (give 2-5 languages with -l).")
@click.option("-t", "--translate", "translate", multiple=True, help="Translate into these languages: -t fr,es.")
@click.option("--translation-model", type=click.Choice(["base", "enhanced"]), default="base", show_default=True)
@click.option("--format", "formats", multiple=True, help="Subtitle formats: srt,vtt,ass (default srt).")
@click.option("--profile", default="netflix", show_default=True, help="Subtitle profile (reading rules).")
@click.option("--diarize", is_flag=True, help="Tell speakers apart.")
@click.option("--speakers", type=click.IntRange(min=1), help="How many speakers (a hint, with --diarize).")
@click.option("--vocabulary", multiple=True, help="A word or name the transcription should know (repeatable).")
@click.option("--engine", type=click.Choice(["auto", "gladia", "local"]), default="auto", show_default=True)
@click.option("--model", help="Local engine model (tiny.en, base).")
@click.option("--threads", type=click.IntRange(min=1), help="Local engine CPU threads.")
@click.option("--audio-stream", type=click.IntRange(min=0), help="Which audio stream to use, counted from 0 (default: the default one).")
@click.option("--max-jobs", type=click.IntRange(min=1), default=3, show_default=True, help="Jobs at the service at once (free plan 3, paid 25).")
@click.option("--no-cache", is_flag=True, help="Transcribe again even when a cached result exists.")
@click.option("--keep-raw", is_flag=True, help="Also write the service's own JSON as <stem>.raw.json.")
@click.option("--speaker-labels", is_flag=True, help="Prefix cues with the speaker.")
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str), help="Where to write (default: beside each input).")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@json_option
def command(
    inputs: tuple[str, ...],
    languages: tuple[str, ...],
    code_switching: bool,
    translate: tuple[str, ...],
    translation_model: str,
    formats: tuple[str, ...],
    profile: str,
    diarize: bool,
    speakers: int | None,
    vocabulary: tuple[str, ...],
    engine: str,
    model: str | None,
    threads: int | None,
    audio_stream: int | None,
    max_jobs: int,
    no_cache: bool,
    keep_raw: bool,
    speaker_labels: bool,
    outdir: str | None,
    force: bool,
    as_json: bool,
) -> int:
    """Transcribe (and translate) each INPUT (a media file or a URL) into <stem>.<lang>.<fmt>
    subtitle files and <stem>.transcript.json.

    Everything is checked before anything is uploaded: the inputs, the languages, the profile,
    and the outputs (never overwritten without --force).
    """
    from .. import transcription as tx
    from ..engines.base import TranscribeOptions
    from ..errors import UsageError
    from ..presets import load_profile

    options = TranscribeOptions(
        languages=split_csv(languages),
        code_switching=code_switching,
        translate=split_csv(translate),
        translation_model=translation_model,
        formats=split_csv(formats) or ["srt"],
        diarize=diarize,
        speakers=speakers,
        vocabulary=[v for v in vocabulary if v.strip()],
        model=model,
        threads=threads,
        audio_stream=audio_stream,
        use_cache=not no_cache,
        keep_raw=keep_raw,
    )
    if speakers is not None and not diarize:
        raise UsageError("--speakers needs --diarize")
    subtitle_profile = load_profile(profile)
    eng = tx.resolve_engine(engine, max_jobs=max_jobs, model=model, threads=threads, on_note=info)
    tx.check_options(options, eng)
    prepared = [tx.prepare(i, options, eng, outdir=outdir, force=force, keep_raw=keep_raw) for i in inputs]
    stems = [p.stem for p in prepared]
    for stem in stems:
        if stems.count(stem) > 1:
            raise UsageError(f"two inputs would write the same outputs ({stem}.*)", hint="Transcribe them into different --outdir folders")

    show = progress_enabled()
    results = []
    for item in prepared:
        def status(line: str, name: str = item.input) -> None:
            if show:
                err(f"{name}: {line}")

        result = tx.transcribe(
            item, options, eng, profile=subtitle_profile, force=force, speaker_labels=speaker_labels, keep_raw=keep_raw, on_status=status
        )
        results.append(result)
        if not as_json:
            note = " (cached)" if result.cached else ""
            if not STATE.quiet:
                err(f"{item.input}: {result.transcript.language}, {len(result.files)} files{note}")
            for path in result.files:
                click.echo(path)
    if as_json:
        emit_json({"results": [r.to_dict() for r in results]})
    return 0
