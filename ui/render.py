"""What the page shows, as plain strings: chat messages, the sources panel, a document's paragraphs."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.records import Answer, Citation
from ingest.records import Document

_MARKER = re.compile(r"\[(\d+)\]")
KIND_LABELS = {
    "speech": "bài phát biểu",
    "report": "báo cáo",
    "resolution": "nghị quyết",
    "programme": "chương trình",
    "other": "khác",
}
PARAGRAPH_KINDS = {
    "body": "đoạn",
    "heading": "tiêu đề",
    "list_item": "mục liệt kê",
    "footnote": "chú thích",
    "signature": "chữ ký",
}


@dataclass(frozen=True)
class Exchange:
    """One question and its answer in a session (the session's history is a list of these)."""

    id: str
    answer: Answer
    time: float
    doc: str | None = None
    """The document filter the question was asked with."""


def anchor(turn: int, n: int, related: bool = False) -> str:
    return f"{'gan' if related else 'nguon'}-{turn}-{n}"


def link_markers(text: str, turn: int, numbers: set[int]) -> str:
    """[n] markers become links to the cited paragraph in the sources panel."""

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]](#{anchor(turn, n)})" if n in numbers else m.group(0)

    return _MARKER.sub(link, text)


def _escape_md(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def searched_note(answer: Answer) -> str:
    """The standalone question shown for a follow-up (when the assistant rewrote the question)."""
    standalone = answer.standalone_question.strip()
    if not standalone or standalone == answer.question.strip():
        return ""
    return f"🔎 *Câu hỏi đã tìm kiếm:* {_escape_md(standalone)}\n\n"


def assistant_message(answer: Answer, turn: int) -> str:
    """The chat bubble of an answer: the searched question, the answer with linked markers, a notice."""
    parts = [searched_note(answer)]
    if answer.refused:
        parts.append(f"⚠️ **{_escape_md(answer.answer)}**")
        if answer.related:
            links = ", ".join(
                f"[{_escape_md(c.document[:60])}, đoạn {c.ordinal}](#{anchor(turn, c.n, True)})"
                for c in answer.related
            )
            parts.append(f"\n\nCác đoạn gần nhất (có thể liên quan, xem bảng Nguồn): {links}")
    else:
        numbers = {c.n for c in answer.citations}
        parts.append(link_markers(_escape_md(answer.answer), turn, numbers))
    if answer.notice:
        parts.append(f"\n\n*{_escape_md(answer.notice)}*")
    return "".join(parts)


def messages(
    history: Sequence[Exchange], pending: str | None = None, partial: str = ""
) -> list[dict[str, str]]:
    """The Chatbot's messages: two per exchange, plus the question being answered and its partial answer."""
    out: list[dict[str, str]] = []
    for turn, ex in enumerate(history, start=1):
        out.append({"role": "user", "content": _escape_md(ex.answer.question)})
        out.append({"role": "assistant", "content": assistant_message(ex.answer, turn)})
    if pending is not None:
        out.append({"role": "user", "content": _escape_md(pending)})
        out.append({"role": "assistant", "content": partial or "⏳ *Đang tìm trong tài liệu…*"})
    return out


def highlight(text: str, support: str) -> str:
    """The paragraph as HTML with the supporting span marked (the span is verbatim in the text)."""
    start = text.find(support) if support else -1
    if start < 0:
        return html.escape(text)
    end = start + len(support)
    return (
        html.escape(text[:start]) + f"<mark>{html.escape(text[start:end])}</mark>" + html.escape(text[end:])
    )


def location(c: Citation) -> str:
    page = f", trang {c.page}" if c.page else ""
    return f"{c.file}, dòng {c.lines[0]}–{c.lines[1]}{page}"


def _card(c: Citation, turn: int, related: bool) -> str:
    e = html.escape
    label = "Đoạn gần nhất" if related else f"[{c.n}]"
    section = f"<div><b>Mục:</b> {e(c.section)}</div>" if c.section else ""
    return (
        f'<div class="vk-source{" vk-related" if related else ""}" id="{anchor(turn, c.n, related)}">'
        f'<div class="vk-title">{label} {e(c.document)}</div>'
        f'<div class="vk-meta">{section}<div><b>Đoạn số:</b> {c.ordinal} · <b>Nguồn:</b> '
        f"{e(location(c))} · <code>{e(c.id)}</code></div></div>"
        f'<p class="vk-text">{highlight(c.text, c.support)}</p>'
        f'<div class="vk-ref"><span>{e(c.reference)}</span> '
        f'<button class="vk-copy" type="button" data-copy="{e(c.reference)}">Sao chép trích dẫn</button>'
        "</div></div>"
    )


def sources_html(history: Sequence[Exchange]) -> str:
    """The sources panel: every answer's cited paragraphs, the newest answer open and first."""
    if not history:
        return '<div class="vk-empty">Nguồn trích dẫn của câu trả lời sẽ hiện ở đây.</div>'
    blocks = []
    for turn in range(len(history), 0, -1):
        answer = history[turn - 1].answer
        if answer.refused:
            heading = "Không tìm thấy trong tài liệu. Các đoạn gần nhất (không phải trích dẫn):"
            cards = [_card(c, turn, True) for c in answer.related]
        else:
            heading = f"{len(answer.citations)} đoạn được trích dẫn"
            cards = [_card(c, turn, False) for c in answer.citations]
        if not cards:
            cards = ['<div class="vk-empty">Không có đoạn nào.</div>']
        is_open = " open" if turn == len(history) else ""
        blocks.append(
            f'<details class="vk-turn"{is_open} data-turn="{turn}"><summary>Câu hỏi {turn}: '
            f"{html.escape(answer.question[:120])}</summary>"
            f'<div class="vk-heading{" vk-notfound" if answer.refused else ""}">{heading}</div>'
            + "".join(cards)
            + "</details>"
        )
    return "".join(blocks)


def document_label(d: Document) -> str:
    extra = ", ".join(x for x in (d.number, d.date) if x)
    return d.title[:100] + (f" ({extra})" if extra else "")


def paragraphs_html(document: Document) -> str:
    """A document's paragraphs in order, with ids and locations, for reading the text itself."""
    e = html.escape
    head = (
        f'<div class="vk-doc"><h3>{e(document.title)}</h3><div class="vk-meta">'
        f"{e(KIND_LABELS.get(document.kind, document.kind))}"
        + "".join(f" · {e(x)}" for x in (document.number, document.date, document.file) if x)
        + f" · {len(document.paragraphs)} đoạn</div>"
    )
    rows: list[str] = []
    section: tuple[str, ...] = ()
    for p in document.paragraphs:
        if p.section and p.section != section:
            rows.append(f'<div class="vk-section">{e(" › ".join(p.section))}</div>')
            section = p.section
        page = f", tr. {p.page}" if p.page else ""
        rows.append(
            f'<div class="vk-para vk-{e(p.kind)}" id="p-{e(p.id)}"><div class="vk-meta">§{p.ordinal} · '
            f"<code>{e(p.id)}</code> · {e(PARAGRAPH_KINDS.get(p.kind, p.kind))} · dòng "
            f"{p.lines[0]}–{p.lines[1]}{page}</div><div>{e(p.text)}</div></div>"
        )
    return head + "".join(rows) + "</div>"


_NOTE = re.compile(r"^\[\^(\d+)\]: ", re.MULTILINE)
_NOTE_MARK = re.compile(r"\[\^(\d+)\]")


def brief_markdown(markdown: str) -> str:
    """A brief's Markdown for the page: Gradio renders no footnotes, so markers become superscript [n]
    and the footnotes a list of numbered sources (the downloaded .md keeps real footnotes)."""
    listed = _NOTE.sub(lambda m: f"- **[{m[1]}]** ", markdown)
    return _NOTE_MARK.sub(lambda m: f'<sup class="vk-note">[{m[1]}]</sup>', listed)
