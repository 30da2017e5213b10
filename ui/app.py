"""The Gradio app: `build` returns the Blocks without launching them; `serve` launches them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr
from gradio.events import api

from ingest.records import UserError
from ui import handlers, render
from ui.auth import checker, login_required
from ui.brief_tab import brief_api, brief_tab
from ui.feedback import FeedbackStore
from ui.style import CSS, HEAD

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.settings import Settings

log = logging.getLogger("vankien.ui")
EXAMPLES = [
    "Đại hội Đảng bộ CCQ tỉnh lần thứ 18 khai mạc ngày nào?",
    "Phương châm hành động của Đảng bộ CCQ nhiệm kỳ này là gì?",
    "Nhiệm kỳ 2015-2020 CCQ kết nạp được bao nhiêu đảng viên mới?",
    "3 đột phá khi thực hiện Chỉ thị 05 ở CCQ là gì?",
]
MODE_LABELS = {"extractive": "Trích nguyên văn", "generative": "Diễn đạt (mô hình ngôn ngữ)"}
LOGIN_MESSAGE = (
    "<b>Đăng nhập để dùng vankien.</b> Nhập tên đăng nhập (username) và mật khẩu (password) do quản trị "
    "viên cấp, rồi bấm Login. Báo <i>Incorrect Credentials</i> nghĩa là sai tên hoặc mật khẩu."
)
UNEXPECTED = "Đã xảy ra lỗi ngoài dự kiến; hãy thử lại hoặc báo cho quản trị viên."


def _shown(exc: Exception) -> gr.Error:
    """Errors reach users as one Vietnamese sentence: no traceback, no server path."""
    if isinstance(exc, UserError):
        return gr.Error(handlers.friendly(exc), print_exception=False)
    log.exception("unexpected error in a handler")
    return gr.Error(UNEXPECTED, print_exception=False)


def build(settings: Settings, assistant: Assistant | None = None) -> gr.Blocks:
    """The whole app: chat with sources, documents, feedback and export (not launched)."""
    from assistant import Assistant

    bot = assistant or Assistant(settings)
    index = bot.index
    store = FeedbackStore(settings.data_dir / "feedback.sqlite")
    modes = bot.modes()
    limit = settings.max_upload_mb

    def respond(question: str, history: list[render.Exchange], mode: str, doc: str | None) -> Iterator[Any]:
        try:
            yield from handlers.ask(bot, question, history, mode, doc)
        except Exception as exc:
            yield render.messages(history), render.sources_html(history), history  # drop the pending turn
            raise _shown(exc) from None

    def refresh() -> tuple[Any, ...]:
        try:
            choices = handlers.document_choices(index)
            rows = handlers.document_rows(index)
        except Exception as exc:
            raise _shown(exc) from None
        return (
            gr.update(value=rows),
            gr.update(choices=[("Tất cả văn bản", ""), *choices]),
            gr.update(choices=choices, value=None),
            gr.update(choices=choices, value=None),
            gr.update(choices=[("Tất cả văn bản", ""), *choices]),
        )

    def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except Exception as exc:
                raise _shown(exc) from None

        return call

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        try:
            return handlers.ingest_files(
                index, files or [], int(settings.max_upload_mb * 2**20), lambda f, m: progress(f, desc=m)
            )
        except Exception as exc:
            raise _shown(exc) from None

    def like(history: list[render.Exchange], data: gr.LikeData) -> None:
        index_ = data.index if isinstance(data.index, int) else data.index[0]
        guarded(handlers.rate)(bot, store, history, index_, data.liked)

    def example(data: gr.SelectData) -> tuple[str, Any, Any]:
        """An example question clicked on the empty chat is asked (input locked meanwhile)."""
        value = data.value
        text = str(value.get("text", "") if isinstance(value, dict) else value)
        return text, gr.update(interactive=False), gr.update(interactive=False)

    private: dict[str, Any] = {"api_visibility": "private"}
    # Answers and briefs share one limit, app and API alike; the rest of the page stays responsive meanwhile.
    answering: dict[str, Any] = {"concurrency_limit": 4, "concurrency_id": "answer", **private}
    with gr.Blocks(title="vankien: hỏi đáp văn kiện", analytics_enabled=False, fill_width=True) as app:
        history = gr.State([])
        asked = gr.State("")
        gr.Markdown("## vankien · Hỏi đáp có trích dẫn trên văn kiện Đảng", elem_id="vk-header")
        with gr.Tabs():
            with gr.Tab("Hỏi đáp", id="chat"), gr.Row():
                with gr.Column(scale=3):
                    with gr.Row():
                        mode = gr.Radio(
                            [(MODE_LABELS.get(m, m), m) for m in modes],
                            value=settings.answer_mode if settings.answer_mode in modes else modes[-1],
                            label="Cách trả lời",
                            elem_id="vk-mode",
                        )
                        doc = gr.Dropdown(
                            [("Tất cả văn bản", "")], value="", label="Tìm trong", elem_id="vk-doc"
                        )
                    chat = gr.Chatbot(
                        label="Hội thoại",
                        height=560,
                        examples=[{"text": q} for q in EXAMPLES],
                        placeholder="**Đặt câu hỏi về các văn kiện đã nạp.** Câu trả lời luôn kèm đoạn "
                        "văn gốc được trích dẫn.",
                        elem_id="vk-chat",
                        buttons=["copy"],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="Nhập câu hỏi bằng tiếng Việt rồi nhấn Enter…",
                            show_label=False,
                            scale=5,
                            elem_id="vk-question",
                            max_length=2000,
                        )
                        send = gr.Button("Gửi", variant="primary", scale=1, elem_id="vk-send")
                    with gr.Row():
                        new = gr.Button("Cuộc trò chuyện mới", size="sm")
                        to_md = gr.Button("Xuất Markdown", size="sm")
                        to_docx = gr.Button("Xuất DOCX", size="sm")
                    exported = gr.File(label="Tệp xuất", visible=False, elem_id="vk-export")
                    with gr.Accordion("Góp ý về câu trả lời mới nhất", open=False):
                        remark = gr.Textbox(label="Góp ý (không bắt buộc)", lines=2)
                        send_remark = gr.Button("Gửi góp ý", size="sm")
                        remark_status = gr.Markdown()
                with gr.Column(scale=2):
                    gr.Markdown("### Nguồn")
                    sources = gr.HTML(render.sources_html([]), elem_id="vk-sources", js_on_load=None)
            with gr.Tab("Văn bản", id="docs"):
                table = gr.Dataframe(
                    headers=handlers.DOCUMENT_HEADERS,
                    interactive=False,
                    wrap=True,
                    column_widths=["9%", "43%", "9%", "9%", "8%", "6%", "16%"],
                    elem_id="vk-docs",
                    label="Các văn bản đã nạp",
                )
                files = gr.UploadButton(
                    f"Chọn tệp để nạp (.txt, .md, .pdf, .docx; tối đa {limit:g} MB mỗi tệp)",
                    file_count="multiple",
                    file_types=list(handlers.UPLOAD_TYPES),
                    variant="primary",
                    elem_id="vk-upload",
                )
                loaded = gr.Markdown(elem_id="vk-ingest-result")
                with gr.Row():
                    gone = gr.Dropdown(
                        [], label="Gỡ văn bản (gỡ cả tệp chứa nó)", scale=3, elem_id="vk-remove"
                    )
                    remove = gr.Button("Gỡ", variant="stop", scale=1)
                removed = gr.Markdown()
                pick = gr.Dropdown([], label="Đọc văn bản", elem_id="vk-browse")
                reading = gr.HTML(handlers.browse(index, None), elem_id="vk-paragraphs", js_on_load=None)
            brief_doc = brief_tab(bot, guarded, answering)
            with gr.Tab("Góp ý và bộ câu hỏi", id="feedback"):
                gr.Markdown(
                    "Các đánh giá 👍/👎 và góp ý được lưu trong thư mục dữ liệu. Xuất chúng thành bộ câu hỏi "
                    "(JSONL, định dạng của bộ đánh giá) để bổ sung ý chính rồi chấm lại hệ thống."
                )
                to_questions = gr.Button("Xuất bộ câu hỏi từ góp ý")
                questions_file = gr.File(label="Bộ câu hỏi", elem_id="vk-questions")

        lists = [table, doc, gone, pick, brief_doc]
        app.load(refresh, None, lists, **private)
        # One question at a time per session: input is locked until the answer is done (or failed).
        unlocked = (gr.update(interactive=True), gr.update(interactive=True))
        for trigger in (question.submit, send.click):
            trigger(
                lambda q: (gr.update(value="", interactive=False), q, gr.update(interactive=False)),
                [question],
                [question, asked, send],
                queue=False,
                **private,
            ).then(respond, [asked, history, mode, doc], [chat, sources, history], **answering).then(
                lambda: unlocked, None, [question, send], queue=False, **private
            )
        chat.example_select(example, None, [asked, question, send], **private).then(
            respond, [asked, history, mode, doc], [chat, sources, history], **answering
        ).then(lambda: unlocked, None, [question, send], queue=False, **private)
        chat.like(like, [history], None, **private)
        new.click(lambda: ([], render.sources_html([]), []), None, [chat, sources, history], **private)
        chat.clear(lambda: (render.sources_html([]), []), None, [sources, history], **private)
        for button, fmt in ((to_md, "md"), (to_docx, "docx")):
            button.click(
                guarded(lambda h, f=fmt: gr.update(value=str(handlers.export(h, f)), visible=True)),
                [history],
                exported,
                **private,
            )
        send_remark.click(
            guarded(lambda h, t: handlers.comment(bot, store, h, t)),
            [history, remark],
            remark_status,
            **private,
        ).then(lambda: "", None, remark, **private)
        files.upload(upload, [files], loaded, concurrency_limit=1, **private).then(
            refresh, None, lists, **private
        )
        remove.click(guarded(lambda d: handlers.remove(index, d)), [gone], removed, **private).then(
            refresh, None, lists, **private
        )
        pick.change(guarded(lambda d: handlers.browse(index, d)), [pick], reading, **private)
        to_questions.click(
            guarded(lambda: str(handlers.export_questions(store))), None, questions_file, **private
        )

        def api_ask(
            question: str, history: list[dict[str, str]], mode: str = "", doc: str = ""
        ) -> dict[str, Any]:
            """Answer a question (history: [{role, content}]); returns the answer with its citations."""
            return guarded(handlers.api_ask)(bot, question, history, mode, doc)  # type: ignore[no-any-return]

        def api_documents() -> list[dict[str, Any]]:
            """The indexed documents."""
            rows = guarded(handlers.document_rows)(index)
            keys = ["id", "title", "kind", "number", "date", "paragraphs", "file"]
            return [dict(zip(keys, row, strict=True)) for row in rows]

        api(api_ask, api_name="ask", concurrency_limit=4, concurrency_id="answer")
        api(api_documents, api_name="documents")
        brief_api(bot, guarded)
    app.queue(default_concurrency_limit=2)
    return app  # type: ignore[no-any-return]


def serve(
    settings: Settings,
    app: gr.Blocks | None = None,
    prevent_thread_lock: bool = False,
) -> tuple[gr.Blocks, str]:
    """Launch the app on settings.host:port, with a login when one is required; returns it and its URL."""
    auth = checker(settings.users_path()) if login_required(settings.host, settings.auth) else None
    app = app or build(settings)
    _, url, _ = app.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        auth_message=LOGIN_MESSAGE if auth else None,
        max_file_size=int(settings.max_upload_mb * 2**20),
        show_error=False,
        prevent_thread_lock=prevent_thread_lock,
        quiet=True,
        css=CSS,
        head=HEAD,
        footer_links=["api"],
        allowed_paths=[],
    )
    return app, url
