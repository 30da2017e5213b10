"""The "Tài liệu sinh hoạt" tab: study-session material on a topic, shown and offered as DOCX and Markdown."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
from gradio.events import api

from ui import handlers

if TYPE_CHECKING:
    from assistant import Assistant

TOPICS = ["công tác kiểm tra, giám sát", "các chỉ tiêu nhiệm kỳ 2020-2025", "Chỉ thị 05"]
MODE_LABELS = {"extractive": "Chỉ trích nguyên văn", "generative": "Thêm tóm lược (mô hình ngôn ngữ)"}
PLACEHOLDER = (
    "*Nhập chủ đề rồi bấm **Soạn tài liệu**: dàn ý các nội dung chính, bảng số liệu, câu hỏi ôn tập kèm "
    "đáp án, mọi ý đều trích nguyên văn và có chú thích nguồn.*"
)


def brief_tab(bot: Assistant, guarded: Callable[..., Any], answering: dict[str, Any]) -> gr.Dropdown:
    """Build the tab (inside the app's Tabs) and wire it; returns its document filter for the app to fill."""
    modes = bot.modes()
    with gr.Tab("Tài liệu sinh hoạt", id="brief"):
        folder = gr.State("")
        with gr.Row():
            topic = gr.Textbox(
                label="Chủ đề",
                placeholder="Ví dụ: công tác kiểm tra, giám sát",
                scale=3,
                max_length=300,
                elem_id="vk-brief-topic",
            )
            doc = gr.Dropdown(
                [("Tất cả văn bản", "")], value="", label="Lấy từ", scale=2, elem_id="vk-brief-doc"
            )
            mode = gr.Radio(
                [(MODE_LABELS.get(m, m), m) for m in modes],
                value="extractive",
                label="Cách soạn",
                visible=len(modes) > 1,
                scale=2,
                elem_id="vk-brief-mode",
            )
        gr.Examples([[t] for t in TOPICS], [topic], label="Chủ đề mẫu", api_visibility="private")
        make = gr.Button("Soạn tài liệu", variant="primary", elem_id="vk-brief-make")
        files = gr.File(
            label="Tải về (DOCX, Markdown)", file_count="multiple", visible=False, elem_id="vk-brief-files"
        )
        page = gr.Markdown(PLACEHOLDER, elem_id="vk-brief")

    def compose(text: str, doc_id: str | None, chosen: str, kept: str) -> tuple[Any, Any, str]:
        where = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="vankien-brief-"))
        markdown, paths = handlers.brief(bot, text, doc_id, chosen if chosen in modes else None, where)
        return markdown, gr.update(value=[str(p) for p in paths] or None, visible=bool(paths)), str(where)

    private: dict[str, Any] = {"api_visibility": "private"}
    for trigger in (topic.submit, make.click):
        trigger(lambda: gr.update(interactive=False), None, make, queue=False, **private).then(
            guarded(compose), [topic, doc, mode, folder], [page, files, folder], **answering
        ).then(lambda: gr.update(interactive=True), None, make, queue=False, **private)

    return doc


def brief_api(bot: Assistant, guarded: Callable[..., Any]) -> None:
    """The brief as an API endpoint (`/brief`: topic, document, mode); registered outside the tabs."""

    def api_brief(topic: str, doc: str = "", mode: str = "") -> dict[str, Any]:
        """Study-session material on a topic: outline, figures, quiz, notes, and its Markdown."""
        return guarded(handlers.api_brief)(bot, topic, doc, mode)  # type: ignore[no-any-return]

    api(api_brief, api_name="brief", concurrency_limit=4, concurrency_id="answer")
