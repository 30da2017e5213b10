"""Run a system on a question set and record, per item, what it retrieved, answered and cited."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from eval.metrics import score_item
from eval.questions import Question, Turn
from ingest.records import UserError

MODES = ("retrieval", "extractive", "generative")


def retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """What retrieval-mode runs search for: a follow-up gets its previous user turn in front.

    Rewriting a follow-up properly is the assistant's job (scored in the answer modes); this simple
    rule is applied alike to every system compared here, the baseline included.
    """
    users = [turn.content for turn in history if turn.role == "user"]
    return f"{users[-1]} {question}" if users else question


class EvalError(UserError):
    """The evaluation cannot run (a missing stage or model); the message is for the user."""


class System(Protocol):
    """What the harness scores: a retriever returning paragraphs in the `results.jsonl` shape."""

    def retrieve(self, question: str, history: Sequence[Turn], k: int) -> list[dict[str, Any]]:
        """The top k paragraphs, best first, each `{"id", "text", "document", "lines": [a, b]}`."""
        ...


@runtime_checkable
class Answerer(System, Protocol):
    """A system that also answers: `{"answer", "refused", "citations": [paragraph dicts]}`."""

    def answer(self, question: str, history: Sequence[Turn]) -> dict[str, Any]: ...


def _paragraph(item: dict[str, Any]) -> dict[str, Any]:
    """Keep the shared keys first and whatever else the system gives (score, section, page)."""
    lines = item.get("lines") or [0, 0]
    shaped = {
        "id": str(item["id"]),
        "text": str(item["text"]),
        "document": str(item.get("document", "")),
        "lines": [int(lines[0]), int(lines[1])],
    }
    return {**shaped, **{k: v for k, v in item.items() if k not in shaped}}


def run(
    questions: Sequence[Question],
    system: System,
    k: int = 10,
    limit: int | None = None,
    mode: str = "retrieval",
    progress: Callable[[Question], None] | None = None,
) -> list[dict[str, Any]]:
    """Put each question to the system; one scored record per item (the results.jsonl lines).

    `progress` is called with each question once it is done.
    """
    if mode not in MODES:
        raise EvalError(f"Chế độ đánh giá không hợp lệ: {mode} (chọn một trong: {', '.join(MODES)}).")
    answering = mode != "retrieval"
    if answering and not isinstance(system, Answerer):
        raise EvalError(f"Hệ thống này không trả lời được câu hỏi (chế độ {mode}).")
    records = []
    for question in questions[:limit] if limit is not None else questions:
        start = time.perf_counter()
        retrieved = [_paragraph(p) for p in system.retrieve(question.question, question.history, k)]
        retrieval_ms = (time.perf_counter() - start) * 1000
        answer: dict[str, Any] = {"answer": "", "refused": False, "citations": []}
        answer_ms = None
        if answering:
            assert isinstance(system, Answerer)
            start = time.perf_counter()
            answer = system.answer(question.question, question.history)
            answer_ms = (time.perf_counter() - start) * 1000
        record: dict[str, Any] = {
            "id": question.id,
            "type": question.type,
            "question": question.question,
            "mode": mode,
            "retrieved": retrieved,
            "answer": str(answer.get("answer", "")),
            "refused": bool(answer.get("refused", False)),
            "citations": [_paragraph(c) for c in answer.get("citations", [])],
            "latency_ms": {
                "retrieval": round(retrieval_ms, 2),
                "answer": None if answer_ms is None else round(answer_ms, 2),
            },
        }
        record["scores"] = score_item(record, question, answering)
        records.append(record)
        if progress:
            progress(question)
    return records
