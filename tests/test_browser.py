"""The launched app on the bundled corpus: its API (gradio_client), login and load, and the page in a real
headless browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.test_ui import FOLLOW_UP, corpus_assistant
from ui.auth import add_user
from ui.feedback import FeedbackStore

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from assistant import Assistant

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "Đại hội Đảng bộ CCQ tỉnh lần thứ 18 khai mạc ngày nào?"
CLOSING = "Thế còn bế mạc vào ngày nào?"
OTHER = "Phương châm hành động của Đảng bộ CCQ nhiệm kỳ này là gì?"
WAIT_MS = 120_000

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run 'make browser' (apt-get install -y chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def folder(embedder_ready: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of the indexed bundled corpus (shared with tests/test_ui.py)."""
    return tmp_path_factory.getbasetemp() / "ui-corpus"


@pytest.fixture(scope="module")
def app_url(folder: Path) -> Iterator[str]:
    """The app on the indexed corpus, launched on a free loopback port."""
    from ui.app import build, serve

    assistant = corpus_assistant(folder)
    settings = assistant.settings.model_copy(update={"port": _free_port(), "max_upload_mb": 1.0})
    app, url = serve(settings, build(settings, assistant), prevent_thread_lock=True)
    yield url
    app.close()


@pytest.fixture
def bot(folder: Path) -> Assistant:
    return corpus_assistant(folder)


