"""A brief as a handout: Markdown (citations as footnotes) or DOCX (numbered notes at the end)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.brief import Brief, Figure, Question, Section
from assistant.reading import plain_heading

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph as DocxParagraph

LETTERS = "ABCDEFGH"
_WIDTHS_CM = (0.9, 2.7, 7.5, 3.4, 1.9)
SUMMARY = "Tóm lược (mô hình viết, đã đối chiếu với đoạn trích): "
_WHERE = {"mục": "theo tiêu đề mục", "văn bản": "theo tên văn bản"}


def heading(section: Section) -> str:
    if section.heading == section.document:
        return section.document
    return f"{plain_heading(section.heading)} ({section.document})"


def title(brief: Brief) -> str:
    return f"Tài liệu sinh hoạt chuyên đề: {brief.topic}"


def intro() -> str:
    day = time.strftime("%d/%m/%Y")
    return (
        f"Soạn tự động ngày {day} từ các văn bản đã nạp. Mọi ý, số liệu và đáp án đều trích nguyên văn "
        "và có chú thích nguồn (văn bản, mục, đoạn); người soạn cần đọc lại trước khi sử dụng."
    )


def period(figure: Figure) -> str:
    """The period as shown: headings in capitals lowered, with where it was read when not in the sentence."""
    text = figure.period.lower() if figure.period.isupper() else figure.period
    if not text:
        return "không nêu"
    where = _WHERE.get(figure.period_from)
    return f"{text} ({where})" if where else text


def key_lines(q: Question) -> Iterator[tuple[str, list[int]]]:
    """The answer key of a question as (text, cited note numbers) lines."""
    if q.kind == "choice" and q.answer is not None:
        key = q.keys[0]
        yield f"Đáp án {LETTERS[q.answer]}: {q.options[q.answer]}. Căn cứ: “{key.text}”", [key.citation.n]
        others = [s.n for i, s in enumerate(q.sources) if i != q.answer]
        if others:
            yield "Các phương án còn lại là số liệu, nội dung khác trong các văn bản", sorted(set(others))
        return
    for k in q.keys:
        yield f"“{k.text}”", [k.citation.n]


# -- Markdown ----------------------------------------------------------------------------------------


def _marks(numbers: list[int]) -> str:
    return "".join(f"[^{n}]" for n in numbers)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def to_markdown(brief: Brief) -> str:
    """The brief as Markdown; each cited paragraph is a footnote (document, number, section, paragraph)."""
    lines = [f"# {title(brief)}", "", f"*{intro()}*", ""]
    lines += [f"*{brief.notice}*", ""] if brief.notice else []
    lines += ["## I. Những nội dung chính", ""]
    for i, section in enumerate(brief.outline, start=1):
        lines += [f"### {i}. {heading(section)}", ""]
        if section.summary:
            said = " ".join(f"{x.text} {_marks([c.n for c in x.citations])}" for x in section.summary)
            lines += [f"*{SUMMARY}*{said}", ""]
        lines += [f"- {p.text} {_marks([p.citation.n])}" for p in section.points]
        lines.append("")
    lines += ["## II. Số liệu chính", ""]
    if brief.figures:
        lines += ["| # | Số liệu | Nội dung | Thời kỳ, phạm vi | Nguồn |", "| --- | --- | --- | --- | --- |"]
        for i, f in enumerate(brief.figures, start=1):
            cells = [str(i), f.value, f.measure, period(f), _marks([f.citation.n])]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines += ["", "*Cùng một chỉ tiêu có thể có ở nhiều văn bản, thời kỳ: mỗi số liệu ghi nguồn riêng.*"]
    else:
        lines.append("*Không tìm thấy số liệu về chủ đề này.*")
    lines += ["", "## III. Câu hỏi ôn tập, thảo luận", ""]
    for i, q in enumerate(brief.questions, start=1):
        label = "trắc nghiệm" if q.kind == "choice" else "thảo luận"
        lines += [f"**Câu {i}** ({label}). {q.prompt}", ""]
        lines += [f"- {LETTERS[j]}. {option}" for j, option in enumerate(q.options)]
        lines += [""] if q.options else []
    lines += ["## IV. Đáp án và gợi ý trả lời", ""]
    for i, q in enumerate(brief.questions, start=1):
        lines += [f"**Câu {i}.**", ""]
        lines += [f"- {text} {_marks(numbers)}" for text, numbers in key_lines(q)]
        lines.append("")
    lines += ["## Chú thích nguồn", ""]
    lines += [f"[^{c.n}]: {c.reference}" for c in brief.notes]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(brief: Brief, out: Path) -> Path:
    out.write_text(to_markdown(brief), encoding="utf-8")
    return out


# -- DOCX --------------------------------------------------------------------------------------------


def _cite(paragraph: DocxParagraph, numbers: list[int]) -> None:
    run = paragraph.add_run("".join(f"[{n}]" for n in numbers))
    run.font.superscript = True


def write_docx(brief: Brief, out: Path) -> Path:
    """The brief as a Word document; citations are superscript [n] with the numbered notes at the end."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"  # the administrative standard; it carries Vietnamese letters
    normal.font.size = Pt(12)
    doc.add_heading(title(brief), level=0)
    doc.add_paragraph().add_run(intro()).italic = True
    if brief.notice:
        doc.add_paragraph().add_run(brief.notice).italic = True
    doc.add_heading("I. Những nội dung chính", level=1)
    for i, section in enumerate(brief.outline, start=1):
        doc.add_heading(f"{i}. {heading(section)}", level=2)
        if section.summary:
            opening = doc.add_paragraph()
            opening.add_run(SUMMARY).italic = True
            for x in section.summary:
                opening.add_run(x.text + " ")
                _cite(opening, [c.n for c in x.citations])
                opening.add_run(" ")
        for p in section.points:
            item = doc.add_paragraph(p.text + " ", style="List Bullet")
            _cite(item, [p.citation.n])
    doc.add_heading("II. Số liệu chính", level=1)
    if brief.figures:
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        table.autofit = False
        header = ["#", "Số liệu", "Nội dung", "Thời kỳ, phạm vi", "Nguồn"]
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.paragraphs[0].add_run(text).bold = True
        for i, f in enumerate(brief.figures, start=1):
            cells = table.add_row().cells
            for cell, text in zip(cells[:4], [str(i), f.value, f.measure, period(f)], strict=True):
                cell.text = text
            _cite(cells[4].paragraphs[0], [f.citation.n])
        # The measure gets the room; LibreOffice reads the grid's widths, Word the cells'.
        for column, width in zip(table.columns, _WIDTHS_CM, strict=True):
            column.width = Cm(width)
            for cell in column.cells:
                cell.width = Cm(width)
    else:
        doc.add_paragraph("Không tìm thấy số liệu về chủ đề này.")
    doc.add_heading("III. Câu hỏi ôn tập, thảo luận", level=1)
    for i, q in enumerate(brief.questions, start=1):
        asked = doc.add_paragraph()
        asked.add_run(f"Câu {i} ({'trắc nghiệm' if q.kind == 'choice' else 'thảo luận'}). ").bold = True
        asked.add_run(q.prompt)
        for j, option in enumerate(q.options):
            doc.add_paragraph(f"{LETTERS[j]}. {option}").paragraph_format.left_indent = Pt(18)
    doc.add_heading("IV. Đáp án và gợi ý trả lời", level=1)
    for i, q in enumerate(brief.questions, start=1):
        doc.add_paragraph().add_run(f"Câu {i}.").bold = True
        for text, numbers in key_lines(q):
            line = doc.add_paragraph(text + " ", style="List Bullet")
            _cite(line, numbers)
    doc.add_heading("Chú thích nguồn", level=1)
    for c in brief.notes:
        note = doc.add_paragraph()
        note.add_run(f"[{c.n}] ").bold = True
        note.add_run(c.reference).font.size = Pt(10)
    doc.save(str(out))
    return out


def write(brief: Brief, out: Path) -> Path:
    """Write the brief to a .docx or .md file, chosen by the file's suffix."""
    if out.suffix.lower() == ".docx":
        return write_docx(brief, out)
    return write_markdown(brief, out)
