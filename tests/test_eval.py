"""The evaluation: metrics on hand-made records, the report files, and the llama-index baseline for real."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

import eval as evaluation
from eval.metrics import (
    citation_scores,
    is_relevant,
    key_fact_recall,
    normalise_facts,
    percentile,
    refusal_rates,
    retrieval_scores,
    summarise,
)
from eval.questions import Question, Turn, load_questions
from eval.report import format_table, write_report
from tests.conftest import CORPUS

REQUIRED = {"id", "retrieved", "answer", "refused", "citations", "latency_ms"}
PARAGRAPH_KEYS = {"id", "text", "document", "lines"}


def _q(
    qid: str = "q1",
    kind: str = "factoid",
    evidence: Sequence[str] = ("ngày 20/8/2020",),
    lines: Sequence[int] = (15,),
    facts: Sequence[str] = ("20/8/2020",),
) -> Question:
    return Question(
        id=qid,
        type=kind,  # type: ignore[arg-type]
        question="Khai mạc ngày nào?",
        answer="" if kind == "unanswerable" else "Ngày 20/8/2020.",
        key_facts=tuple(facts),
        evidence=tuple(evidence),
        evidence_lines=tuple(lines),
    )


def _p(pid: str, text: str = "không liên quan", lines: Sequence[int] = (1, 2)) -> dict[str, Any]:
    return {"id": pid, "text": text, "document": "Diễn văn", "lines": list(lines)}


def _record(
    question: Question,
    retrieved: Sequence[dict[str, Any]] = (),
    answer: str = "",
    refused: bool = False,
    citations: Sequence[dict[str, Any]] = (),
    ms: tuple[float, float | None] = (10.0, None),
    mode: str = "retrieval",
) -> dict[str, Any]:
    return {
        "id": question.id,
        "mode": mode,
        "retrieved": list(retrieved),
        "answer": answer,
        "refused": refused,
        "citations": list(citations),
        "latency_ms": {"retrieval": ms[0], "answer": ms[1]},
    }


def test_relevance_by_quote_after_nfc_and_whitespace_or_by_line_span() -> None:
    q = _q(evidence=("hôm nay, ngày 20/8/2020",), lines=(15,))
    decomposed = "Đại hội khai mạc  hôm nay,\nngày 20/8/2020".replace("ô", "o\u0302")
    assert is_relevant(_p("a", decomposed, (40, 41)), q)
    assert is_relevant(_p("b", "đoạn khác", (14, 16)), q)
    assert is_relevant(_p("c", "đoạn khác", (15, 15)), q)
    assert not is_relevant(_p("d", "hôm nay ngày 20/8/2020", (16, 20)), q)
    assert not is_relevant(_p("e", "ngày 20/8/2020", (1, 14)), _q("u", "unanswerable", (), (), ()))


def test_hit_at_k_and_mrr_on_a_ranking() -> None:
    q = _q()
    ranking = [_p(str(i)) for i in range(10)]
    ranking[3] = _p("r", "x", (15, 15))
    ranking[7] = _p("r2", "ngày 20/8/2020", (99, 99))
    scores = retrieval_scores(ranking, q)
    assert scores == {
        "hit@1": 0.0,
        "hit@3": 0.0,
        "hit@5": 1.0,
        "hit@10": 1.0,
        "mrr@10": 0.25,
        "first_relevant": 4,
    }
    assert retrieval_scores([_p("r", "x", (15, 15))], q)["mrr@10"] == 1.0
    none = retrieval_scores(ranking[:3], q)
    assert none["hit@10"] == 0.0 and none["mrr@10"] == 0.0 and none["first_relevant"] is None


@pytest.mark.parametrize(
    ("answer", "fact"),
    [
        ("của 4587 đảng viên", "4.587"),
        ("của 4.587 đảng viên", "4587"),
        ("tăng 25.2% so với", "25,2%"),
        ("tăng 25,2 % so với", "25,2%"),
        ("ngày 3/8/2020", "03/8/2020"),
        ("Thực hiện CÔNG NGHIỆP HOÁ", "công nghiệp hóa"),
        ("Ban Thường vụ Tỉnh uỷ", "Tỉnh ủy"),
        ("sức khỏe", "sức khoẻ"),
        ("Chỉ thị số 35-CT/TW", "35-ct/tw"),
        ("1.250,5 tỷ đồng", "1250,5 tỷ"),
    ],
)
def test_key_facts_match_however_numbers_case_and_tones_are_written(answer: str, fact: str) -> None:
    assert key_fact_recall(answer, [fact]) == 1.0


@pytest.mark.parametrize(
    ("answer", "fact"),
    [("177 tổ chức", "77"), ("tăng 25,3%", "25,2%"), ("ngày 30/8", "3/8"), ("0,5%", "5%"), ("hòa", "hóa")],
)
def test_key_facts_do_not_match_inside_other_numbers_or_words(answer: str, fact: str) -> None:
    assert key_fact_recall(answer, [fact]) == 0.0


def test_key_fact_recall_is_a_share_and_normalisation_is_stable() -> None:
    facts = ["246/248", "4.587", "77"]
    assert key_fact_recall("có 246/248 đại biểu, 77 tổ chức", facts) == pytest.approx(2 / 3)
    assert key_fact_recall("bất kỳ", []) is None
    assert normalise_facts("  Hoá   ĐƠN 03  ") == normalise_facts("hóa đơn 3") == "hoá đơn 3"


def test_citation_precision_and_recall() -> None:
    q = _q(evidence=("quote one", "quote two"), lines=(10, 20))
    cited = [_p("a", "x quote one y", (1, 1)), _p("b", "nothing", (30, 31))]
    assert citation_scores(cited, q) == (0.5, 0.5)
    both = [_p("a", "x", (9, 11)), _p("c", "quote two", (50, 50))]
    assert citation_scores(both, q) == (1.0, 1.0)
    assert citation_scores([], q) == (None, 0.0)


def test_also_evidence_makes_a_paragraph_relevant_but_is_not_owed_a_citation() -> None:
    plain = _q(evidence=("quote one",), lines=(10,))
    q = plain.model_copy(update={"also_evidence": ("ngày 20/8/2020 tại Trung tâm",)})
    repeat = _p("r", "diễn ra vào  ngày 20/8/2020\ntại Trung tâm Hội nghị".replace("ô", "o\u0302"), (90, 92))
    assert is_relevant(repeat, q) and not is_relevant(repeat, plain)
    assert not is_relevant(_p("s", "ngày 20/8/2020 tại nhà", (40, 41)), q)  # the whole quote, not a part
    ranking = [_p("x"), _p("y"), repeat]
    scores = retrieval_scores(ranking, q)
    assert scores["hit@1"] == 0.0 and scores["hit@5"] == 1.0 and scores["mrr@10"] == pytest.approx(1 / 3)
    assert retrieval_scores(ranking, plain)["hit@5"] == 0.0
    assert citation_scores([repeat, _p("x")], q) == (0.5, 0.0)  # precision counts it, recall does not
    assert citation_scores([repeat, _p("e", "quote one")], q) == (1.0, 1.0)
    assert citation_scores([repeat, _p("e", "quote one")], plain) == (0.5, 1.0)


def test_the_sets_also_evidence_quotes_each_match_one_place_in_the_corpus() -> None:
    text = " ".join(unicodedata.normalize("NFC", CORPUS.read_text(encoding="utf-8")).split())
    judged = [q for q in load_questions() if q.also_evidence]
    assert judged and all(q.type != "unanswerable" for q in judged)
    for q in judged:
        for quote in q.also_evidence:
            assert text.count(" ".join(unicodedata.normalize("NFC", quote).split())) == 1, (q.id, quote)
            assert quote not in q.evidence, (q.id, quote)


def test_refusal_rates() -> None:
    answerable = [_q("a1"), _q("a2"), _q("a3"), _q("a4")]
    unanswerable = [_q("u1", "unanswerable", (), (), ()), _q("u2", "unanswerable", (), (), ())]
    records = [_record(q, refused=q.id in {"a1", "u1", "u2"}) for q in answerable + unanswerable]
    assert refusal_rates(records, answerable + unanswerable) == {
        "refusal_rate": 1.0,
        "false_refusal_rate": 0.25,
    }


def test_percentiles_interpolate() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(x) for x in range(1, 101)], 95) == pytest.approx(95.05)


def _answered_set() -> tuple[list[Question], list[dict[str, Any]]]:
    f1, f2 = _q("f1"), _q("f2", evidence=("khác",), lines=(90,), facts=("77", "4.587"))
    s1 = _q("s1", "synthesis")
    u1 = _q("u1", "unanswerable", (), (), ())
    good = _p("g", "hôm nay ngày 20/8/2020", (15, 15))
    records = [
        _record(f1, [good], "Ngày 20/8/2020.", citations=[good], ms=(10, 100), mode="extractive"),
        _record(f2, [_p("x"), _p("y")], "77 tổ chức", citations=[_p("x")], ms=(20, 200), mode="extractive"),
        _record(s1, [_p("x"), _p("z"), good], "", refused=True, ms=(30, 300), mode="extractive"),
        _record(u1, [good], "", refused=True, ms=(40, 400), mode="extractive"),
    ]
    return [f1, f2, s1, u1], records


def test_summarise_overall_and_by_type() -> None:
    questions, records = _answered_set()
    summary = summarise(records, questions)
    overall, by_type = summary["overall"], summary["by_type"]
    assert summary["mode"] == "extractive" and list(by_type) == ["factoid", "synthesis", "unanswerable"]
    assert overall["n"] == 4 and overall["answerable"] == 3
    assert overall["hit@1"] == pytest.approx(1 / 3) and overall["hit@3"] == pytest.approx(2 / 3)
    assert overall["mrr@10"] == pytest.approx((1 + 0 + 1 / 3) / 3)
    assert overall["key_fact_recall"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert overall["citation_precision"] == pytest.approx(0.5)  # s1 cites nothing: no precision
    assert overall["citation_recall"] == pytest.approx(1 / 3)
    assert overall["refusal_rate"] == 1.0 and overall["false_refusal_rate"] == pytest.approx(1 / 3)
    assert overall["retrieval_ms_p50"] == 25 and overall["answer_ms_p95"] == pytest.approx(385)
    assert by_type["factoid"]["n"] == 2 and by_type["factoid"]["hit@5"] == 0.5
    assert by_type["unanswerable"]["hit@5"] is None and by_type["unanswerable"]["refusal_rate"] == 1.0
    assert by_type["synthesis"]["false_refusal_rate"] == 1.0


def test_retrieval_mode_leaves_answer_metrics_out() -> None:
    questions, records = _answered_set()
    summary = summarise([{**r, "mode": "retrieval", "refused": False} for r in records], questions)
    assert "key_fact_recall" not in summary["metrics"] and "refusal_rate" not in summary["overall"]
    assert summary["overall"]["answer_ms_p50"] is not None  # what was measured is still shown


class _Keyword:
    """A tiny deterministic retriever over hand-made paragraphs, to exercise the harness itself."""

    paragraphs: ClassVar = [_p("a", "hôm nay ngày 20/8/2020", (15, 15)), _p("b", "77 tổ chức", (80, 80))]

    def retrieve(self, question: str, history: Sequence[Turn], k: int) -> list[dict[str, Any]]:
        words = set(question.lower().split())
        ranked = sorted(self.paragraphs, key=lambda p: -len(words & set(p["text"].lower().split())))
        return ranked[:k]


def test_run_records_the_shared_shape_and_the_report_is_written(tmp_path: Path) -> None:
    f2 = _q("f2", evidence=("77 tổ chức",), lines=(80,))
    questions = [_q("f1"), f2, _q("u", "unanswerable", (), (), ())]
    seen: list[str] = []
    records = evaluation.run(questions, _Keyword(), k=10, limit=2, progress=lambda q: seen.append(q.id))
    assert seen == ["f1", "f2"] and len(records) == 2
    for record in records:
        assert set(record) >= REQUIRED and record["answer"] == "" and record["refused"] is False
        assert record["citations"] == [] and record["latency_ms"]["retrieval"] >= 0
        assert all(set(p) >= PARAGRAPH_KEYS for p in record["retrieved"])
    with pytest.raises(evaluation.EvalError):
        evaluation.run(questions, _Keyword(), mode="extractive")

    summary = summarise(records, questions)
    report = write_report(tmp_path / "out", records, summary, (records, summary), {"questions": "hand-made"})
    text = report.read_text(encoding="utf-8")
    assert "| vankien (retrieval) |" in text and "llama-index default" in text and "MRR@10" in text
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["f1", "f2"]
    assert all(set(json.loads(line)) >= REQUIRED for line in lines)
    assert (tmp_path / "out" / "baseline-results.jsonl").is_file()
    for chart in ("metrics_by_type.png", "latency.png"):
        assert (tmp_path / "out" / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = format_table(summary, summary)
    assert "hit@5" in table and "llama-index" in table and "factoid" in table


@pytest.fixture(scope="session")
def baseline() -> evaluation.System:
    from assistant.settings import Settings
    from eval.systems import baseline_system

    return baseline_system(Settings())


@pytest.mark.integration
def test_llamaindex_baseline_runs_on_the_bundled_corpus(baseline: evaluation.System) -> None:
    questions = load_questions()
    records = evaluation.run(questions, baseline, k=10, limit=10)
    assert len(records) == 10
    hit5 = summarise(records, questions)["overall"]["hit@5"]
    assert isinstance(hit5, float) and 0.0 <= hit5 <= 1.0
    corpus_lines = len(CORPUS.read_text(encoding="utf-8").splitlines())
    for record in records:
        assert set(record) >= REQUIRED and len(record["retrieved"]) == 10
        for item in record["retrieved"]:
            assert set(item) >= PARAGRAPH_KEYS and item["document"].endswith(".txt")
            first, last = item["lines"]
            assert 1 <= first <= last <= corpus_lines


HIT5_FLOOR, MRR_FLOOR = 0.93, 0.81
"""Just under our measured hit@5 and MRR@10 on the project's set (0.958 and 0.851 in session 6, with the
pooled `also_evidence` judgments): the CI gate."""


@pytest.mark.integration
@pytest.mark.usefixtures("embedder_ready")
def test_our_retrieval_stays_above_its_floor() -> None:
    from assistant.settings import Settings
    from eval.systems import retrieval_system
    from index import Index
    from ingest import load_file
    from tests.conftest import CORPUS

    settings = Settings()  # the test's own data folder (conftest), indexed here from the bundled corpus
    Index(settings.index_config()).add([load_file(CORPUS)])
    system = retrieval_system(settings)
    questions = load_questions()
    summary = summarise(evaluation.run(questions, system), questions)
    assert summary["overall"]["hit@5"] >= HIT5_FLOOR, summary["overall"]
    assert summary["overall"]["mrr@10"] >= MRR_FLOOR, summary["overall"]
