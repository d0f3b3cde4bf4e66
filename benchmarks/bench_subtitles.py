"""Cue building and writing (SRT + VTT) for a 3-hour transcript in 10 languages.

Goal (issue 6): under 2 s for all ten languages. The spoken language has word timings
(~2.5 words/s); the nine translations are utterance-timed, as the service returns them.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import WORK, median, record, timed
from subtool.models import Transcript, Utterance, Word
from subtool.presets import load_profile
from subtool.subtitles import build_cues, write_tracks

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


def main(runs: int = 3) -> None:
    """``runs`` whole measurements (each the median of 3 timings); the figures are their median,
    since the 2 cores are shared with other work and one run can be slowed by it."""
    profile = load_profile("netflix")
    tr = transcript()
    n_words = sum(len(u.words) for u in tr.utterances)
    out = WORK / "subtitles"

    def build_only() -> None:
        for lang in LANGS:
            build_cues(tr.utterances_for(lang), profile, language=lang, duration=tr.duration)

    def build_and_write() -> None:
        shutil.rmtree(out, ignore_errors=True)
        write_tracks(tr, out / "long", formats=["srt", "vtt"], profile=profile, force=True)

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    cues = sum(len(build_cues(tr.utterances_for(lang), profile, language=lang, duration=tr.duration)) for lang in LANGS)
    first = time.perf_counter() - t0
    builds, fulls, loads = [], [], []
    for _ in range(runs):
        builds.append(median(timed(build_only, repeat=3, warmup=0)))
        fulls.append(median(timed(build_and_write, repeat=3, warmup=0)))
        loads.append(os.getloadavg()[0])
        print(f"run: build {builds[-1]:.2f} s, build + write {fulls[-1]:.2f} s, load {loads[-1]:.1f}", file=sys.stderr)
    size = sum(p.stat().st_size for p in out.iterdir())
    shutil.rmtree(out, ignore_errors=True)
    goal = "met" if median(fulls) < 2.0 else "NOT met"
    body = f"""
Synthetic {HOURS:g}-hour transcript: {n_words} words at about 2.5 words/s with word timings (English),
plus 9 utterance-timed translations (fr, es, de, it, pt-BR, nl, pl, ja, zh); netflix profile.
{cues} cues in all; 20 files (SRT + VTT, one pysubs2 file per language written twice), {size / 1e6:.1f} MB.
`benchmarks/bench_subtitles.py`: {runs} runs, each the median of 3 timings; the table gives the median run.

| step (10 languages) | median | fastest run | runs |
| --- | --- | --- | --- |
| build cues only | {median(builds):.2f} s | {min(builds):.2f} s | {", ".join(f"{x:.2f}" for x in builds)} |
| build + write SRT and VTT (`write_tracks`) | {median(fulls):.2f} s | {min(fulls):.2f} s | {", ".join(f"{x:.2f}" for x in fulls)} |
| first build (cold caches) | {first:.2f} s | | |

Goal: under 2 s for build + write of all ten languages: **{goal}** on the median run
({"met" if min(fulls) < 2.0 else "not met"} by the least disturbed run). The 2 cores were shared with
other agents' work: 1-minute load average {load_before:.1f} before, {", ".join(f"{x:.1f}" for x in loads)}
after each run, so these are upper bounds. Before this round (same benchmark, loaded machine):
2.44 s build + write, 1.38 s build. What made it faster: token lengths, punctuation kind and the
function-word flag computed once per token; a one-pass scan for two-line breaks; one pysubs2 file
per language written as SRT and VTT; the cyclic garbage collector paused while building (it
rescanned the whole transcript on each burst of allocations: about a third of the build time).
pysubs2 still writes every file (about a third of the total).
"""
    record("Subtitle building", body)


if __name__ == "__main__":
    main()
