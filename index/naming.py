"""Documents named by the user: by id or title part (`--doc`), or inside a question."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from index.keywords import ABBREVIATIONS, has_diacritics, retone, tokenize
from index.keywords import fold as strip_marks
from ingest.records import Document

_WORD = re.compile(r"\w+")
# Pairs are taken within a phrase: `xây dựng, chỉnh đốn` holds no pair `dựng chỉnh`.
_PHRASE = re.compile(r"[^,.;:!?()\[\]\"“”'’|]+")
# Words that every title shares: a pair of two of them names no document in particular.
_GENERIC = {
    "của", "về", "và", "trình", "tại", "các", "số", "lần", "thứ", "nhiệm", "kỳ", "đại", "hội", "đảng",
    "bộ", "cơ", "quan", "tỉnh", "biểu", "báo", "cáo", "ban", "năm", "ngày", "thực", "hiện",
}  # fmt: skip
# How Vietnamese refers to a person by the given name (`chị Hồng`, `đồng chí Quế`).
# `Chỉ thị số 05` is also called `Chỉ thị 05`.
_NUMBER_WORD = re.compile(r"\b(?:số|so)\s+(?=\d)", re.IGNORECASE)
_HONORIFICS = ("đồng chí", "đ/c", "ông", "bà", "anh", "chị", "cô", "chú")
# "Ngoài báo cáo chính trị, Đại hội còn thông qua những báo cáo nào?": a document named after "ngoài"
# (besides), "trừ" or "không kể" at the head of a phrase is the one the question is not about.
_EXCEPT = re.compile(
    r"(?:^|(?<=[,.;:!?(]))\s*(?:ngoài|ngoai|ngoại trừ|ngoai tru|trừ|tru|không kể|khong ke)\s[^,.;:!?]*",
    re.IGNORECASE,
)
STRONG, WEAK = 2, 1
"""How clearly a question names a document: by its title's opening, number or speaker; or by a pair of
words that only its title holds."""


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d), white space collapsed: how chat users type."""
    return " ".join(strip_marks(text.lower()).split())


def resolve_document(ref: str, documents: Sequence[Document]) -> Document:
    """A document by id, or by a part of its title (or number) that only one document has."""
    exact = [d for d in documents if d.id == ref]
    if exact:
        return exact[0]
    wanted = fold(ref)
    found = [d for d in documents if wanted in fold(f"{d.title} {d.number or ''}")]
    if not found:
        raise LookupError(f"không có văn bản nào khớp với '{ref}'")
    if len(found) > 1:
        names = "; ".join(f"{d.id} ({d.title[:50]})" for d in found)
        raise LookupError(f"'{ref}' khớp với nhiều văn bản: {names}")
    return found[0]


def _words(text: str, folded: bool) -> list[list[str]]:
    return [list(words) for words in _cached_words(text, folded)]


@lru_cache(maxsize=4096)
def _cached_words(text: str, folded: bool) -> tuple[tuple[str, ...], ...]:
    """The words of each phrase, abbreviations spelt out (`NQ` -> nghị quyết), numbers without
    leading zeros, folded when the question was typed without diacritics."""
    phrases = []
    for phrase in _PHRASE.findall(_NUMBER_WORD.sub("", text)):
        words: list[str] = []
        for word in _WORD.findall(phrase):
            expanded = ABBREVIATIONS.get(word)
            if expanded and not phrase.isupper():
                words.extend(expanded.split())
            elif word.isdigit():
                words.append(str(int(word)))
            else:
                words.append(retone(word.lower()))
        phrases.append([strip_marks(w) for w in words] if folded else words)
    return tuple(tuple(p) for p in phrases if p)


def _pairs(phrases: list[list[str]]) -> set[tuple[str, str]]:
    return {(a, b) for words in phrases for a, b in itertools.pairwise(words)}


def _runs(phrases: list[list[str]]) -> str:
    return " | ".join(" ".join(words) for words in phrases)


def _name(speaker: str | None) -> str:
    """A speaker's name without their offices (`Lê Thị Thu Hồng, Phó Bí thư ...` -> the name)."""
    return (speaker or "").split(",")[0].strip()


def _subject(head: list[str]) -> list[str]:
    """A title's words after its kind (two syllables: `báo cáo`, `phát biểu`) and a `của` or `về`."""
    rest = head[2:]
    return rest[1:] if rest[:1] and strip_marks(rest[0]) in {"cua", "ve"} else rest


def _opening(words: list[str], openings: list[list[str]], least: int = 1) -> list[str]:
    """The shortest start of `words` (three words or more, or all of them when fewer, and at least
    `least`) that starts no other title or subject; empty if there is none."""
    for size in range(min(3, len(words)), len(words) + 1):
        start = words[:size]
        if size >= least and sum(o[:size] == start for o in openings) == 1:
            return start
    return []


def document_names(query: str, documents: Sequence[Document]) -> dict[str, int]:
    """The documents a question names, each with how clearly (STRONG or WEAK).

    Strong: the question holds the opening words of a title or of its subject that no other title or
    subject opens with (at least three words, or the whole title), the document's number (`01-NQ/ĐH`),
    or its speaker's name (in full, or the given name after a form of address: `chị Hồng`). Weak: a
    pair of words (not both generic) that appears in one document's title and in no other's
    (`khai mạc`, `Chỉ thị 05`). A document named after "ngoài" (besides) is not named.
    """
    query = _EXCEPT.sub(" ", query)
    folded = not has_diacritics(query)
    generic = {strip_marks(g) for g in _GENERIC} if folded else _GENERIC
    phrases = _words(query, folded)
    q_runs = f" {_runs(phrases)} "
    q_pairs = _pairs(phrases)
    q_codes = set(tokenize(query))
    titles = {d.id: _words(d.title, folded) for d in documents}
    heads = {i: (t[0] if t else []) for i, t in titles.items()}
    # A title is a kind (`BÁO CÁO`, `PHÁT BIỂU của`) and a subject; people name either the whole
    # opening or the subject alone (`Thường trực Tỉnh ủy`, `bế mạc Đại hội`).
    subjects = {i: _subject(h) for i, h in heads.items()}
    openings = [*heads.values(), *subjects.values()]
    pair_count: Counter[tuple[str, str]] = Counter()
    for d in documents:
        pair_count.update(_pairs(titles[d.id]) | _pairs(_words(_name(d.speaker), folded)))
    names: dict[str, int] = {}
    for d in documents:
        opened = [o for o in (_opening(heads[d.id], openings), _opening(subjects[d.id], openings, 3)) if o]
        number = [t for t in tokenize(d.number or "") if "-" in t]
        person = [w for p in _words(_name(d.speaker), folded) for w in p]
        addressed = person and any(
            f" {' '.join(w for p in _words(h, folded) for w in p)} {person[-1]} " in q_runs
            for h in _HONORIFICS
        )
        if (
            any(f" {' '.join(o)} " in q_runs for o in opened)
            or (number and number[0] in q_codes)
            or (len(person) > 1 and f" {' '.join(person)} " in q_runs)
            or addressed
        ):
            names[d.id] = STRONG
            continue
        own = _pairs(titles[d.id]) | _pairs(_words(_name(d.speaker), folded))
        if any(pair_count[p] == 1 and not set(p) <= generic for p in own & q_pairs):
            names[d.id] = WEAK
    return names if len(names) < len(documents) else {}


def named_documents(query: str, documents: Sequence[Document]) -> list[str]:
    """Ids of the documents a question names (`theo Nghị quyết Đại hội`, `báo cáo Chỉ thị 05`, ...)."""
    return list(document_names(query, documents))
