"""The app's handlers as plain functions of plain values (the Gradio wiring is in ui/app.py)."""

from __future__ import annotations

import re
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.records import Turn
from ingest.records import UserError
from ui import render
from ui.export import write_docx, write_markdown
from ui.feedback import FeedbackStore
from ui.render import Exchange

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.brief import Brief
    from index import Index

UPLOAD_TYPES = (".txt", ".md", ".pdf", ".docx")
MAX_FILES = 20
DOCUMENT_HEADERS = ["Mã", "Tên văn bản", "Loại", "Số hiệu", "Ngày", "Số đoạn", "Tệp nguồn"]
_ITEM = re.compile(r"\s*(?:[-+*•–]|\d+[.)]|[a-zđ]\))\s")
_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s/'\"()]+)+/([^\s/'\"()]*)")

Update = tuple[list[dict[str, str]], str, list[Exchange]]
"""What the chat shows after each step: the messages, the sources panel, the session's history."""


def friendly(exc: BaseException) -> str:
    """An error's message for users: server paths reduced to file names."""
    return _PATH.sub(r"\1", str(exc)) or "Đã xảy ra lỗi."


def turns(history: Sequence[Exchange]) -> list[Turn]:
    out = []
    for ex in history:
        out += [Turn("user", ex.answer.question), Turn("assistant", ex.answer.answer)]
    return out


def ask(
    assistant: Assistant,
    question: str,
    history: Sequence[Exchange],
    mode: str | None = None,
    doc: str | None = None,
) -> Iterator[Update]:
    """Answer one question of a session, streaming: the answer grows sentence by sentence.

    A question the assistant turns down (empty, too long, not Vietnamese) or a document filter that
    names no document gets its one-sentence reason in the chat, outside the session's history.
    """
    history = list(history)
    doc = doc or None
    sources = render.sources_html(history)
    yield render.messages(history, question), sources, history
    searched, text = "", ""
    try:
        mode = mode if mode in assistant.modes() else None
        for event in assistant.stream(question, turns(history), mode=mode, doc=doc):
            if event.kind == "standalone" and event.text.strip() != question.strip():
                searched = f"🔎 *Câu hỏi đã tìm kiếm:* {event.text}\n\n"
            elif event.kind == "sentence":
                text += _glue(text, event.text) + event.text
            elif event.kind == "done" and event.answer is not None:
                history = [*history, Exchange(uuid.uuid4().hex, event.answer, time.time(), doc)]
                yield render.messages(history), render.sources_html(history), history
                return
            else:
                continue
            yield render.messages(history, question, searched + text), sources, history
    except UserError as exc:
        yield render.messages(history, question, f"⚠️ {friendly(exc)}"), sources, history


def _glue(text: str, sentence: str) -> str:
    """List items go on their own line; sentences of a paragraph follow each other."""
    if not text or text.endswith(("\n", " ")) or sentence.startswith("\n"):
        return ""
    return "\n" if _ITEM.match(sentence) else " "


def api_ask(
    assistant: Assistant, question: str, history: Sequence[dict[str, str]], mode: str, doc: str
) -> dict[str, Any]:
    """The API's answer: the whole Answer as a dict (history: [{role, content}, ...])."""
    past = [Turn(str(t["role"]), str(t["content"])) for t in history]
    chosen = mode if mode in assistant.modes() else None
    return assistant.ask(question, past, mode=chosen, doc=doc or None).as_dict()


# -- documents ------------------------------------------------------------------------------------


def document_rows(index: Index) -> list[list[Any]]:
    return [
        [d.id, d.title, render.KIND_LABELS.get(d.kind, d.kind), d.number or "", d.date or "", n, d.file]
        for d, n in index.documents()
    ]


def document_choices(index: Index) -> list[tuple[str, str]]:
    return [(render.document_label(d), d.id) for d, _ in index.documents()]


def browse(index: Index, doc_id: str | None) -> str:
    if not doc_id:
        return '<div class="vk-empty">Chọn một văn bản để đọc các đoạn của nó.</div>'
    return render.paragraphs_html(index.document(doc_id))


def remove(index: Index, doc_id: str | None) -> str:
    if not doc_id:
        raise UserError("Hãy chọn văn bản cần gỡ.")
    name, count = index.remove(doc_id)
    return f"Đã gỡ tệp **{name}** ({count} đoạn) cùng mọi văn bản trong tệp."


def ingest_files(
    index: Index,
    paths: Sequence[str | Path],
    max_bytes: int,
    progress: Callable[[float, str], None] = lambda _f, _m: None,
) -> str:
    """Read, check and index uploaded files; one result line per file (failures do not stop the rest)."""
    from ingest import load_file
    from ingest.records import FileResult

    files = [Path(p) for p in paths]
    if not files:
        raise UserError("Chưa chọn tệp nào để nạp.")
    if len(files) > MAX_FILES:
        raise UserError(f"Mỗi lần chỉ nạp tối đa {MAX_FILES} tệp.")
    results = []
    for number, path in enumerate(files):
        progress(number / (len(files) + 1), f"Đang đọc {path.name}")
        if path.suffix.lower() not in UPLOAD_TYPES:
            results.append(
                FileResult(path.name, "", "", error="loại tệp không được hỗ trợ (.txt, .md, .pdf, .docx)")
            )
        elif path.stat().st_size > max_bytes:
            results.append(FileResult(path.name, "", "", error=f"tệp lớn hơn {max_bytes / 2**20:.3g} MB"))
        else:
            results.append(load_file(path, max_bytes))
    total = max(sum(r.paragraph_count for r in results), 1)
    done: dict[str, int] = {}

    def report(file: str, embedded: int, _: int) -> None:
        done[file] = embedded
        progress(0.5 + 0.5 * sum(done.values()) / total, f"Đang lập chỉ mục {file}")

    reports = index.add(results, progress=report)
    by_file = {r.file: r for r in results}
    lines = [_result_line(by_file[r.file], r.status) for r in reports]
    ok = sum(r.status != "error" for r in reports)
    return f"**Nạp xong {ok}/{len(reports)} tệp.**\n\n" + "\n".join(lines)


