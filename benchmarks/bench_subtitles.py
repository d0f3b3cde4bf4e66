"""Cue building and writing (SRT + VTT) for a 3-hour transcript in 10 languages, and how many of
the cues break the profile they were built for.

Goal (issue 6): under 2 s for all ten languages. The spoken language has word timings
(~2.5 words/s); the nine translations are utterance-timed, as the service returns them. Since
issue 18 the translations follow the spoken language's cue times (the default, ``--template
source``); ``--template own`` (each language cut on its own, as before) is measured too.

Violations per 1,000 cues (``check``'s code over the built cues) are measured for this code and
for the code before issue 18 (``BASE``, extracted with ``git archive`` into bench-work/ and run in
a subprocess), for the netflix, bbc and vertical profiles.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import ROOT, WORK, median, record, timed
from subtool.models import Transcript, Utterance, Word
from subtool.presets import load_profile

# (build_tracks and the rest are imported where they are used: this module's ``transcript`` is
# also imported by the code before issue 18, in a subprocess, which has no such names.)
BASE = "9c78255"  # main before issue 18: cues that did not look at sentences, nothing checked after building
PROFILES = ("netflix", "bbc", "vertical")

HOURS = 3.0
LANGS = ["en", "fr", "es", "de", "it", "pt-BR", "nl", "pl", "ja", "zh"]
VOCAB = ("the of and to in is you that it he was for on are as with his they at be this have from or one had by "
         "word but not what all were we when your can said there use an each which she do how their if will up other "
         "about out many then them these so some her would make like him into time has look two more write go see "
         "subtitle editor language video reading speed profile").split()
CJK = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴"


def transcript(seed: int = 7) -> Transcript:
    rng = random.Random(seed)
    t, words = 0.5, []
    while t < HOURS * 3600:
        w = rng.choice(VOCAB)
        if rng.random() < 0.08:
            w += rng.choice([".", ",", "?"])
        d = rng.uniform(0.15, 0.4)
        words.append(Word(w, round(t, 3), round(t + d, 3)))
        t += d + rng.choice([0.0, 0.02, 0.05, 0.1, 0.1, 0.3])
    utts, i = [], 0
    while i < len(words):
        n = rng.randint(5, 30)
        chunk = words[i:i + n]
        utts.append(Utterance(chunk[0].start, chunk[-1].end, " ".join(w.text for w in chunk), chunk, speaker=(i // 200) % 3))
        i += n
    tr = Transcript(language="en", utterances=utts, duration=t + 1)
    for lang in LANGS[1:]:
        out = []
        for u in utts:
            if lang in {"ja", "zh"}:
                text = "".join(rng.choice(CJK) for _ in range(max(2, len(u.text) // 3))) + "。"
            else:
                text = " ".join(rng.choice(VOCAB) for _ in u.words)
            out.append(Utterance(u.start, u.end, text, speaker=u.speaker))
        tr.translations[lang] = out
    return tr


VIOLATIONS = """
import json, sys
sys.path.insert(0, sys.argv[1])
import subtool  # the code under test, before the benchmarks module puts the checkout first
sys.path.append(sys.argv[2])
from benchmarks.bench_subtitles import transcript, LANGS
from subtool.presets import load_profile
from subtool.subtitles import build_cues, check_cues
tr = transcript()
out = {}
for name in sys.argv[3:]:
    profile = load_profile(name)
    cues = found = broken = 0
    for lang in LANGS:
        built = build_cues(tr.utterances_for(lang), profile, language=lang, duration=tr.duration)
        v = check_cues(built, profile, language=lang)
        cues += len(built); found += len(v); broken += len({x.index for x in v})
    out[name] = [cues, found, broken]
