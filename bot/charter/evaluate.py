"""How well the charter's automatic rules do on labelled sentences: precision, recall, false alarms.

Discord-free. A labelled file has one ``label<TAB>text`` a line (``#`` starts a comment). Labels:
``distress`` (the care rule should act), ``intrusive`` (intrusive-question rule), ``insult``
(a keyword rule), ``none`` (ordinary talk: nothing should act). ``relais charter test --file``
and ``bench/care.py`` print these figures; ``tests/unit/charter/test_care_floors.py`` keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.charter import automod
from bot.charter.model import Charter

# label → the rule kind that should act on it
LABEL_KINDS = {"distress": "distress", "intrusive": "intrusive_question", "insult": "keywords"}
LABELS = (*LABEL_KINDS, "none")
CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "care"


@dataclass(frozen=True, slots=True)
class Sample:
    label: str
    text: str
    line: int
    source: str = ""


@dataclass(slots=True)
class KindScore:
    label: str
    kind: str
    positives: int = 0
    true_pos: int = 0
    false_pos: int = 0
    # false alarms on ordinary messages (label "none") only
    none_total: int = 0
    none_alarms: int = 0
    missed: list[Sample] = field(default_factory=list)
    wrong: list[tuple[Sample, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.true_pos / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        fired = self.true_pos + self.false_pos
        return self.true_pos / fired if fired else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.none_alarms / self.none_total if self.none_total else 0.0


@dataclass(slots=True)
class Report:
    samples: int
    scores: dict[str, KindScore]
    # ordinary messages a rule would delete (or sanction): the harm that must stay at zero
    harmful: list[tuple[Sample, str]]


def parse(lines: Iterable[str], source: str = "") -> tuple[list[Sample], list[str]]:
    """Samples and the problems found (in French, with line numbers)."""
    samples: list[Sample] = []
    problems: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n").rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        label = label.strip().lower()
        if not sep or not text.strip():
            problems.append(f"{source}:{number} : écrire « étiquette<TAB>texte »")
            continue
        if label not in LABELS:
            expected = ", ".join(LABELS)
            problems.append(f"{source}:{number} : étiquette inconnue « {label} » (attendu : {expected})")
            continue
        samples.append(Sample(label, text.strip(), number, source))
    return samples, problems


def load(paths: Iterable[Path]) -> tuple[list[Sample], list[str]]:
    samples: list[Sample] = []
    problems: list[str] = []
    for path in paths:
        found, bad = parse(Path(path).read_text(encoding="utf-8").splitlines(), Path(path).name)
        samples += found
        problems += bad
    return samples, problems


def shipped_corpora() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.tsv"))


def harmful_action(hit: automod.Hit) -> bool:
    """An action that takes something away from the author (deletion or sanction)."""
    return automod.effective_action(hit) in ("delete", "warn", "timeout")


def evaluate(charter: Charter, samples: Iterable[Sample], engine: automod.Engine | None = None) -> Report:
    engine = engine or automod.Engine(charter)
    scores = {label: KindScore(label, kind) for label, kind in LABEL_KINDS.items()}
    harmful: list[tuple[Sample, str]] = []
    count = 0
    for sample in samples:
        count += 1
        hits = engine.check(sample.text)
        kinds = {}
        for hit in hits:
            kinds.setdefault(hit.rule.kind, hit)
        for label, score in scores.items():
            fired = kinds.get(score.kind)
            if sample.label == label:
                score.positives += 1
                if fired is not None:
                    score.true_pos += 1
                else:
                    score.missed.append(sample)
            elif fired is not None:
                score.false_pos += 1
                score.wrong.append((sample, f"{fired.rule.id} : « {fired.matched} »"))
            if sample.label == "none":
                score.none_total += 1
                score.none_alarms += fired is not None
        if sample.label == "none":
            for hit in hits:
                if harmful_action(hit):
                    action = automod.effective_action(hit)
                    harmful.append((sample, f"{hit.rule.id} ({action}) : « {hit.matched} »"))
                    break
    return Report(count, scores, harmful)


def summary_lines(report: Report) -> list[str]:
    """The figures, one line per kind (what ``bench/care.py`` prints)."""
    lines = [f"{report.samples} phrases"]
    for score in report.scores.values():
        lines.append(
            f"{score.label:<10} ({score.kind}) : rappel {score.recall:.3f}"
            f" ({score.true_pos}/{score.positives})"
            f"  précision {score.precision:.3f}"
            f"  fausses alertes {score.false_alarm_rate:.3%}"
            f" ({score.none_alarms}/{score.none_total} messages ordinaires)"
        )
    lines.append(f"messages ordinaires supprimés ou sanctionnés : {len(report.harmful)}")
    return lines


def detail_lines(report: Report, limit: int = 200) -> list[str]:
    """The misclassified lines, to tune the charter."""
    out: list[str] = []
    for score in report.scores.values():
        if score.missed:
            out.append(f"— {score.label} manqués ({len(score.missed)}) :")
            out += [f"  {s.source}:{s.line}  {s.text}" for s in score.missed[:limit]]
        if score.wrong:
            out.append(f"— {score.label} déclenché à tort ({len(score.wrong)}) :")
            out += [f"  {s.source}:{s.line} [{s.label}]  {s.text}  ← {why}" for s, why in score.wrong[:limit]]
    if report.harmful:
        out.append(f"— messages ordinaires supprimés ou sanctionnés ({len(report.harmful)}) :")
        out += [f"  {s.source}:{s.line}  {s.text}  ← {why}" for s, why in report.harmful[:limit]]
    return out
