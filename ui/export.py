"""A conversation with its citations as Markdown or DOCX, for trainers' handouts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from assistant.records import Answer, Citation
from ui.render import Exchange, location

TITLE = "Hỏi đáp văn kiện: trích dẫn nguồn"


def _sources(answer: Answer) -> tuple[str, tuple[Citation, ...]]:
    if answer.refused:
        return "Các đoạn gần nhất (có thể liên quan, không phải trích dẫn)", answer.related
    return "Nguồn trích dẫn", answer.citations


def _stamp(exchanges: Sequence[Exchange]) -> str:
    moment = exchanges[0].time if exchanges else time.time()
    return time.strftime("%d/%m/%Y %H:%M", time.localtime(moment))


def to_markdown(exchanges: Sequence[Exchange]) -> str:
    lines = [f"# {TITLE}", "", f"Ngày: {_stamp(exchanges)}", ""]
    for turn, ex in enumerate(exchanges, start=1):
        a = ex.answer
        lines += [f"## Câu hỏi {turn}: {a.question}", ""]
        if a.standalone_question and a.standalone_question != a.question:
            lines += [f"*Câu hỏi đã tìm kiếm: {a.standalone_question}*", ""]
        lines += [f"**Trả lời:** {a.answer}", ""]
        if a.notice:
            lines += [f"*{a.notice}*", ""]
        heading, cited = _sources(a)
        if cited:
            lines += [f"### {heading}", ""]
        for c in cited:
            lines += [
                f"{c.n}. {c.reference}",
                f"   - Vị trí: {location(c)}",
                f"   > {c.support or c.text}",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def write_docx(exchanges: Sequence[Exchange], out: Path) -> Path:
    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document()
    doc.add_heading(TITLE, level=0)
    doc.add_paragraph(f"Ngày: {_stamp(exchanges)}")
    for turn, ex in enumerate(exchanges, start=1):
        a = ex.answer
        doc.add_heading(f"Câu hỏi {turn}: {a.question}", level=1)
        if a.standalone_question and a.standalone_question != a.question:
            doc.add_paragraph().add_run(f"Câu hỏi đã tìm kiếm: {a.standalone_question}").italic = True
        answer = doc.add_paragraph()
        answer.add_run("Trả lời: ").bold = True
        answer.add_run(a.answer)
        if a.notice:
            doc.add_paragraph().add_run(a.notice).italic = True
        heading, cited = _sources(a)
        if cited:
            doc.add_heading(heading, level=2)
        for c in cited:
            item = doc.add_paragraph(style="List Number")
            item.add_run(c.reference)
            where = doc.add_paragraph(f"Vị trí: {location(c)}")
            where.runs[0].font.size = Pt(9)
            where.runs[0].font.color.rgb = RGBColor(0x55, 0x55, 0x55)
            doc.add_paragraph(c.support or c.text, style="Intense Quote")
    doc.save(str(out))
    return out


def write_markdown(exchanges: Sequence[Exchange], out: Path) -> Path:
    out.write_text(to_markdown(exchanges), encoding="utf-8")
    return out
