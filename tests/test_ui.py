"""The app's parts as plain functions (login, feedback, export, rendering, documents, chat), then its API."""

from __future__ import annotations

import functools
import json
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from assistant.records import Answer, Citation
from assistant.settings import Settings
from ingest.records import UserError
from tests.conftest import CORPUS
from ui import handlers, render
from ui.auth import AuthError, add_user, checker, load_users, login_required, verify_password
from ui.export import to_markdown, write_docx
from ui.feedback import FeedbackStore
from ui.render import Exchange

if TYPE_CHECKING:
    from assistant import Assistant

TEXT = "Hôm nay, ngày 20/8/2020, Đại hội đại biểu Đảng bộ Khối lần thứ XVIII khai mạc trọng thể."
SUPPORT = "ngày 20/8/2020, Đại hội đại biểu Đảng bộ Khối lần thứ XVIII khai mạc"


def _citation(n: int = 1) -> Citation:
    return Citation(
        n=n,
        id=f"p{n}",
        document="Diễn văn khai mạc Đại hội",
        section="I. Mở đầu",
        file="corpus.txt",
        lines=(15, 17),
        text=TEXT,
        support=SUPPORT,
        reference="Diễn văn khai mạc Đại hội, mục I, đoạn 2",
        page=3,
        ordinal=2,
    )


def _answer(question: str = "Đại hội khai mạc ngày nào?", refused: bool = False) -> Answer:
    if refused:
        return Answer(
            question,
            question,
            "Không tìm thấy thông tin này trong tài liệu.",
            True,
            "extractive",
            related=(_citation(1),),
        )
    return Answer(
        question,
        question,
        "Đại hội khai mạc ngày 20/8/2020 [1].",
        False,
        "extractive",
        citations=(_citation(1),),
    )


def _exchange(answer: Answer | None = None, key: str = "a1") -> Exchange:
    return Exchange(key, answer or _answer(), 1_700_000_000.0)


# -- login ----------------------------------------------------------------------------------------


def test_users_file_holds_salted_scrypt_hashes_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    assert add_user(path, "bcv.nguyen", "mật khẩu dài") is True
    assert add_user(path, "bcv.tran", "mật khẩu dài") is True
    users = load_users(path)
    assert "mật khẩu" not in path.read_text(encoding="utf-8")
    assert users["bcv.nguyen"]["scheme"] == "scrypt"
    assert users["bcv.nguyen"]["salt"] != users["bcv.tran"]["salt"]
    assert verify_password("mật khẩu dài", users["bcv.nguyen"])
    assert not verify_password("mật khẩu sai", users["bcv.nguyen"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert add_user(path, "bcv.nguyen", "mật khẩu mới") is False
    check = checker(path)
    assert check("bcv.nguyen", "mật khẩu mới") and not check("bcv.nguyen", "mật khẩu dài")
    assert not check("không-có", "mật khẩu mới")
    with pytest.raises(AuthError):
        add_user(path, "tên có dấu cách", "mật khẩu dài")
    with pytest.raises(AuthError):
        add_user(path, "ngắn", "1234")


def test_login_is_required_off_loopback_unless_turned_off(tmp_path: Path) -> None:
    assert not login_required("127.0.0.1", "auto") and not login_required("localhost", "auto")
    assert not login_required("::1", "auto")
    assert login_required("0.0.0.0", "auto") and login_required("192.168.1.20", "auto")
    assert login_required("127.0.0.1", "on") and not login_required("0.0.0.0", "off")
    with pytest.raises(AuthError, match="vankien users add"):
        checker(tmp_path / "none.json")


def test_users_add_command_prompts_for_the_password_twice(data_dir: Path) -> None:
    from vankien import app

    result = CliRunner().invoke(app, ["users", "add", "bcv"], input="mật khẩu dài\nmật khẩu dài\n")
    assert result.exit_code == 0, result.output
    assert "Đã thêm người dùng bcv" in result.output
    assert checker(data_dir / "users.json")("bcv", "mật khẩu dài")
    short = CliRunner().invoke(app, ["users", "add", "bcv2"], input="123\n123\n")
    assert short.exit_code == 1 and "Traceback" not in short.output
    users = data_dir / "users.json"
    users.unlink()
    refused = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "7"])
    assert refused.exit_code == 1 and isinstance(refused.exception, AuthError)


# -- rendering and export -------------------------------------------------------------------------


