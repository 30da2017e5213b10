"""Scores as pure functions over result records (the `results.jsonl` shape) and questions.

Unanswerable questions count only for the refusal metrics: they have no relevant paragraph and no
key fact, so retrieval, key-fact and citation scores are over answerable questions only.

A paragraph is relevant when it holds an evidence quote, its line span covers an evidence line, or
it holds an `also_evidence` quote (another paragraph judged to state the same answer). Relevance
drives hit@k, MRR and citation precision; citation recall counts the evidence alone.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eval.questions import Question

KS = (1, 3, 5, 10)
QUESTION_TYPES = ("factoid", "synthesis", "conversational", "unanswerable")
RETRIEVAL_METRICS = (*(f"hit@{k}" for k in KS), "mrr@10")
ANSWER_METRICS = (
    "key_fact_recall",
    "citation_precision",
    "citation_recall",
    "refusal_rate",
    "false_refusal_rate",
)

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
# Old style puts the tone on the first vowel of a final oa/oe/uy (hóa, khỏe, thủy), new style on
# the second (hoá, khoẻ, thuỷ); in NFD the mark is a separate character that can be moved.
_OLD_TONE = re.compile(rf"([ou])([{_TONES}])([aey])(?![\w\u0300-\u036f])")
_THOUSANDS = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_LEADING_ZEROS = re.compile(r"(?<![\d.])0+(?=\d)")


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise_facts(text: str) -> str:
    """Text in the form key facts are matched in: case, tone placement and number writing folded."""
    text = unicodedata.normalize("NFD", text.lower())
    text = unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", text))
    text = _THOUSANDS.sub("", text)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _LEADING_ZEROS.sub("", text)
    return " ".join(text.replace(" %", "%").split())


def contains_fact(answer: str, fact: str) -> bool:
    """Whether the answer states the fact, as a whole token run (`77` is not found in `177`)."""
    wanted = normalise_facts(fact)
    if not wanted:
        return False
    left = r"(?<![\w.])" if wanted[0].isalnum() else ""
    right = r"(?![\w]|[.,]\d)" if wanted[-1].isalnum() else ""
    return re.search(left + re.escape(wanted) + right, normalise_facts(answer)) is not None


def key_fact_recall(answer: str, key_facts: Sequence[str]) -> float | None:
    """The share of key facts the answer states; None when there are none to state."""
    if not key_facts:
        return None
    return sum(contains_fact(answer, f) for f in key_facts) / len(key_facts)


def _covers(item: Mapping[str, Any], quote: str, line: int | None) -> bool:
    if quote and _squash(quote) in _squash(str(item.get("text", ""))):
        return True
    span = list(item.get("lines") or [])
    return line is not None and len(span) == 2 and int(span[0]) <= line <= int(span[1])


def _evidence(question: Question) -> list[tuple[str, int | None]]:
    lines = list(question.evidence_lines)
    quotes = list(question.evidence) + [""] * max(0, len(lines) - len(question.evidence))
    return [(q, lines[i] if i < len(lines) else None) for i, q in enumerate(quotes)]


def is_relevant(item: Mapping[str, Any], question: Question) -> bool:
    """A paragraph is relevant when it contains an evidence or also-evidence quote, or its line span
    covers an evidence line."""
    return any(_covers(item, quote, line) for quote, line in _evidence(question)) or any(
        _covers(item, quote, None) for quote in question.also_evidence
    )


def retrieval_scores(
    retrieved: Sequence[Mapping[str, Any]], question: Question, ks: Iterable[int] = KS
) -> dict[str, Any]:
    """hit@k for each k, MRR@10 and the rank of the first relevant paragraph (None if none)."""
    first = next((r for r, item in enumerate(retrieved, 1) if is_relevant(item, question)), None)
    scores: dict[str, Any] = {f"hit@{k}": float(first is not None and first <= k) for k in ks}
    scores["mrr@10"] = 1.0 / first if first is not None and first <= 10 else 0.0
    scores["first_relevant"] = first
    return scores


def citation_scores(
    citations: Sequence[Mapping[str, Any]], question: Question
) -> tuple[float | None, float | None]:
    """Precision (share of cited paragraphs that are relevant, also-evidence included) and recall
    (share of the evidence proper that is cited)."""
    evidence = _evidence(question)
    precision = sum(is_relevant(c, question) for c in citations) / len(citations) if citations else None
    if not evidence:
        return precision, None
    covered = sum(any(_covers(c, q, line) for c in citations) for q, line in evidence)
    return precision, covered / len(evidence)


def refusal_rates(records: Sequence[Mapping[str, Any]], questions: Sequence[Question]) -> dict[str, Any]:
    """Share of unanswerable questions refused, and share of answerable ones wrongly refused."""
    by_id = {q.id: q for q in questions}
    pairs = [(bool(r.get("refused")), by_id[r["id"]].type == "unanswerable") for r in records]
    unanswerable = [refused for refused, u in pairs if u]
    answerable = [refused for refused, u in pairs if not u]
    return {
        "refusal_rate": sum(unanswerable) / len(unanswerable) if unanswerable else None,
        "false_refusal_rate": sum(answerable) / len(answerable) if answerable else None,
    }


def score_item(record: Mapping[str, Any], question: Question, answered: bool) -> dict[str, Any]:
    """One item's scores; a metric that does not apply to it is None."""
    unanswerable = question.type == "unanswerable"
    scores: dict[str, Any] = dict.fromkeys((*RETRIEVAL_METRICS, "first_relevant", *ANSWER_METRICS))
    if not unanswerable:
        scores.update(retrieval_scores(record.get("retrieved", []), question))
    if answered:
        refused = bool(record.get("refused"))
        scores["refusal_rate" if unanswerable else "false_refusal_rate"] = float(refused)
        if not unanswerable:
            scores["key_fact_recall"] = key_fact_recall(str(record.get("answer", "")), question.key_facts)
            precision, recall = citation_scores(record.get("citations", []), question)
            scores["citation_precision"], scores["citation_recall"] = precision, recall
    return scores


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _aggregate(records: Sequence[Mapping[str, Any]], metrics: Sequence[str]) -> dict[str, Any]:
    answerable = sum(r["type"] != "unanswerable" for r in records)
    out: dict[str, Any] = {"n": len(records), "answerable": answerable}
    for name in metrics:
        values = [r["scores"][name] for r in records if r["scores"].get(name) is not None]
        out[name] = sum(values) / len(values) if values else None
    for stage in ("retrieval", "answer"):
        times = [r["latency_ms"][stage] for r in records if r["latency_ms"].get(stage) is not None]
        out[f"{stage}_ms_p50"] = percentile(times, 50)
        out[f"{stage}_ms_p95"] = percentile(times, 95)
    return out


def summarise(records: Sequence[Mapping[str, Any]], questions: Sequence[Question]) -> dict[str, Any]:
    """Means of the item scores and latency percentiles, overall and by question type."""
    by_id = {q.id: q for q in questions}
    answered = any(r.get("mode", "retrieval") != "retrieval" for r in records)
    scored = [
        {**r, "scores": score_item(r, by_id[r["id"]], answered), "type": by_id[r["id"]].type} for r in records
    ]
    metrics = [*RETRIEVAL_METRICS, *(ANSWER_METRICS if answered else ())]
    types = [t for t in QUESTION_TYPES if any(r["type"] == t for r in scored)]
    return {
        "mode": records[0].get("mode", "retrieval") if records else "retrieval",
        "metrics": metrics,
        "overall": _aggregate(scored, metrics),
        "by_type": {t: _aggregate([r for r in scored if r["type"] == t], metrics) for t in types},
    }
