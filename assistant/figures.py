"""Key figures of a paragraph: a number with its unit as written, the words around it that say what it
measures, and the period it refers to, all verbatim pieces of the source (so each can be checked)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.evidence import Span, sentences

# Vietnamese numbers: thousands dots, decimal commas, an optional ratio ("4.208/4.218").
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
# Only a number followed by a unit counts: bare numbers are list markers, years, document numbers.
_UNITS = """đảng viên|tổ chức cơ sở đảng|tổ chức đảng|tổ chức|TCCSĐ|TCCS|chi bộ|đảng bộ|lớp|cuộc|hội nghị|
quần chúng|lượt|đồng chí|việc|tập thể|cá nhân|đơn|hồ sơ|học viên|cán bộ|đại biểu|chuyên đề|biểu hiện|tỷ đồng|
triệu đồng|căn nhà|gương|mô hình|người|hội viên|đoàn viên|bài|văn bản|kế hoạch|chương trình|đề án|
sáng kiến|công trình|phong trào|vụ|trường hợp|ý kiến|cơ quan|đơn vị|quyết định|tác phẩm|buổi"""
_UNIT = "|".join(sorted((u.strip() for u in _UNITS.split("|")), key=len, reverse=True))
FIGURE = re.compile(
    rf"(?<![\w.,/-])(?P<num>(?:{_NUM})(?:/(?:{_NUM}))?)(?:\s?(?P<pct>%)|\s+(?P<unit>{_UNIT})(?!\w))",
    re.IGNORECASE,
)
_PERIOD = re.compile(
    r"nhiệm kỳ\s+\d{4}\s*[-–]\s*\d{4}|giai đoạn\s+\d{4}\s*[-–]\s*\d{4}"
    r"|(?:từ|trong)\s+(?:đầu\s+)?nhiệm kỳ(?:\s+đến nay)?"
    r"|(?:từ\s+)?năm\s+\d{4}(?:\s+đến\s+(?:nay|năm\s+\d{4}|\d{4}))?"
    r"|(?:trong|qua)\s+0?\d+\s+năm(?:\s+qua)?(?:\s*\(\d{4}\s*[-–]\s*\d{4}\))?"
    r"|tính đến(?:\s+hết)?(?:\s+(?:ngày|tháng))?\s+\d{1,2}/\d{1,2}(?:/\d{4})?"
    r"|đến tháng\s+\d{1,2}/\d{4}|hằng năm|hàng năm|quý\s+[IV]+\s+năm\s+\d{4}|\d{4}\s*[-–]\s*\d{4}",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_CLAUSE = re.compile(r";|:|,\s*trong đó\b")
_MARKER = re.compile(r"^\s*(?:\(\d+\)\.?|\d+(?:\.\d+)*\s?[.\-–)]|[-+•*–]|[IVX]+\s?[.\-–])\s*")
_NOTE_MARK = re.compile(r"\(\d+\)?$")
"""A footnote marker glued to the last word ("thẩm quyền(27"): not part of the measure."""
_RANGE = re.compile(r"\d\s*[-–]\s*$")
_BEFORE, _AFTER = 20, 10
"""Most words of context kept on each side of a figure in its measure."""


@dataclass(frozen=True)
class Found:
    """One figure in a paragraph: verbatim pieces with their offsets in the paragraph's text."""

    value: str
    """The number with its unit as written ("2.153 quần chúng", "98 %")."""
    number: str
    """The number alone as written ("2.153"): what a quiz blanks out."""
    unit: str
    """The unit, lower case ("%" for percentages)."""
    start: int
    measure: str
    """The words around the figure in its clause: what it measures."""
    sentence: Span
    period: str
    """The period or date it refers to, when the sentence gives one."""


def value_of(number: str) -> float:
    """A number as written, as a float (a ratio counts as its first term): for comparing figures."""
    first = number.split("/")[0].replace(".", "").replace(",", ".")
    try:
        return float(first)
    except ValueError:
        return math.nan


def same_number(a: str, b: str) -> bool:
    """Whether two numbers as written are the same ("4.587" and "4587", "25,2" and "25,20")."""
    pa, pb = a.split("/"), b.split("/")
    return len(pa) == len(pb) and all(value_of(x) == value_of(y) for x, y in zip(pa, pb, strict=True))


def find(text: str) -> list[Found]:
    """Every figure of a paragraph, in order."""
    out = []
    for span in sentences(text):
        matches = list(FIGURE.finditer(text, span.start, span.end))
        for match in matches:
            if _RANGE.search(text, max(0, match.start() - 4), match.start()) or _YEAR.fullmatch(match["num"]):
                continue  # the end of a range of years ("2020 - 2025 Đảng bộ"), or a year
            unit = "%" if match["pct"] else match["unit"].lower()
            measure = _measure(text, span, match, matches)
            out.append(
                Found(
                    value=match[0],
                    number=match["num"],
                    unit=unit,
                    start=match.start(),
                    measure=measure,
                    sentence=span,
                    period=_nearest_period(span.text, match.start() - span.start),
                )
            )
    return out


def _measure(text: str, span: Span, match: re.Match[str], others: list[re.Match[str]]) -> str:
    """The clause around a figure, cut before a comma that closes another figure's part of the list."""
    left, right = span.start, span.end
    for cut in _CLAUSE.finditer(text, span.start, span.end):
        if cut.end() <= match.start():
            left = cut.end()
        elif cut.start() >= match.end():
            right = cut.start()
            break
    commas = [i for i in range(left, right) if text[i] == ","]
    for comma in reversed([c for c in commas if c < match.start()]):
        earlier = [c for c in commas if c < comma]
        begin = earlier[-1] if earlier else left
        if any(begin <= m.start() < comma for m in others if m is not match):
            left = comma + 1
            break
    for comma in [c for c in commas if c >= match.end()]:
        later = [c for c in commas if c > comma]
        end = later[0] if later else right
        if any(comma < m.start() < end for m in others if m is not match):
            right = comma
            break
    words_before = [m.start() for m in re.finditer(r"\S+", text[left : match.start()])]
    words_after = [m.end() for m in re.finditer(r"\S+", text[match.end() : right])]
    start = left + words_before[-_BEFORE] if len(words_before) >= _BEFORE else left
    end = match.end() + (words_after[:_AFTER][-1] if words_after else 0)
    # An aside opened and not closed (or closed and not opened) inside the window is cut off.
    opened = text.rfind("(", match.end(), end)
    if opened != -1 and ")" not in text[opened:end]:
        end = opened
    closed = text.find(")", start, match.start())
    if closed != -1 and "(" not in text[start:closed]:
        start = closed + 1
    marker = _MARKER.match(text, start, match.start())
    start = marker.end() if marker else start
    piece = text[start:end].strip(' ,.;:()"“”\n')
    return _NOTE_MARK.sub("", piece).rstrip(" ,.;:(")


def _nearest_period(sentence: str, at: int) -> str:
    found = list(_PERIOD.finditer(sentence))
    if not found:
        return ""
    return min(found, key=lambda m: abs(m.start() - at))[0]


def period_in(text: str) -> str:
    """The first period a heading or a title names ("NHIỆM KỲ 2015 - 2020", "HẰNG NĂM"), or ''."""
    match = _PERIOD.search(text)
    return match[0] if match else ""


def strip_marker(text: str) -> str:
    """A list item without its marker ("4. ", "- ", "(5). "): what is left is still a verbatim piece."""
    match = _MARKER.match(text)
    return text[match.end() :] if match else text