print(json.dumps(out))
"""


def base_violations() -> dict[str, list[int]] | None:
    """The code before issue 18, built and checked in a subprocess: {profile: [cues, violations,
    cues with one]}; None when the checkout has no git history."""
    folder = WORK / f"base-{BASE}"
    if not (folder / "subtool").is_dir():
        try:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASE, "subtool", "presets"], capture_output=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
    env = {**os.environ, "SUBTOOL_PRESETS_DIR": str(folder / "presets")}
    done = subprocess.run([sys.executable, "-c", VIOLATIONS, str(folder), str(ROOT), *PROFILES], capture_output=True, text=True, env=env,
                          check=True)
    result: dict[str, list[int]] = json.loads(done.stdout)
    return result


def violations(tr: Transcript, template: str) -> dict[str, list[int]]:
    from subtool.subtitles import build_tracks, check_cues

    out = {}
    for name in PROFILES:
        profile = load_profile(name)
        built = build_tracks(tr, profile, languages=LANGS, template=template)
        found = [v for t in built for v in t.violations]
        assert all({(v.index, v.code) for v in t.violations} == {(v.index, v.code) for v in check_cues(t.cues, profile, language=t.language)}
                   for t in built)
        out[name] = [sum(len(t.cues) for t in built), len(found), sum(len({v.index for v in t.violations}) for t in built)]
    return out


def _per_thousand(row: list[int]) -> str:
    cues, found, broken = row
    return f"{1000 * found / cues:.1f} ({1000 * broken / cues:.1f} cues)"


def main(runs: int = 3) -> None:
    """``runs`` whole measurements (each the median of 3 timings); the figures are their median,
    since the 2 cores are shared with other work and one run can be slowed by it."""
    from subtool.subtitles import build_tracks, write_tracks

    profile = load_profile("netflix")
    tr = transcript()
    n_words = sum(len(u.words) for u in tr.utterances)
    out = WORK / "subtitles"

    def build_only() -> None:
        build_tracks(tr, profile, languages=LANGS)

    def build_own() -> None:
        build_tracks(tr, profile, languages=LANGS, template="own")

    def build_and_write() -> None:
        shutil.rmtree(out, ignore_errors=True)
        write_tracks(tr, out / "long", formats=["srt", "vtt"], profile=profile, force=True)

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    cues = sum(len(t.cues) for t in build_tracks(tr, profile, languages=LANGS))
    first = time.perf_counter() - t0
    builds, owns, fulls, loads = [], [], [], []
    for _ in range(runs):
        builds.append(median(timed(build_only, repeat=3, warmup=0)))
        owns.append(median(timed(build_own, repeat=3, warmup=0)))
        fulls.append(median(timed(build_and_write, repeat=3, warmup=0)))
        loads.append(os.getloadavg()[0])
        print(f"run: build {builds[-1]:.2f} s (own {owns[-1]:.2f} s), build + write {fulls[-1]:.2f} s, load {loads[-1]:.1f}", file=sys.stderr)
    size = sum(p.stat().st_size for p in out.iterdir())
    shutil.rmtree(out, ignore_errors=True)
    before = base_violations()
    after_source, after_own = violations(tr, "source"), violations(tr, "own")
    rows = "\n".join(
        f"| {name} | {_per_thousand(before[name]) if before else 'n/a'} | {_per_thousand(after_own[name])} | {_per_thousand(after_source[name])} |"
        for name in PROFILES)
    goal = "met" if median(fulls) < 2.0 else "NOT met"
    body = f"""
Synthetic {HOURS:g}-hour transcript: {n_words} words at about 2.5 words/s with word timings (English),
plus 9 utterance-timed translations (fr, es, de, it, pt-BR, nl, pl, ja, zh) of random words, as
many as the English utterance's; netflix profile. {cues} cues in all (the translations on the
English cue times); 20 files (SRT + VTT, one pysubs2 file per language written twice), {size / 1e6:.1f} MB.
`benchmarks/bench_subtitles.py`: {runs} runs, each the median of 3 timings; the table gives the median run.

| step (10 languages) | median | fastest run | runs |
| --- | --- | --- | --- |
| build cues, checked and repaired (`build_tracks`, translations on the template) | {median(builds):.2f} s | {min(builds):.2f} s | {", ".join(f"{x:.2f}" for x in builds)} |
| the same, each language cut on its own (`--template own`) | {median(owns):.2f} s | {min(owns):.2f} s | {", ".join(f"{x:.2f}" for x in owns)} |
| build + write SRT and VTT (`write_tracks`) | {median(fulls):.2f} s | {min(fulls):.2f} s | {", ".join(f"{x:.2f}" for x in fulls)} |
| first build (cold caches) | {first:.2f} s | | |

Goal: under 2 s for build + write of all ten languages: **{goal}** on the median run
({"met" if min(fulls) < 2.0 else "not met"} by the least disturbed run). The 2 cores were shared with
other agents' work: 1-minute load average {load_before:.1f} before, {", ".join(f"{x:.1f}" for x in loads)}
after each run, so these are upper bounds. Before issue 18 (same benchmark, 2026-12-01): 1.50 s
build + write, 0.74 s build; the build now also checks every cue with `check`'s code, repairs
what breaks the profile (up to two rounds of re-timing and checking the spoken language) and
lays the translations on its cue times.

Violations per 1,000 cues (in brackets: cues with at least one), all ten languages, `check`'s
code over the built cues; "before" is commit {BASE} (main before issue 18), run on the same
transcript:

| profile | before | after, each language on its own (`--template own`) | after, translations on the English cue times (default) |
| --- | --- | --- | --- |
{rows}

With the template, a translation keeps the English cue times whatever its length: where its
words do not fit (too fast to read in the English cue's time, more lines than the profile has)
the cue is reported, which is most of what is left in the last column; the random-word
translations here are harder to fit than real ones, whose length follows the English.
"""
    record("Subtitle building", body)


if __name__ == "__main__":
    main()