def test_markers_link_to_their_paragraph_and_the_support_is_highlighted() -> None:
    message = render.assistant_message(_answer(), turn=3)
    assert "[\\[1\\]](#nguon-3-1)" in message
    assert render.link_markers("x [2] y [1]", 1, {1}) == "x [2] y [\\[1\\]](#nguon-1-1)"
    panel = render.sources_html([_exchange()])
    assert 'id="nguon-1-1"' in panel and f"<mark>{SUPPORT}</mark>" in panel
    assert "Diễn văn khai mạc Đại hội" in panel and "Đoạn số:</b> 2" in panel and "trang 3" in panel
    assert 'data-copy="Diễn văn khai mạc Đại hội, mục I, đoạn 2"' in panel
    assert render.highlight("a <b> c", "<b>") == "a <mark>&lt;b&gt;</mark> c"
    assert render.highlight("abc", "zzz") == "abc"


def test_a_refusal_is_shown_apart_with_the_nearest_passages() -> None:
    refusal = _exchange(_answer(refused=True))
    message = render.assistant_message(refusal.answer, 1)
    assert message.startswith("⚠️ **Không tìm thấy") and "#gan-1-1" in message
    panel = render.sources_html([refusal])
    assert "vk-notfound" in panel and "vk-related" in panel and 'id="gan-1-1"' in panel


def test_a_follow_up_shows_the_question_that_was_searched() -> None:
    follow = Answer(
        "Còn năm sau?",
        "Đại hội năm 2021 khai mạc ngày nào?",
        "Không rõ [1].",
        False,
        "extractive",
        citations=(_citation(),),
    )
    assert "Câu hỏi đã tìm kiếm:* Đại hội năm 2021" in render.assistant_message(follow, 2)
    assert render.searched_note(_answer()) == ""
    chat = render.messages([_exchange(), _exchange(follow, "a2")], pending="Tiếp?")
    assert [m["role"] for m in chat] == ["user", "assistant"] * 3
    assert "Đang tìm" in chat[-1]["content"]


def test_conversation_exports_to_markdown_and_docx(tmp_path: Path) -> None:
    from docx import Document

    history = [_exchange(), _exchange(_answer("Có gì khác?", refused=True), "a2")]
    markdown = to_markdown(history)
    assert "## Câu hỏi 1: Đại hội khai mạc ngày nào?" in markdown
    assert "1. Diễn văn khai mạc Đại hội, mục I, đoạn 2" in markdown and f"> {SUPPORT}" in markdown
    assert "corpus.txt, dòng 15–17, trang 3" in markdown and "không phải trích dẫn" in markdown
    docx = write_docx(history, tmp_path / "out.docx")
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "Đại hội khai mạc ngày 20/8/2020 [1]." in text and SUPPORT in text
    assert "Diễn văn khai mạc Đại hội, mục I, đoạn 2" in text
    with pytest.raises(UserError):
        handlers.export([], "md")
    assert handlers.export(history, "docx").suffix == ".docx"


def test_errors_shown_to_users_carry_no_server_path() -> None:
    message = handlers.friendly(UserError("chưa có mô hình tại /root/.cache/vankien/models/x; hãy chạy"))
    assert message == "chưa có mô hình tại x; hãy chạy"
    assert handlers.friendly(UserError("máy chủ http://gpu:8000/v1 không trả lời")).endswith(
        "8000/v1 không trả lời"
    )


def test_a_briefs_footnotes_become_superscript_markers_and_a_list_of_sources() -> None:
    page = render.brief_markdown(
        "- Ý chính [^1][^2]\n\n| 5 % | [^2] |\n\n[^1]: Báo cáo, đoạn 3\n[^2]: Nghị quyết"
    )
    assert page.startswith('- Ý chính <sup class="vk-note">[1]</sup><sup class="vk-note">[2]</sup>')
    assert '| 5 % | <sup class="vk-note">[2]</sup> |' in page
    assert page.endswith("- **[1]** Báo cáo, đoạn 3\n- **[2]** Nghị quyết") and "[^" not in page
    assert handlers.slug("Công tác kiểm tra, giám sát: Đảng bộ") == "cong-tac-kiem-tra-giam-sat-dang-bo"
    assert handlers.slug("“…”") == "chu-de"


# -- feedback -------------------------------------------------------------------------------------


