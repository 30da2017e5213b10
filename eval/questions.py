"""The question-set format (JSONL): one question with its reference answer and evidence per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")


class Turn(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Literal["user", "assistant"]
    content: str


class Question(BaseModel):
    """One evaluation item; unknown fields are ignored so that sets written elsewhere load."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str
    type: Literal["factoid", "synthesis", "unanswerable", "conversational"]
    question: str
    history: tuple[Turn, ...] = ()
    answer: str
    key_facts: tuple[str, ...]
    evidence: tuple[str, ...]
    evidence_lines: tuple[int, ...] = ()
    also_evidence: tuple[str, ...] = ()
    """Verbatim quotes from other paragraphs that state the same answer, judged after pooling the
    systems' results; they make a paragraph relevant but are not evidence that must be cited."""
    note: str | None = None


class QuestionSetError(ValueError):
    """A malformed question set; the message names the line."""


def load_questions(path: Path = DEFAULT_QUESTIONS) -> list[Question]:
    """Read a question set, naming the first malformed line if there is one."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(Question.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            reason = str(exc).splitlines()[0]
            raise QuestionSetError(f"{path.name}, dòng {number}: câu hỏi không hợp lệ ({reason})") from exc
    return questions