def _result_line(result: Any, status: str) -> str:
    if result.error:
        return f"- ✗ **{result.file}**: {friendly(Exception(result.error))}"
    label = {"new": "mới", "updated": "cập nhật", "unchanged": "không đổi"}.get(status, status)
    return (
        f"- ✓ **{result.file}** ({label}): {len(result.documents)} văn bản, {result.paragraph_count} đoạn"
        + "".join(f"\n  - {d.title[:100]}" for d in result.documents)
    )


# -- feedback and export --------------------------------------------------------------------------


def _about(assistant: Assistant, ex: Exchange) -> dict[str, Any]:
    s = assistant.settings
    return {"mode": ex.answer.mode, "doc": ex.doc, "embedder": s.embedder, "generator": s.generator}


def rate(
    assistant: Assistant, store: FeedbackStore, history: Sequence[Exchange], message: int, liked: bool | None
) -> None:
    """A 👍 or 👎 on the assistant message at that index of the chat (two messages per exchange)."""
    turn = message // 2
    if not 0 <= turn < len(history):
        return
    ex = history[turn]
    past = [{"role": t.role, "content": t.content} for t in turns(history[:turn])]
    rating = None if liked is None else (1 if liked else -1)
    store.record(ex.id, ex.answer, past, _about(assistant, ex), rating=rating)


def comment(assistant: Assistant, store: FeedbackStore, history: Sequence[Exchange], text: str) -> str:
    """A comment on the latest answer."""
    if not history:
        raise UserError("Chưa có câu trả lời nào để góp ý.")
    if not text.strip():
        raise UserError("Góp ý trống.")
    ex = history[-1]
    past = [{"role": t.role, "content": t.content} for t in turns(history[:-1])]
    store.record(ex.id, ex.answer, past, _about(assistant, ex), comment=text.strip()[:2000])
    return "Đã ghi nhận góp ý. Cảm ơn đồng chí!"


def export(history: Sequence[Exchange], fmt: str) -> Path:
    """The conversation as a .md or .docx file in a fresh temporary folder (Gradio serves it)."""
    if not history:
        raise UserError("Chưa có câu hỏi nào để xuất.")
    folder = Path(tempfile.mkdtemp(prefix="vankien-"))
    name = f"hoi-dap-{time.strftime('%Y%m%d-%H%M')}"
    if fmt == "docx":
        return write_docx(history, folder / f"{name}.docx")
    return write_markdown(history, folder / f"{name}.md")


def export_questions(store: FeedbackStore) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="vankien-"))
    out = folder / f"bo-cau-hoi-gop-y-{time.strftime('%Y%m%d-%H%M')}.jsonl"
    if not store.export_questions(out):
        raise UserError("Chưa có góp ý nào để xuất.")
    return out


# -- study-session briefs -------------------------------------------------------------------------


def make_brief(assistant: Assistant, topic: str, doc: str | None = None, mode: str | None = None) -> Brief:
    """A brief on the topic (generative summaries only in that mode, when a generator is configured)."""
    from assistant.brief import make_brief as build

    generator = assistant.generator() if mode == "generative" else None
    return build(assistant.index, topic, doc=doc or None, generator=generator)


def brief(
    assistant: Assistant, topic: str, doc: str | None, mode: str | None, folder: Path
) -> tuple[str, list[Path]]:
    """The brief for the page and its DOCX and Markdown files, written to the session's folder (earlier
    briefs there are replaced); a topic with no material gets its one-sentence reason and no files."""
    from assistant.brief_export import to_markdown, write_docx, write_markdown

    try:
        material = make_brief(assistant, topic, doc, mode)
    except UserError as exc:
        return f"⚠️ {friendly(exc)}", []
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("tai-lieu-sinh-hoat*.docx"), *folder.glob("tai-lieu-sinh-hoat*.md")]:
        old.unlink()
    name = f"tai-lieu-sinh-hoat-{slug(material.topic)}"
    files = [write_docx(material, folder / f"{name}.docx"), write_markdown(material, folder / f"{name}.md")]
    return render.brief_markdown(to_markdown(material)), files


def api_brief(assistant: Assistant, topic: str, doc: str, mode: str) -> dict[str, Any]:
    """The API's brief: the whole Brief as a dict, with its Markdown (footnotes) under `markdown`."""
    from assistant.brief_export import to_markdown

    material = make_brief(assistant, topic, doc, mode if mode in assistant.modes() else None)
    return {**material.as_dict(), "markdown": to_markdown(material)}


def slug(text: str, limit: int = 60) -> str:
    """A file name's part from Vietnamese text: ASCII letters and digits joined by hyphens."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_ = "".join(ch for ch in plain if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_.lower()))[:limit].strip("-") or "chu-de"