def test_feedback_is_stored_and_exported_as_a_question_set(tmp_path: Path) -> None:
    from eval.questions import load_questions

    store = FeedbackStore(tmp_path / "feedback.sqlite")
    settings = {"mode": "extractive", "generator": "none"}
    store.record("good", _answer(), [], settings, rating=1)
    store.record("good", _answer(), [], settings, comment="đúng và đủ")
    follow = Answer("Còn gì?", "Đại hội còn gì?", "Sai [1].", False, "extractive", citations=(_citation(),))
    past = [
        {"role": "user", "content": "Đại hội khai mạc ngày nào?"},
        {"role": "assistant", "content": "..."},
    ]
    store.record("bad", follow, past, settings, rating=-1)
    store.record("none", _answer("Lương bao nhiêu?", refused=True), [], settings, rating=1)
    rows = {r.answer_id: r for r in store.all()}
    assert rows["good"].rating == 1 and rows["good"].comment == "đúng và đủ"
    assert rows["good"].citations[0]["support"] == SUPPORT and rows["good"].settings == settings
    out = tmp_path / "set.jsonl"
    assert store.export_questions(out) == 3
    items = {q.id: q for q in load_questions(out)}
    good, bad, none = items["fb-good"], items["fb-bad"], items["fb-none"]
    assert good.type == "factoid" and good.evidence == (SUPPORT,) and good.evidence_lines == (15,)
    assert good.answer.startswith("Đại hội khai mạc") and "đúng và đủ" in (good.note or "")
    assert bad.type == "conversational" and bad.history[0].content == "Đại hội khai mạc ngày nào?"
    assert bad.answer == "" and "Sai [1]." in (bad.note or "")
    assert none.type == "unanswerable"
    assert set(json.loads(out.read_text(encoding="utf-8").splitlines()[0])) == {
        "id",
        "type",
        "question",
        "history",
        "answer",
        "key_facts",
        "evidence",
        "evidence_lines",
        "note",
    }


# -- with the real assistant on the bundled corpus --------------------------------------------------

FOLLOW_UP = (
    "Thường trực Tỉnh ủy nói Bắc Giang có bao nhiêu xã nông thôn mới?",
    "Thế còn cấp huyện thì mấy huyện đạt rồi?",
)


@functools.cache
def corpus_assistant(folder: Path) -> Assistant:
    """One assistant (generator off: extractive) over the indexed bundled corpus, shared by the UI tests."""
    from assistant import Assistant
    from ingest import load_file

    assistant = Assistant(Settings(data_dir=folder, generator="none"))
    assistant.index.add([load_file(CORPUS)])
    return assistant


