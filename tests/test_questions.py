"""The project's question set: well formed, its evidence really in the corpus, its facts in its answers."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from eval.questions import QuestionSetError, load_questions
from tests.conftest import CORPUS


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def test_question_set_meets_its_minimums() -> None:
    questions = load_questions()
    counts = Counter(q.type for q in questions)
    assert len(questions) >= 80
    assert counts["synthesis"] >= 10 and counts["unanswerable"] >= 15 and counts["conversational"] >= 10
    assert len({q.id for q in questions}) == len(questions)
    assert all(q.history for q in questions if q.type == "conversational")
    undiacritic = [q for q in questions if q.question.isascii()]
    assert len(undiacritic) >= 5


def test_evidence_is_in_the_corpus_and_facts_in_the_answer() -> None:
    lines = [_norm(x) for x in CORPUS.read_text(encoding="utf-8").splitlines()]
    for q in load_questions():
        if q.type == "unanswerable":
            assert not q.evidence and not q.key_facts and q.answer == ""
            continue
        assert q.evidence, q.id
        for i, quote in enumerate(q.evidence):
            if q.evidence_lines:
                assert _norm(quote) in lines[q.evidence_lines[i] - 1], (q.id, quote)
            else:
                assert any(_norm(quote) in line for line in lines), (q.id, quote)
        for fact in q.key_facts:
            assert _norm(fact).lower() in _norm(q.answer).lower(), (q.id, fact)


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    good = '{"id": "a", "type": "factoid", "question": "?", "answer": "x", "key_facts": [], "evidence": []}'
    path.write_text(good + '\n{"id": "b", "type": "factoid"}\n', encoding="utf-8")
    with pytest.raises(QuestionSetError, match="dòng 2"):
        load_questions(path)
    path.write_text(good.replace('"id"', '"extra": 1, "id"') + "\n", encoding="utf-8")
    assert load_questions(path)[0].id == "a"
