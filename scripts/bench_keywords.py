"""Benchmark: keyword (BM25) retrieval on the question set, with each tokenisation rule switched off or on.

A retrieved paragraph is relevant as in the evaluation harness (`eval.metrics.is_relevant`: it holds an
evidence quote or a pooled `also_evidence` quote, or its line span covers an evidence line).
Unanswerable items are skipped; a conversational item is asked as its last user turn followed by the
question. Ablations patch `index.keywords` for one run.
Run: .venv/bin/python scripts/bench_keywords.py   (underthesea rows need PYTHONPATH pointing at it)
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path
from unittest import mock

import bm25s

import index.keywords as kw
from eval.metrics import is_relevant
from eval.questions import Question, load_questions
from ingest import load_file
from ingest.records import Paragraph
from ingest.text import nfc

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
FILE = CORPUS / "dai-hoi-xviii-dang-bo-cac-co-quan-tinh-bac-giang-2020.txt"
HAS_MARKS = kw.has_diacritics  # kept unpatched: the no-marks column is about the questions
INDEX = kw.KeywordIndex


def paragraphs() -> list[Paragraph]:
    return [p for d in load_file(FILE).documents for p in d.paragraphs]


def asked(q: Question) -> str:
    users = [t.content for t in q.history if t.role == "user"]
    return f"{users[-1]} {q.question}" if users else q.question


def relevant(q: Question, paras: list[Paragraph]) -> set[str]:
    return {p.id for p in paras if is_relevant({"text": p.text, "lines": list(p.lines)}, q)}


def evaluate(paras: list[Paragraph], questions: list[Question]) -> dict[str, float]:
    index = kw.KeywordIndex.build([p.id for p in paras], [p.text for p in paras])
    hit1 = hit5 = rr = plain5 = plain_n = 0.0
    for q in questions:
        gold = relevant(q, paras)
        ranked = [pid for pid, _ in index.search(asked(q), k=10)]
        rank = next((i for i, pid in enumerate(ranked, 1) if pid in gold), None)
        hit1 += rank == 1
        hit5 += rank is not None and rank <= 5
        rr += 1 / rank if rank else 0.0
        if not HAS_MARKS(asked(q)):
            plain_n += 1
            plain5 += rank is not None and rank <= 5
    n = len(questions)
    return {
        "hit@1": hit1 / n,
        "hit@5": hit5 / n,
        "mrr@10": rr / n,
        "no-marks hit@5": plain5 / max(plain_n, 1),
    }


def extra(add: Callable[[str], list[str]]) -> AbstractContextManager[object]:
    """Add tokens to what `tokenize` gives (BM25 is a bag of words, so order does not matter)."""
    base = kw.tokenize
    return mock.patch.object(kw, "tokenize", lambda text: base(text) + add(nfc(text)))


def words_only(segment: Callable[[str], list[str]]) -> AbstractContextManager[object]:
    """Replace the syllables of each multi-syllable word by the word itself."""
    base = kw.tokenize

    def tokenize(text: str) -> list[str]:
        compounds = segment(nfc(text))
        bag = Counter(base(text)) - Counter(s for c in compounds for s in c.split("_"))
        return list(bag.elements()) + compounds

    return mock.patch.object(kw, "tokenize", tokenize)


def compound(parts: list[str]) -> str:
    return "_".join(kw.retone(p.lower()) for p in parts)


def pyvi_words(text: str) -> list[str]:
    from pyvi import ViTokenizer

    return [compound(t.split("_")) for t in ViTokenizer.tokenize(text).split() if "_" in t]


def underthesea_words(text: str) -> list[str]:
    from underthesea import word_tokenize

    return [compound(t.split()) for t in word_tokenize(text) if " " in t and not re.search(r"\d", t)]


class Routed:
    """The alternative design: an accented and a folded index, chosen by whether the question has marks."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        with accented_only():
            self.accented = INDEX.build(ids, texts)
        with folded_only():
            self.folded = INDEX.build(ids, texts)

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> Routed:
        return cls(ids, texts)

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        if not HAS_MARKS(query):
            return self.folded.search(query, k)
        with accented_only():
            return self.accented.search(query, k)


def accented_only() -> AbstractContextManager[object]:
    return mock.patch.object(kw, "with_folded", lambda tokens: tokens)


def folded_only() -> AbstractContextManager[object]:
    base = kw.tokenize
    return mock.patch.object(kw, "tokenize", lambda text: [kw.fold(t) for t in base(text)])