@pytest.fixture
def bot(embedder_ready: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return corpus_assistant(tmp_path_factory.getbasetemp() / "ui-corpus")


@pytest.mark.integration
def test_a_question_streams_into_an_answer_with_its_sources(bot: Assistant) -> None:
    steps = list(
        handlers.ask(bot, "Đại hội Đảng bộ CCQ tỉnh lần thứ 18 khai mạc ngày nào?", [], "extractive")
    )
    first, (chat, panel, history) = steps[0], steps[-1]
    assert first[0][-1]["content"].startswith("⏳") and first[2] == []
    assert len(history) == 1 and history[0].answer.citations
    assert "20/8/2020" in chat[-1]["content"] and "(#nguon-1-1)" in chat[-1]["content"]
    assert 'id="nguon-1-1"' in panel and "<mark>" in panel and "vk-copy" in panel
    speech = next(d for d, _ in bot.index.documents() if d.title.startswith("PHÁT BIỂU BẾ MẠC"))
    *_, (_, _, within) = handlers.ask(bot, "Đại hội khai mạc ngày nào?", [], "extractive", speech.id)
    assert {c.document for c in within[0].answer.citations} == {speech.title}  # the document filter


@pytest.mark.integration
def test_a_follow_up_shows_its_standalone_question_and_keeps_sessions_apart(bot: Assistant) -> None:
    *_, (_, _, mine) = handlers.ask(bot, FOLLOW_UP[0], [])
    *_, (_, _, other) = handlers.ask(bot, "Phương châm hành động của Đảng bộ CCQ nhiệm kỳ này là gì?", [])
    *_, (chat, _, mine) = handlers.ask(bot, FOLLOW_UP[1], mine)
    assert [ex.answer.question for ex in mine] == list(FOLLOW_UP)
    assert [ex.answer.question for ex in other] == [
        "Phương châm hành động của Đảng bộ CCQ nhiệm kỳ này là gì?"
    ]
    assert FOLLOW_UP[0] in mine[1].answer.standalone_question
    assert "Câu hỏi đã tìm kiếm:" in chat[-1]["content"]


@pytest.mark.integration
def test_not_found_is_distinct_and_bad_questions_get_one_sentence(bot: Assistant) -> None:
    from assistant import QuestionError

    *_, (chat, panel, history) = handlers.ask(bot, "Giá vàng SJC hôm nay bán ra bao nhiêu một lượng?", [])
    assert history[0].answer.refused
    assert chat[-1]["content"].startswith("⚠️ **Không tìm thấy")
    assert "vk-notfound" in panel
    for bad in ("   ", "What is the capital of France, and when was it founded?"):
        with pytest.raises(QuestionError) as reason:
            bot.ask(bad)
        *_, (chat, _, kept) = handlers.ask(bot, bad, history)
        assert chat[-1]["content"] == f"⚠️ {reason.value}" and kept == history


@pytest.mark.integration
def test_documents_are_listed_browsed_uploaded_and_removed(bot: Assistant, tmp_path: Path) -> None:
    index = bot.index
    rows = handlers.document_rows(index)
    assert len(rows) == 9 and all(r[-1] == CORPUS.name for r in rows)
    first = rows[0][0]
    page = handlers.browse(index, first)
    assert page.count('class="vk-para') == rows[0][5] and "<code>" in page
    note = tmp_path / "ghi-chu-hoc-tap.txt"
    note.write_text(
        "GHI CHÚ HỌC TẬP\n\nChi bộ Văn phòng tổ chức học tập chuyên đề năm 2024 vào ngày 12 tháng 3.\n\n"
        "Tham dự có 35 đảng viên.\n",
        encoding="utf-8",
    )
    bad = tmp_path / "virus.exe"
    bad.write_bytes(b"MZ")
    big = tmp_path / "lon.txt"
    big.write_text("Đảng viên. " * 200, encoding="utf-8")
    steps: list[float] = []
    result = handlers.ingest_files(index, [note, bad, big], 1000, lambda f, _: steps.append(f))
    assert "Nạp xong 1/3 tệp" in result and "✓ **ghi-chu-hoc-tap.txt** (mới)" in result
    assert "✗ **virus.exe**: loại tệp" in result and "✗ **lon.txt**: tệp lớn hơn" in result
    assert steps == sorted(steps) and steps
    added = [r for r in handlers.document_rows(index) if r[-1] == note.name]
    assert len(added) == 1
    assert "Đã gỡ tệp **ghi-chu-hoc-tap.txt**" in handlers.remove(index, added[0][0])
    assert len(handlers.document_rows(index)) == 9
    with pytest.raises(UserError):
        handlers.ingest_files(index, [], 1000)


@pytest.mark.integration
def test_ratings_and_comments_on_real_answers_export_as_a_question_set(
    bot: Assistant, tmp_path: Path
) -> None:
    from eval.questions import load_questions

    store = FeedbackStore(tmp_path / "feedback.sqlite")
    *_, (_, _, history) = handlers.ask(bot, FOLLOW_UP[0], [])
    *_, (_, _, history) = handlers.ask(bot, FOLLOW_UP[1], history)
    handlers.rate(bot, store, history, 1, True)
    handlers.rate(bot, store, history, 3, False)
    assert "Đã ghi nhận" in handlers.comment(bot, store, history, "thiếu tên huyện")
    items = load_questions(handlers.export_questions(store))
    assert [q.type for q in items] == ["factoid", "conversational"]
    assert items[0].evidence and items[0].evidence[0] in history[0].answer.citations[0].text
    assert items[1].history[0].content == FOLLOW_UP[0] and "thiếu tên huyện" in (items[1].note or "")
    assert store.all()[0].settings["generator"] == "none"


@pytest.mark.integration
def test_a_brief_is_shown_with_cited_points_and_written_as_docx_and_markdown(
    bot: Assistant, tmp_path: Path
) -> None:
    from docx import Document

    session = tmp_path / "session"
    page, files = handlers.brief(bot, "công tác kiểm tra, giám sát", "", "extractive", session)
    assert page.startswith("# Tài liệu sinh hoạt chuyên đề: công tác kiểm tra, giám sát")
    outline = page.split("## I. Những nội dung chính")[1].split("## II.")[0]
    marked = re.findall(r'^- .{25,} <sup class="vk-note">\[(\d+)\]</sup>$', outline, re.MULTILINE)
    assert len(marked) >= 3
    sources = dict(re.findall(r"^- \*\*\[(\d+)\]\*\* (.+)$", page, re.MULTILINE))
    assert set(marked) <= set(sources) and all("đoạn" in sources[n] for n in marked)
    docx, md = files
    assert docx.name == "tai-lieu-sinh-hoat-cong-tac-kiem-tra-giam-sat.docx" and md.suffix == ".md"
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "I. Những nội dung chính" in text and "Chú thích nguồn" in text and "[1]" in text
    assert "[^1]: " in md.read_text(encoding="utf-8")
    _, again = handlers.brief(bot, "Chỉ thị 05", None, None, session)  # the session's files are replaced
    assert (
        sorted(session.iterdir()) == sorted(again) and again[0].name == "tai-lieu-sinh-hoat-chi-thi-05.docx"
    )
    for topic in ("   ", "giá vàng thế giới hôm nay"):
        message, none = handlers.brief(bot, topic, "", "extractive", session)
        assert message.startswith("⚠️ ") and "\n" not in message and none == []
    assert "Chủ đề trống" in handlers.brief(bot, "", "", "", session)[0]
