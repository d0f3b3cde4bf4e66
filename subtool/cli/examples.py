"""The examples every command's --help ends with: real command lines, each run by
tests/test_help.py in a folder holding talk.mp4, talk.en.srt, talk.fr.srt, talk.mkv (talk.mp4 with
those two as tracks) and episodes.csv
(a job id stands for a job of the service's own)."""

from __future__ import annotations

import click

JOB = "45463597-20b7-4af7-b3b3-f5fb778203ab"

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "probe": [
        ("Format, duration, streams, and whether the service takes it", "subtool probe talk.mp4"),
        ("The same as JSON, for scripts", "subtool probe talk.mp4 --json"),
    ],
    "transcribe": [
        ("Subtitles in the spoken language, French and Spanish (the Gladia service)", "subtool transcribe talk.mp4 -t fr,es"),
        ("Offline (Whisper), SRT and WebVTT, into subs/", "subtool transcribe talk.mp4 --engine local --format srt,vtt -d subs/"),
        ("The service's own SRT and WebVTT files instead of subtool's cues, checked and reported",
         "subtool transcribe talk.mp4 -t fr --format srt,vtt --cues service -d service/"),
    ],
    "check": [
        ("Cues that break Netflix's reading rules", "subtool check talk.fr.srt --profile netflix"),
        ("Against the BBC's, as JSON", "subtool check talk.en.srt --profile bbc --json"),
    ],
    "conform": [
        ("A French file made to meet Netflix's rules, written as talk.fr.conformed.srt", "subtool conform talk.fr.srt --profile netflix -o talk.fr.conformed.srt"),
        ("Cue edges moved to the video's shot changes too, as JSON", "subtool conform talk.en.srt --shot-changes talk.mp4 -d conformed/ --json"),
    ],
    "extract": [
        ("Every text track of an MKV as <stem>.<lang>.<fmt> beside it", "subtool extract talk.mkv"),
        ("Only the French one, as WebVTT, into subs/, as JSON", "subtool extract talk.mkv --lang fr --format vtt -d subs/ --json"),
    ],
    "convert": [
        ("SRT to WebVTT (talk.fr.vtt beside it)", "subtool convert talk.fr.srt --to vtt"),
        ("A 23.976 fps file for the 25 fps PAL master, 1.5 s earlier", "subtool convert talk.en.srt --to srt --fps 23.976:25 --shift -1.5 -o talk.en.pal.srt"),
        ("Both files as ASS into styled/, as JSON", "subtool convert talk.en.srt talk.fr.srt --to ass -d styled/ --json"),
    ],
    "mux": [
        ("English and French soft tracks, French shown by default", "subtool mux talk.mp4 talk.en.srt talk.fr.srt --default fr -o talk.mkv"),
        ("An MP4 for editors (mov_text tracks)", "subtool mux talk.mp4 talk.fr.srt --preset mp4-mov-text -o talk.subs.mp4"),
    ],
    "burn": [
        ("French burned in on a box", "subtool burn talk.mp4 talk.fr.srt --style boxed -o talk.fr.mp4"),
        ("Gold, at the top, 54 points on a 1080-line picture", "subtool burn talk.mp4 talk.fr.srt --color gold --position top --font-size 54 -o talk.top.mp4"),
    ],
    "preview": [
        ("A review page playing the video with both tracks and their problems", "subtool preview talk.mp4 talk.en.srt talk.fr.srt -o review.html"),
        ("Against the BBC's reading rules, as JSON", "subtool preview talk.mp4 talk.fr.srt --profile bbc -o review.bbc.html --json"),
    ],
    "presets": [
        ("Every preset: subtitle profiles, mux presets, burn styles", "subtool presets list"),
        ("What the boxed style sets (same as 'presets show boxed')", "subtool presets boxed"),
        ("Only the burn styles", "subtool presets list --kind burn"),
    ],
    "run": [
        ("What a run would send and write, without doing it", "subtool run talk.mp4 -t fr,es --dry-run"),
        ("An MKV with English, French and Spanish tracks", "subtool run talk.mp4 -t fr,es --mux mkv-multi -o deliveries/talk.mkv"),
        ("French burned in, yellow, at the top", "subtool run talk.mp4 -t fr --burn clean --color yellow --position top -o talk.fr.mp4"),
    ],
    "batch": [
        ("The plan of a manifest's batch (jobs, minutes, files)", "subtool batch episodes.csv --dry-run"),
        ("Run it, 25 jobs at once, with a JSON report", "subtool batch episodes.csv --max-jobs 25 --report report.json"),
        ("After a crash or Ctrl-C: no job is paid twice", "subtool batch episodes.csv --resume"),
    ],
    "jobs": [
        ("The newest jobs at the service", "subtool jobs list"),
        ("One job, as the service's JSON", f"subtool jobs get {JOB} --json"),
        ("Delete a finished job", f"subtool jobs delete {JOB}"),
    ],
    "jobs list": [
        ("The newest jobs at the service", "subtool jobs list"),
        ("The five newest, as JSON", "subtool jobs list --limit 5 --json"),
    ],
    "jobs get": [
        ("A job's status, audio and translations", f"subtool jobs get {JOB}"),
        ("The service's own JSON of it", f"subtool jobs get {JOB} --json"),
    ],
    "jobs delete": [
        ("Delete a finished job (its audio and results)", f"subtool jobs delete {JOB}"),
        ("The same without a word on stderr (for scripts)", f"subtool jobs delete {JOB} -q"),
    ],
    "config": [
        ("The effective defaults and where each came from", "subtool config show"),
        ("Batch's, with the environment over the file", "SUBTOOL_MAX_JOBS=25 subtool config show --command batch"),
    ],
    "config show": [
        ("The effective defaults and where each came from", "subtool config show"),
        ("Run's only, as JSON", "subtool config show --command run --json"),
    ],
}


def epilog(name: str) -> str:
    """The "Examples" section of ``name``'s help (click keeps lines after a ``\\b`` as they are)."""
    lines = ["Examples:", ""]
    for what, line in EXAMPLES.get(name, []):
        lines += ["\b", f"  # {what}", f"  {line}", ""]
    return "\n".join(lines).rstrip()


def add_examples(command: click.Command, name: str) -> None:
    """Give ``command`` (and a group's subcommands) its examples, once."""
    if name in EXAMPLES and not command.epilog:
        command.epilog = epilog(name)
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            add_examples(sub, f"{name} {sub_name}")
