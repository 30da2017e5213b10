"""Keyword retrieval: BM25 over normalised Vietnamese syllables, also matched without diacritics."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Collection, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from ingest.text import is_caps

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = "aeiouyăâêôơư"
_MARKED_VOWELS = "ăâêôơư"
_SYLLABLE = re.compile(rf"([^{_VOWELS}]*)([{_VOWELS}]+)([^{_VOWELS}]*)")
_VIETNAMESE_LETTERS = re.compile(rf"[a-zđ{_VOWELS}]+")

# Order matters: a document code or a date must be taken whole before its numbers are.
_TOKEN = re.compile(
    r"(?P<code>(?<![\w/])\d{1,4}\s*[-–]\s*[A-ZĐ][A-Za-zĐđ]*(?:/[A-ZĐ][A-Za-zĐđ]*)+)"
    r"|(?P<date>(?<![\w/])\d{1,2}/\d{1,2}/\d{4}(?![\w/]))"
    r"|(?P<fraction>(?<![\w/])\d+/\d+(?![\w/]))"
    r"|(?P<thousands>(?<![\d.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\d]))"
    r"|(?P<decimal>\d+[,.]\d+)"
    r"|(?P<integer>\d+)"
    r"|(?P<word>[^\W\d_]+)"
)
_LONG_WORD = re.compile(r"[^\W\d_]{2,}")
_ROMAN = re.compile(r"(?=[IVXL])L?X{0,3}(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
# Lower-case Roman numerals come from questions typed in lower case; these three are ordinary syllables.
_ROMAN_WORDS = {"vi", "xi", "li"}

# Abbreviations of this corpus and of the questions asked about it, expanded on both sides so that an
# abbreviation matches its full phrase; `QĐ` is ambiguous, so it gets both readings.
ABBREVIATIONS: dict[str, str] = {
    "BCH": "ban chấp hành",
    "BCHTW": "ban chấp hành trung ương",
    "BTV": "ban thường vụ",
    "BTCTW": "ban tổ chức trung ương",
    "UBKT": "ủy ban kiểm tra",
    "CCQ": "các cơ quan",
    "TCCSĐ": "tổ chức cơ sở đảng",
    "TCCS": "tổ chức cơ sở",
    "ĐV": "đảng viên",
    "ĐU": "đảng ủy",
    "ĐH": "đại hội",
    "HĐND": "hội đồng nhân dân",
    "UBND": "ủy ban nhân dân",
    "MTTQ": "mặt trận tổ quốc",
    "NQ": "nghị quyết",
    "NQTW": "nghị quyết trung ương",
    "TW": "trung ương",
    "TU": "tỉnh ủy",
    "TUV": "tỉnh ủy viên",
    "CT": "chỉ thị",
    "CTr": "chương trình",
    "CTHĐ": "chương trình hành động",
    "QĐ": "quy định quyết định",
    "ĐA": "đề án",
    "KH": "kế hoạch",
    "CV": "công văn",
    "BC": "báo cáo",
    "HD": "hướng dẫn",
    "QC": "quy chế",
    "KT": "kinh tế",
    "XH": "xã hội",
    "CNTT": "công nghệ thông tin",
    "ĐBQH": "đại biểu quốc hội",
    "CNVCLĐ": "công nhân viên chức lao động",
    "PTNT": "phát triển nông thôn",
    "THPT": "trung học phổ thông",
    "CLB": "câu lạc bộ",
    "PGS": "phó giáo sư",
    "TS": "tiến sĩ",
}


@lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """The token without any diacritics (`đ` becomes `d`), as typed on a keyboard without Vietnamese."""
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", token) if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


def has_diacritics(text: str) -> bool:
    """Whether a text carries any Vietnamese diacritic, i.e. was not typed without them."""
    return fold(text) != unicodedata.normalize("NFC", text)


def _lower_form(key: str) -> str | None:
    # An abbreviation typed in lower case is recognised only where it cannot be a syllable (`ubkt`,
    # `tw`); `tu` or `đa` in lower case are ordinary words.
    folded = fold(key).lower()
    return folded if len(folded) >= 3 or not any(v in folded for v in "aeiouy") else None


_LOWER_ABBREVIATIONS = {low: key for key in ABBREVIATIONS if (low := _lower_form(key))}


def retone(syllable: str) -> str:
    """A lower-case syllable with its tone mark placed by one rule (`hoá` -> `hóa`, `qúy` -> `quý`)."""
    parts = unicodedata.normalize("NFD", syllable)
    tones = [ch for ch in parts if ch in _TONE_MARKS]
    if len(tones) != 1:
        return syllable
    base = unicodedata.normalize("NFC", "".join(ch for ch in parts if ch not in _TONE_MARKS))
    match = _SYLLABLE.fullmatch(base)
    if not match or not _VIETNAMESE_LETTERS.fullmatch(base):
        return syllable
    initial, vowels, final = match.groups()
    # `qu` and `gi` (before another vowel) are consonants: their vowel letter never carries the tone.
    if len(vowels) > 1 and (initial, vowels[0]) in {("q", "u"), ("g", "i")}:
        initial, vowels = initial + vowels[0], vowels[1:]
    marked = [i for i, v in enumerate(vowels) if v in _MARKED_VOWELS]
    if marked:
        at = marked[-1]
    elif len(vowels) == 3 or (len(vowels) == 2 and final):
        at = 1
    else:
        # Open `oa`, `oe`, `uy` take the tone on their first vowel (hòa, khỏe, thủy), as most of this
        # corpus and today's press do.
        at = 0
    toned = vowels[:at] + unicodedata.normalize("NFC", vowels[at] + tones[0]) + vowels[at + 1 :]
    return initial + toned + final


def _number(text: str) -> str:
    whole, _, fraction = text.partition(",")
    fraction = fraction.rstrip("0")
    return f"{int(whole)}.{fraction}" if fraction else str(int(whole))


def _roman(word: str) -> str | None:
    if not (word.isupper() or (word.islower() and len(word) > 1 and word not in _ROMAN_WORDS)):
        return None
    upper = word.upper()
    if not _ROMAN.fullmatch(upper):
        return None
    values = [_ROMAN_VALUES[ch] for ch in upper]
    return str(sum(-v if v < nxt else v for v, nxt in zip(values, [*values[1:], 0], strict=True)))


@lru_cache(maxsize=65536)
def _words(word: str, caps_text: bool) -> tuple[str, ...]:
    phrase = ABBREVIATIONS.get(word) or ABBREVIATIONS.get(_LOWER_ABBREVIATIONS.get(word.lower(), ""))
    # In an all-capitals heading, `TU` or `ĐA` are words (TU DƯỠNG, ĐA DẠNG), not abbreviations.
    if phrase and not (caps_text and _lower_form(word) is None):
        return tuple(retone(w) for w in phrase.split())
    if (number := _roman(word)) is not None:
        return (number,)
    return (retone(word.lower()),)


def with_folded(tokens: list[str]) -> list[str]:
    """Tokens followed by the diacritic-free form of each one that has diacritics."""
    return tokens + [folded for t in tokens if (folded := fold(t)) != t]


def tokenize(text: str) -> list[str]:
    """Normalised tokens of a paragraph or a question: syllables, whole numbers, dates and codes."""
    text = unicodedata.normalize("NFC", text)
    # A question such as `BTV TU` is in capitals too, but made of abbreviations only: not a heading.
    caps_text = is_caps(text) and any(w not in ABBREVIATIONS for w in _LONG_WORD.findall(text))
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "word":
            tokens.extend(_words(value, caps_text))
        elif kind == "code":
            number, _, rest = re.sub(r"\s+", "", value).replace("–", "-").partition("-")
            tokens.append(f"{int(number)}-{rest.lower()}")
        elif kind in ("date", "fraction"):
            tokens.append("/".join(str(int(part)) for part in value.split("/")))
        elif kind == "thousands":
            tokens.append(_number(value.replace(".", "")))
        else:
            tokens.append(_number(value.replace(".", ",")))
    return _same_speech(tokens)


# A congress speech is called a "diễn văn" or a "phát biểu" (khai mạc, bế mạc) alike: one is read as the
# other, but not inside "hội diễn văn nghệ" (a performance), "diễn văn hóa" and the like.
_SPEECH = {("diễn", "văn"): ("phát", "biểu"), ("dien", "van"): ("phat", "bieu")}
_NOT_SPEECH = {"nghệ", "hóa", "học", "minh", "nghe", "hoa", "hoc"}


def _same_speech(tokens: list[str]) -> list[str]:
    out = tokens[:]
    for i, pair in enumerate(itertools.pairwise(tokens)):
        if pair in _SPEECH and (i + 2 == len(tokens) or tokens[i + 2] not in _NOT_SPEECH):
            out[i : i + 2] = _SPEECH[pair]
    return out


class KeywordIndex:
    """BM25 over paragraphs whose tokens carry both their accented and their diacritic-free forms."""

    def __init__(self, ids: Sequence[str], bm25: bm25s.BM25 | None) -> None:
        self.ids = list(ids)
        self._bm25 = bm25

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> KeywordIndex:
        """Index texts under their ids (same order, same length)."""
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        if not ids:
            return cls([], None)
        return cls(ids, _bm25([with_folded(tokenize(text)) for text in texts]))

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query: str, k: int = 10, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The best k ids for a question with their BM25 scores, best first, among `allowed` if given."""
        if self._bm25 is None or k <= 0:
            return []
        tokens = tokenize(query)
        # A question typed without any diacritic must not match accented tokens; one typed with them
        # matches exact forms twice (accented and folded), so the marks still rank exact wording first.
        tokens = with_folded(tokens) if has_diacritics(query) else [fold(t) for t in tokens]
        if not tokens:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float64)
        if allowed is not None:
            keep = np.isin(np.asarray(self.ids, dtype=object), list(set(allowed)))
            scores = np.where(keep, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0.0]

    def save(self, folder: Path) -> None:
        """Write the index into a folder, replacing any previous one only once the new one is complete."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        temporary = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir()
        if self._bm25 is not None:
            self._bm25.save(str(temporary / "bm25"), show_progress=False)
        # Written last: a folder without its ids is never taken for a complete index.
        (temporary / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        if folder.exists():
            folder.rename(old)
        temporary.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Read an index written by `save`."""
        folder = Path(folder)
        ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        if not ids:
            return cls([], None)
        bm25: bm25s.BM25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        return cls(ids, bm25)


def _bm25(tokens: list[list[str]]) -> bm25s.BM25:
    # k1=1.2, b=0.75: the usual defaults (Robertson; Lucene/Elasticsearch), better here than bm25s's k1=1.5.
    index = bm25s.BM25(k1=1.2, b=0.75)
    index.index(tokens, show_progress=False)
    return index