def bm25s_defaults() -> AbstractContextManager[object]:
    def build(tokens: list[list[str]]) -> bm25s.BM25:
        index = bm25s.BM25()
        index.index(tokens, show_progress=False)
        return index

    return mock.patch.object(kw, "_bm25", build)


ABBREVIATION_WORDS = re.compile(r"[^\W\d_]+")
FRACTION = re.compile(r"(?<![\w/])(\d+)/(\d+)(?![\w/])")
CODE_NUMBER = re.compile(r"(?<![\w/])(\d{1,4})\s*[-–]\s*[A-ZĐ][A-Za-zĐđ]*/")


def variants() -> dict[str, Callable[[], AbstractContextManager[object]]]:
    def no_abbreviations() -> AbstractContextManager[object]:
        stack = ExitStack()
        stack.enter_context(mock.patch.dict(kw.ABBREVIATIONS, clear=True))
        stack.enter_context(mock.patch.dict(kw._LOWER_ABBREVIATIONS, clear=True))
        return stack

    def plain() -> AbstractContextManager[object]:
        stack = ExitStack()
        stack.enter_context(mock.patch.object(kw, "tokenize", lambda t: re.findall(r"\w+", nfc(t).lower())))
        stack.enter_context(accented_only())
        return stack

    return {
        "plain \\w+ lower-case syllables, accented only": plain,
        "default: all rules, accented + folded forms": nullcontext,
        "  - folded forms (accented tokens only)": accented_only,
        "  folded tokens only (marks dropped)": folded_only,
        "  two indexes, chosen by the question's marks": lambda: mock.patch.object(
            kw, "KeywordIndex", Routed
        ),
        "  bm25s defaults (k1=1.5) instead of k1=1.2": bm25s_defaults,
        "  - abbreviation expansion": no_abbreviations,
        "  - Roman numerals": lambda: mock.patch.object(kw, "_roman", lambda _w: None),
        "  - tone-mark unification": lambda: mock.patch.object(kw, "retone", lambda s: s),
        "  + abbreviation kept as a token too": lambda: extra(
            lambda t: [w.lower() for w in ABBREVIATION_WORDS.findall(t) if w in kw.ABBREVIATIONS]
        ),
        "  + parts of fractions (77/77 -> 77)": lambda: extra(
            lambda t: [str(int(x)) for pair in FRACTION.findall(t) for x in pair]
        ),
        "  + number of a code (05-CT/TW -> 5)": lambda: extra(
            lambda t: [str(int(n)) for n in CODE_NUMBER.findall(t)]
        ),
        "  + '%' token": lambda: extra(lambda t: ["%"] * t.count("%")),
        "  + pyvi words (words + syllables)": lambda: extra(pyvi_words),
        "  + pyvi words only": lambda: words_only(pyvi_words),
        "  + underthesea words (words + syllables)": lambda: extra(underthesea_words),
        "  + underthesea words only": lambda: words_only(underthesea_words),
    }


def timings(paras: list[Paragraph], questions: list[Question]) -> str:
    ids, texts = [p.id for p in paras], [p.text for p in paras]
    builds = []
    for _ in range(5):
        start = time.perf_counter()
        index = kw.KeywordIndex.build(ids, texts)
        builds.append(time.perf_counter() - start)
    queries = []
    for q in questions:
        start = time.perf_counter()
        index.search(asked(q), k=10)
        queries.append(time.perf_counter() - start)
    return (
        f"build over {len(paras)} paragraphs: median {statistics.median(builds) * 1000:.0f} ms; "
        f"query: median {statistics.median(queries) * 1000:.1f} ms, max {max(queries) * 1000:.1f} ms"
    )


def main() -> None:
    paras = paragraphs()
    questions = [q for q in load_questions() if q.type != "unanswerable"]
    plain = sum(not HAS_MARKS(asked(q)) for q in questions)
    print(f"{len(questions)} answerable questions ({plain} typed without marks), {len(paras)} paragraphs\n")
    print(f"| {'variant':<46} | hit@1 | hit@5 | MRR@10 | no-marks hit@5 |")
    print(f"| {'-' * 46} | ----- | ----- | ------ | -------------- |")
    for name, patch in variants().items():
        kw._words.cache_clear()  # its cache holds what the patched rules computed
        try:
            with patch():
                m = evaluate(paras, questions)
                kw._words.cache_clear()
        except ImportError as exc:
            print(f"| {name:<46} | skipped: {exc.name} not importable |")
            continue
        print(
            f"| {name:<46} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f}  "
            f"| {m['no-marks hit@5']:.3f}          |"
        )
    print("\n" + timings(paras, questions))


if __name__ == "__main__":
    main()
