"""Find document header blocks (issuer, number, date, title, subject) and signature blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import is_caps, is_marker_start, squash

_ANCHOR = re.compile(r"^(?:ĐẢNG CỘNG SẢN VIỆT NAM|Số\s*:?\s*\d+\s*[-–]\s*\w+/\w+|T/M\b|\(Đã ký\))")
_NUMBER = re.compile(r"^Số\s*:?\s*(\d+\s*[-–]\s*[\w-]+/[\w-]+)")
_DATE = re.compile(r"^[^\d,]{2,30},\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})\.?$")
TITLE = re.compile(
    r"^(BÁO CÁO|NGHỊ QUYẾT|CHƯƠNG TRÌNH|PHÁT BIỂU|DIỄN VĂN|KẾT LUẬN|QUYẾT ĐỊNH|KẾ HOẠCH"
    r"|TỜ TRÌNH|THÔNG BÁO|CHỈ THỊ|ĐỀ ÁN|HƯỚNG DẪN|QUY CHẾ|QUY ĐỊNH)\b"
)
_SEPARATOR = re.compile(r"^-{3,}$")
_NAME = re.compile(r"^(?:[A-ZĐÀ-Ỹ][a-zà-ỹđ]*\s){1,5}[A-ZĐÀ-Ỹ][a-zà-ỹđ]*$")


@dataclass
class Header:
    """A run of header lines; `title` is set when it opens a document."""

    first: int
    last: int
    title: str | None = None
    subject: str | None = None
    number: str | None = None
    date: str | None = None
    speaker: str | None = None
    signer: str | None = None
    signature: tuple[int, int] | None = None


def find_headers(lines: tuple[str, ...]) -> tuple[list[Header], dict[int, str]]:
    """Header runs in file order, and the role (`header` or `signature`) of each of their lines."""
    text = [squash(x) for x in lines]
    marks: dict[int, str] = {}
    for i, line in enumerate(text):
        marks.update(_mark(text, i, line, marks))
    headers: list[Header] = []
    roles: dict[int, str] = {}
    i = 0
    while i < len(text):
        if i not in marks:
            i += 1
            continue
        j = i
        while j + 1 < len(text) and (j + 1 in marks or (not text[j + 1] and j + 2 in marks)):
            j += 1
        run = range(i, j + 1)
        kinds = {marks.get(k) for k in run}
        if kinds & {"anchor", "title", "date", "sign"} and not _title_is_body_heading(text, run, marks):
            headers.append(_header(text, run, marks))
            for k in run:
                if text[k]:
                    roles[k + 1] = "signature" if marks[k] in ("sign", "name") else "header"
        i = j + 1
    return headers, roles


def _mark(text: list[str], i: int, line: str, marks: dict[int, str]) -> dict[int, str]:
    """Classify one line (and its followers, for subjects and names) as a header line."""
    if not line:
        return {}
    prev = next((marks.get(k) for k in range(i - 1, max(i - 4, -1), -1) if text[k]), None)
    if i in marks:
        return {}
    if line.startswith("T/M"):
        return {i: "sign"}
    if line == "(Đã ký)":
        name = next((k for k in range(i + 1, min(i + 4, len(text))) if text[k]), None)
        found = {i: "sign"}
        if name is not None and _NAME.match(text[name]):
            found[name] = "name"
        return found
    if _ANCHOR.match(line) or _NUMBER.match(line):
        return {i: "anchor"}
    if _DATE.match(line):
        return {i: "date"}
    if line == "*" or _SEPARATOR.match(line):
        return {i: "star"}
    if TITLE.match(line) and is_caps(line) and len(line) < 70:
        return {i: "title", **_subject(text, i)}
    if is_caps(line) and len(line) < 70 and not is_marker_start(line):
        return {i: "sign" if prev == "sign" else "caps"}
    return {}


def _subject(text: list[str], title: int) -> dict[int, str]:
    """Lines after a title that complete it: its subject, or `(do đồng chí ... trình bày)`."""
    found: dict[int, str] = {}
    in_parens = False
    taken = 0
    k = title + 1
    while k < len(text) and taken < 7:
        line = text[k]
        if not line:
            k += 1
            nxt = text[k] if k < len(text) else ""
            continues = in_parens or nxt[:1].islower() or nxt.startswith("(") or is_caps(nxt)
            if taken and nxt and not continues and not _is_header_like(nxt):
                break
            continue
        if _is_header_like(line) and not in_parens:
            break
        if is_caps(line) and not in_parens:
            found[k] = "title"
        else:
            if line.endswith(".") and not in_parens:
                break
            in_parens = (in_parens or line.startswith("(")) and ")" not in line
            found[k] = "subject"
        taken += 1
        k += 1
    return found


def _is_header_like(line: str) -> bool:
    return bool(
        _ANCHOR.match(line)
        or line.startswith("T/M")
        or _SEPARATOR.match(line)
        or line == "*"
        or _DATE.match(line)
    )


def _title_is_body_heading(text: list[str], run: range, marks: dict[int, str]) -> bool:
    """A caps heading like `NGHỊ QUYẾT ĐẠI HỘI ...` inside a body, with no header around it."""
    kinds = {marks.get(k) for k in run}
    if kinds & {"anchor", "date", "sign"}:
        return False
    return not any(_SEPARATOR.match(text[k]) for k in run)


def _header(text: list[str], run: range, marks: dict[int, str]) -> Header:
    header = Header(first=run[0] + 1, last=run[-1] + 1)
    while not text[header.last - 1]:
        header.last -= 1
    titles = [text[k] for k in run if marks.get(k) == "title"]
    subject = [text[k] for k in run if marks.get(k) == "subject"]
    if titles:
        header.title = " ".join(titles)
    speaker = [s for s in subject if s.startswith("(") or not s.startswith(("của", "về"))]
    if subject and subject[0].startswith("("):
        said = squash(" ".join(speaker)).strip("()")
        header.speaker = re.sub(r"^do đồng chí\s+|,?\s*trình bày tại Đại hội$", "", said).strip(" ,")
    elif subject:
        header.subject = squash(" ".join(subject))
    for k in run:
        number, date = _NUMBER.match(text[k]), _DATE.match(text[k])
        if number:
            header.number = re.sub(r"\s*[-–]\s*", "-", number.group(1))
        if date:
            day, month, year = (int(x) for x in date.groups())
            header.date = f"{year:04d}-{month:02d}-{day:02d}"
        if marks.get(k) == "name":
            header.signer = text[k]
    signs = [k + 1 for k in run if marks.get(k) in ("sign", "name")]
    if signs:
        header.signature = (min(signs), max(signs))
    return header
