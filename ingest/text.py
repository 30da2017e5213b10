"""Small predicates over Vietnamese lines, shared by the repair and structure passes."""

from __future__ import annotations

import re
import unicodedata

_TRAILING_NOISE = re.compile(r"(?:\(\d{1,3}\)|[”\"’'»)\]\s])+$")
_LEADING_NOISE = re.compile(r"^[\s“\"‘'«(\[…]+")
SECTION_MARKER = re.compile(
    r"^(?:Phần thứ \w+|PHẦN THỨ \w+|[IVXL]{1,5}\s*[.\-–]\s*|\d{1,2}(?:\.\d{1,2})+\.?\s+|\d{1,2}\s*[.\-–)]\s*"
    r"|[a-zđ]\)\s*|(?:Thứ|THỨ) (?:nhất|hai|ba|tư|năm|sáu|bảy|tám|chín|mười)\b[,:.]?"
    r"|(?:Một|Hai|Ba|Bốn|Năm|Sáu|Bảy|Tám|Chín|Mười) là\b[,:]?)"
)
NUMERALS = ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười")
"""One to ten in words, in order."""
_ORDINALS = ["nhất", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười"]
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
_NUMBERING = (
    ("sub", re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s")),
    ("paren", re.compile(r"^\((\d{1,2})\)\.?\s")),
    ("dash", re.compile(r"^(\d{1,2})\s?[-–]\s")),
    ("num", re.compile(r"^(\d{1,2})\.\s")),
    ("roman", re.compile(r"^([IVX]{1,4})\s?[.\-–]\s")),
    ("thu", re.compile(r"^Thứ (" + "|".join(_ORDINALS) + r")\b")),
    ("la", re.compile(r"^(" + "|".join(w.capitalize() for w in NUMERALS) + r") là\b")),
)

Numbering = tuple[str, tuple[int, ...]]


def numbering(text: str) -> Numbering | None:
    """A list item's numbering: its style and number(s) ("2.1." -> ("sub", (2, 1)), "(3)" -> ("paren",
    (3,)), "Thứ hai" -> ("thu", (2,)), "Ba là" -> ("la", (3,))), or None."""
    for style, pattern in _NUMBERING:
        m = pattern.match(text)
        if not m:
            continue
        first = m.group(1)
        if style == "sub":
            return style, (int(first), int(m.group(2)))
        if style == "roman":
            return (style, (_ROMAN.index(first) + 1,)) if first in _ROMAN else None
        if style in ("thu", "la"):
            return style, ((_ORDINALS if style == "thu" else NUMERALS).index(first.lower()) + 1,)
        return style, (int(first),)
    return None


BULLET = re.compile(r"^[-+•–]\s+\S")
SALUTATION = re.compile(r"^(?:Kính thưa|Thưa)\b.{0,70}[!,.]\s*$", re.IGNORECASE)
END_OF_DOCUMENT = re.compile(r"(?:\./\.|(?:Xin )?(?:trân trọng )?c[áả]m ơn[!.]?)\s*$", re.IGNORECASE)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def squash(text: str) -> str:
    """Collapse runs of white space to one space (the wording itself is never changed)."""
    return " ".join(text.split())


def ends_sentence(line: str) -> bool:
    """Whether a line ends where a sentence (or a list lead-in) may end."""
    core = _TRAILING_NOISE.sub("", line.rstrip())
    if not core:
        return True
    return core[-1] in ".!?:;…" or core.endswith("./.")


def starts_lower(line: str) -> bool:
    """Whether a line begins mid-sentence: its first letter is lower case."""
    core = _LEADING_NOISE.sub("", line)
    return bool(core) and core[0].isalpha() and core[0].islower()


def is_caps(line: str) -> bool:
    """An all-capitals line (a title or a heading), allowing digits and punctuation."""
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 3 and sum(ch.isupper() for ch in letters) / len(letters) > 0.9


def is_marker_start(line: str) -> bool:
    """Whether a line opens a section or list item by its numbering or bullet."""
    return bool(SECTION_MARKER.match(line) or BULLET.match(line))


def join_lines(left: str, right: str) -> str:
    """Join a broken line: an identifier split after its hyphen is rejoined without a space."""
    if left.endswith("-") and len(left) > 1 and not left[-2].isspace() and right[:1].isalnum():
        return left + right
    return f"{left} {right}"
