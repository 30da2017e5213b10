"""Feedback on answers (👍/👎, comment) in SQLite, and its export as an evaluation question set."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.records import Answer

_SCHEMA = """
create table if not exists feedback (
    answer_id text primary key,
    time real not null,
    question text not null,
    standalone text not null,
    history text not null,
    answer text not null,
    refused integer not null,
    citations text not null,
    settings text not null,
    rating integer,
    comment text
)
"""


@dataclass(frozen=True)
class Rated:
    """One stored piece of feedback."""

    answer_id: str
    time: float
    question: str
    standalone: str
    history: list[dict[str, str]]
    answer: str
    refused: bool
    citations: list[dict[str, Any]]
    settings: dict[str, Any]
    rating: int | None
    """1 for 👍, -1 for 👎, None when only a comment was given."""
    comment: str | None


class FeedbackStore:
    """feedback.sqlite in the data folder; one row per answer, updated as the user rates and comments."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.execute(_SCHEMA)
            yield db

    def record(
        self,
        answer_id: str,
        answer: Answer,
        history: Sequence[dict[str, str]],
        settings: dict[str, Any],
        rating: int | None = None,
        comment: str | None = None,
    ) -> None:
        """Store feedback on an answer; a later rating or comment on the same answer replaces that part."""
        row = (
            answer_id,
            time.time(),
            answer.question,
            answer.standalone_question,
            json.dumps(list(history), ensure_ascii=False),
            answer.answer,
            int(answer.refused),
            json.dumps([c.as_dict() for c in answer.citations], ensure_ascii=False),
            json.dumps(settings, ensure_ascii=False, default=str),
            rating,
            comment,
        )
        with self._db() as db:
            db.execute(
                "insert into feedback values (?,?,?,?,?,?,?,?,?,?,?) on conflict(answer_id) do update set "
                "time=excluded.time, rating=coalesce(excluded.rating, rating), "
                "comment=coalesce(excluded.comment, comment)",
                row,
            )

    def all(self) -> list[Rated]:
        with self._db() as db:
            rows = db.execute("select * from feedback order by time").fetchall()
        return [
            Rated(
                r[0],
                r[1],
                r[2],
                r[3],
                json.loads(r[4]),
                r[5],
                bool(r[6]),
                json.loads(r[7]),
                json.loads(r[8]),
                r[9],
                r[10],
            )
            for r in rows
        ]

    def export_questions(self, out: Path) -> int:
        """Write the feedback as a question set (eval/questions.py format); returns the number of items."""
        items = [question_item(r) for r in self.all()]
        out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        return len(items)


def question_item(r: Rated) -> dict[str, Any]:
    """An evaluation item from one answer's feedback: a 👍 answer becomes the reference, a 👎 one a note.

    key_facts are left for the evaluator to fill in; the evidence is what the answer cited.
    """
    good = r.rating == 1
    if r.refused:
        kind = "unanswerable"
    elif r.history:
        kind = "conversational"
    else:
        kind = "factoid"
    note = ["👍" if good else "👎" if r.rating == -1 else "chưa đánh giá"]
    if r.comment:
        note.append(f"góp ý: {r.comment}")
    if not good and not r.refused:
        note.append(f"câu trả lời của hệ thống: {r.answer}")
    evidence = [c["support"] for c in r.citations] if good else []
    lines = sorted({c["lines"][0] for c in r.citations}) if good else []
    return {
        "id": f"fb-{r.answer_id[:12]}",
        "type": kind,
        "question": r.question,
        "history": [{"role": t["role"], "content": t["content"]} for t in r.history],
        "answer": r.answer if good and not r.refused else "",
        "key_facts": [],
        "evidence": evidence,
        "evidence_lines": lines,
        "note": "; ".join(note),
    }