def _open(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    page.locator("#vk-question textarea, #vk-question input").first.wait_for(timeout=WAIT_MS)
    return page


def _until(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _choose(page: Page, dropdown: str, option: str) -> None:
    """Pick an option of a Gradio dropdown as a user does: open it, type, click the match."""
    box = page.locator(f"{dropdown} input")
    for _ in range(3):
        box.click()
        box.press_sequentially(option[:8])
        match = page.get_by_role("option", name=option).first
        try:
            match.click(timeout=5000)
            return
        except PlaywrightTimeout:
            box.press("Escape")
    raise AssertionError(f"no option {option!r} in {dropdown}")


def _ask(page: Page, question: str) -> None:
    box = page.locator("#vk-question textarea, #vk-question input").first
    box.fill(question)
    box.press("Enter")


def test_a_question_gets_a_cited_answer_and_a_filled_sources_panel(
    browser: Browser, app_url: str, folder: Path, tmp_path: Path
) -> None:
    page, other = _open(browser, app_url), _open(browser, app_url)
    assert page.get_by_text(QUESTION[:30]).first.is_visible()  # an example question on the empty chat
    _ask(page, QUESTION)
    other.locator("#vk-chat").get_by_text(OTHER).first.click()  # meanwhile another session, from an example
    for session in (page, other):
        session.locator('#vk-chat a[href^="#nguon-1-"]').first.wait_for(timeout=WAIT_MS)
    assert "20/8/2020" in page.locator("#vk-chat").inner_text()
    assert OTHER not in page.locator("#vk-chat").inner_text()
    assert QUESTION not in other.locator("#vk-chat").inner_text()
    card = page.locator("#vk-sources .vk-source").first
    assert card.locator("mark").count() == 1
    assert "Đoạn số:" in card.inner_text() and "dòng" in card.inner_text()
    page.locator('#vk-chat a[href^="#nguon-1-"]').first.click()
    page.wait_for_timeout(300)
    assert "vk-flash" in (card.get_attribute("class") or "")
    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    other.screenshot(path=str(tmp_path / "other-session.png"))

    page.locator("#vk-chat").get_by_role("button", name="Câu trả lời tốt").last.click()
    rated = FeedbackStore(folder / "feedback.sqlite")
    _until(lambda: any(r.question == QUESTION and r.rating == 1 for r in rated.all()))
    page.get_by_role("button", name="Xuất DOCX").click()
    page.locator("#vk-export a").first.wait_for(timeout=WAIT_MS)
    assert ".docx" in page.locator("#vk-export").inner_text()
    _ask(page, CLOSING)
    page.locator("#vk-chat").get_by_text("Câu hỏi đã tìm kiếm:").first.wait_for(timeout=WAIT_MS)
    page.locator("#vk-sources").get_by_text("Câu hỏi 2:").wait_for(timeout=WAIT_MS)  # the answer is done
    page.screenshot(path=str(tmp_path / "follow-up.png"), full_page=True)


def test_an_uploaded_file_is_ingested_and_listed(
    browser: Browser, app_url: str, folder: Path, tmp_path: Path
) -> None:
    note = tmp_path / "ghi-chu-sinh-hoat-chi-bo.txt"
    note.write_text(
        "GHI CHÚ SINH HOẠT CHI BỘ\n\nChi bộ Phòng Tổng hợp sinh hoạt chuyên đề tháng 5 năm 2024 về "
        "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.\n\nCó 18 đảng viên tham dự.\n",
        encoding="utf-8",
    )
    page = _open(browser, app_url)
    try:
        page.get_by_role("tab", name="Văn bản").click()
        page.locator("#vk-docs").get_by_text("CHƯƠNG TRÌNH THI ĐUA").wait_for(timeout=WAIT_MS)  # page loaded
        with page.expect_file_chooser() as chooser:
            page.locator("#vk-upload").click()
        chooser.value.set_files(str(note))
        page.get_by_text("Nạp xong 1/1 tệp").wait_for(timeout=WAIT_MS)
        page.locator("#vk-docs").get_by_text(note.name).first.wait_for(timeout=WAIT_MS)
        page.screenshot(path=str(tmp_path / "documents.png"), full_page=True)
        _choose(page, "#vk-browse", "GHI CHÚ SINH HOẠT CHI BỘ")  # read the text itself, with paragraph ids
        paragraphs = page.locator("#vk-paragraphs .vk-para")
        paragraphs.first.wait_for(timeout=WAIT_MS)
        assert "Có 18 đảng viên tham dự." in page.locator("#vk-paragraphs").inner_text()
        assert paragraphs.first.locator("code").inner_text().strip()
        _choose(page, "#vk-remove", "GHI CHÚ SINH HOẠT CHI BỘ")
        page.get_by_role("button", name="Gỡ", exact=True).click()
        page.get_by_text(f"Đã gỡ tệp {note.name}").wait_for(timeout=WAIT_MS)
        _until(lambda: note.name not in page.locator("#vk-docs").inner_text())
    finally:
        index = corpus_assistant(folder).index
        if any(d.file == note.name for d, _ in index.documents()):
            index.remove(note.name)


def test_a_study_brief_is_made_in_its_tab(browser: Browser, app_url: str, tmp_path: Path) -> None:
    page = _open(browser, app_url)
    page.get_by_role("tab", name="Tài liệu sinh hoạt").click()
    page.locator("#vk-brief-topic textarea, #vk-brief-topic input").first.fill("Chỉ thị 05")
    page.get_by_role("button", name="Soạn tài liệu").click()
    page.locator("#vk-brief sup").first.wait_for(timeout=WAIT_MS)
    shown = page.locator("#vk-brief").inner_text()
    assert "Tài liệu sinh hoạt chuyên đề: Chỉ thị 05" in shown and "Những nội dung chính" in shown
    assert "[1]" in shown and "[^" not in shown
    page.locator("#vk-brief-files a").first.wait_for(timeout=WAIT_MS)
    assert ".docx" in page.locator("#vk-brief-files").inner_text()
    page.screenshot(path=str(tmp_path / "brief.png"), full_page=True)


# -- the API, login and load ------------------------------------------------------------------------


def test_the_api_answers_with_citations_and_lists_documents(app_url: str) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    answer: dict[str, Any] = client.predict(
        "Đại hội Đảng bộ CCQ tỉnh lần thứ 18 khai mạc ngày nào?", [], "", "", api_name="/ask"
    )
    assert "20/8/2020" in answer["answer"] and answer["citations"][0]["reference"]
    follow = client.predict(
        FOLLOW_UP[1], [{"role": "user", "content": FOLLOW_UP[0]}], "", "", api_name="/ask"
    )
    assert FOLLOW_UP[0] in follow["standalone_question"]
    documents = client.predict(api_name="/documents")
    assert len(documents) >= 9 and {"id", "title", "kind", "number", "date", "paragraphs", "file"} <= set(
        documents[0]
    )
    with pytest.raises(AppError) as error:
        client.predict("Câu hỏi?", [], "", "không-có-văn-bản-này", api_name="/ask")
    assert "Traceback" not in str(error.value) and "/" not in str(error.value)
    brief = client.predict("Chỉ thị 05", "", "", api_name="/brief")
    assert brief["topic"] == "Chỉ thị 05" and brief["outline"] and brief["questions"]
    assert "[^1]: " in brief["markdown"] and brief["notes"][0]["reference"]
    with pytest.raises(AppError) as error:
        client.predict("   ", "", "", api_name="/brief")
    assert "Chủ đề trống" in str(error.value)


def test_a_login_is_asked_for_when_the_app_is_reachable_from_other_machines(
    bot: Assistant, tmp_path: Path
) -> None:
    from gradio_client import Client

    from ui.app import build, serve
    from ui.auth import AuthError

    users = tmp_path / "users.json"
    settings = bot.settings.model_copy(update={"port": _free_port(), "host": "0.0.0.0", "users_file": users})
    with pytest.raises(AuthError):
        serve(settings, prevent_thread_lock=True)
    add_user(users, "bcv", "mật khẩu dài")
    app, url = serve(settings, build(settings, bot), prevent_thread_lock=True)
    try:
        local = url.replace("0.0.0.0", "127.0.0.1")
        with pytest.raises(Exception):  # noqa: B017 - the client refuses in its own words
            Client(local, verbose=False, auth=("bcv", "sai mật khẩu"))
        client = Client(local, verbose=False, auth=("bcv", "mật khẩu dài"))
        assert len(client.predict(api_name="/documents")) >= 9
    finally:
        app.close()


def test_a_long_generation_does_not_hold_up_other_users(bot: Assistant) -> None:
    from gradio_client import Client

    from assistant import Assistant
    from index.models import pull
    from ui.app import build, serve

    small = "qwen2.5-coder-0.5b-instruct-q4_k_m"
    pull(small, bot.settings.models_dir)
    settings = bot.settings.model_copy(update={"generator": small, "port": _free_port()})
    app, url = serve(
        settings, build(settings, Assistant(settings, index=bot.index)), prevent_thread_lock=True
    )
    try:
        slow = Client(url, verbose=False).submit(
            "Đại hội Đảng bộ CCQ tỉnh lần thứ 18 khai mạc ngày nào?", [], "generative", "", api_name="/ask"
        )
        time.sleep(2)
        start = time.monotonic()
        other = Client(url, verbose=False)
        quick = other.predict(FOLLOW_UP[0], [], "extractive", "", api_name="/ask")
        assert len(other.predict(api_name="/documents")) >= 9
        assert time.monotonic() - start < 20 and not slow.done()
        assert quick["citations"] and quick["mode"] == "extractive"
        assert slow.result(timeout=600)["question"].startswith("Đại hội Đảng bộ CCQ")
    finally:
        app.close()
