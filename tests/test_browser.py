"""The app in a real headless browser (Debian's chromium driven by Playwright) on the bundled corpus."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.test_ui import corpus_assistant, launched
from ui.feedback import FeedbackStore

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

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
FOLLOW_UP = "Thế còn bế mạc vào ngày nào?"
OTHER = "Phương châm hành động của Đảng bộ CCQ nhiệm kỳ này là gì?"
WAIT_MS = 120_000

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run 'make browser' (apt-get install -y chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def folder(embedder_ready: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "ui-corpus"


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
    browser: Browser, folder: Path, tmp_path: Path
) -> None:
    url = launched(folder)
    page, other = _open(browser, url), _open(browser, url)
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
    _ask(page, FOLLOW_UP)
    page.locator("#vk-chat").get_by_text("Câu hỏi đã tìm kiếm:").first.wait_for(timeout=WAIT_MS)
    page.locator("#vk-sources").get_by_text("Câu hỏi 2:").wait_for(timeout=WAIT_MS)  # the answer is done
    page.screenshot(path=str(tmp_path / "follow-up.png"), full_page=True)


def test_an_uploaded_file_is_ingested_and_listed(browser: Browser, folder: Path, tmp_path: Path) -> None:
    note = tmp_path / "ghi-chu-sinh-hoat-chi-bo.txt"
    note.write_text(
        "GHI CHÚ SINH HOẠT CHI BỘ\n\nChi bộ Phòng Tổng hợp sinh hoạt chuyên đề tháng 5 năm 2024 về "
        "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.\n\nCó 18 đảng viên tham dự.\n",
        encoding="utf-8",
    )
    page = _open(browser, launched(folder))
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
