"""Study-session material: figures found with Vietnamese number patterns; on the bundled corpus, five
topics whose outline, figures and quiz must come from the right documents and be verbatim in the
paragraphs they cite; the Markdown and DOCX handouts (the DOCX opened by LibreOffice); the CLI."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.brief import Brief, BriefError, make_brief
from assistant.brief_check import check
from assistant.brief_export import to_markdown, write_docx
from assistant.figures import find, same_number, strip_marker, value_of
from assistant.settings import Settings
from index import Index
from tests.conftest import CORPUS

# -- figures in a paragraph (pure functions) -------------------------------------------------------


def test_figures_are_numbers_with_units_as_written_never_dates_years_or_codes() -> None:
    text = (
        "Trong 5 năm qua, BTV Đảng ủy đã mở 33 lớp bồi dưỡng cho 2.153 quần chúng ưu tú, 21 lớp bồi dưỡng "
        "cho 1.242 đảng viên dự bị. Có 4.208/4.218 đảng viên (99,7%) tham gia. Nhiệm kỳ 2020 - 2025 Đảng bộ "
        "thực hiện Chỉ thị 05-CT/TW ngày 15/5/2016; tỷ lệ đạt 98 %."
    )
    found = find(text)
    assert [f.value for f in found] == [
        "33 lớp",
        "2.153 quần chúng",
        "21 lớp",
        "1.242 đảng viên",
        "4.208/4.218 đảng viên",
        "99,7%",
        "98 %",
    ]
    for f in found:
        assert f.value in f.measure and f.measure in text and f.sentence.text in text
    by_value = {f.value: f for f in found}
    assert by_value["2.153 quần chúng"].period == "Trong 5 năm qua"
    # A list of figures is cut at the comma that ends the previous one's part.
    assert by_value["1.242 đảng viên"].measure == "21 lớp bồi dưỡng cho 1.242 đảng viên dự bị"
    assert by_value["98 %"].unit == "%" and by_value["2.153 quần chúng"].number == "2.153"


def test_numbers_as_written_compare_across_spellings() -> None:
    assert value_of("4.587") == 4587 and value_of("25,2") == 25.2 and value_of("03") == 3
    assert same_number("4.587", "4587") and same_number("53/83", "53/83")
    assert not same_number("53/83", "53") and not same_number("90", "98")
    assert strip_marker("(4). Kết nạp được 150 đảng viên mới.") == "Kết nạp được 150 đảng viên mới."
    assert strip_marker("III - ĐÁNH GIÁ CHUNG") == "ĐÁNH GIÁ CHUNG"


def test_an_empty_index_gets_one_clear_message() -> None:
    with pytest.raises(BriefError, match="Chưa có văn bản nào"):
        make_brief(Index(Settings().index_config()), "công tác kiểm tra, giám sát")


# -- briefs on the bundled corpus ------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_dir(embedder_ready: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the bundled corpus indexed (vectors come from the machine's embedding cache)."""
    from ingest import load_file

    folder = tmp_path_factory.mktemp("brief")
    Index(Settings(data_dir=folder).index_config()).add([load_file(CORPUS)])
    return folder


@pytest.fixture(scope="module")
def index(corpus_dir: Path) -> Index:
    return Index(Settings(data_dir=corpus_dir).index_config())


@dataclass(frozen=True)
class Topic:
    topic: str
    documents: tuple[str, ...]
    """Numbers of the documents most citations must fall in."""
    share: float
    """The least share of the outline's and the table's citations in those documents."""
    about: str
    """A pattern most points' sections or texts must match (the topic really is what they are about)."""
    heading: str
    """A pattern one outline heading at least must match (the right section was found)."""
    figures: tuple[str, ...] = ()
    """Figures the table must hold."""


TOPICS = [
    Topic(
        "công tác kiểm tra, giám sát",
        ("303-BC/ĐU", "03-CTr/ĐU", "01-NQ/ĐH", "292-BC/ĐU", "297-BC/ĐU"),
        1.0,
        r"kiểm tra|giám sát|UBKT",
        r"(?i)kiểm tra, giám sát",
        ("286 tổ chức đảng",),
    ),
    Topic(
        "các chỉ tiêu nhiệm kỳ 2020-2025",
        ("01-NQ/ĐH", "03-CTr/ĐU", "303-BC/ĐU"),
        0.7,
        r"(?i)chỉ tiêu|mục tiêu|nhiệm kỳ 2020|đạt \d",
        r"(?i)chỉ tiêu",
        ("150 đảng viên", "90%"),
    ),
    Topic(
        "Chỉ thị 05", ("292-BC/ĐU",), 0.8, r"(?i)Chỉ thị|làm theo|Bác|Hồ Chí Minh", r"(?i)lãnh đạo|hạn chế"
    ),
    Topic(
        "Nghị quyết Trung ương 4 khóa XII",
        ("297-BC/ĐU",),
        0.8,
        r"(?i)Nghị quyết|Trung ương 4|kho[áa] XII|chỉnh đốn|kiểm điểm|phê bình|suy thoái",
        r"(?i)kết quả thực hiện|hạn chế",
    ),
    Topic(
        "công tác dân vận",
        ("303-BC/ĐU", "03-CTr/ĐU", "01-NQ/ĐH"),
        0.8,
        r"(?i)dân vận|dân chủ|đoàn thể",
        r"(?i)dân vận",
    ),
]


def _numbers(index: Index) -> dict[str, str | None]:
    return {d.title: d.number for d, _ in index.documents()}


@pytest.mark.integration
@pytest.mark.parametrize("case", TOPICS, ids=[t.topic for t in TOPICS])
def test_a_brief_cites_the_right_documents_and_every_item_is_in_its_paragraph(
    index: Index, case: Topic
) -> None:
    brief = make_brief(index, case.topic)
    assert check(brief) == []
    number = _numbers(index)
    points = [p for s in brief.outline for p in s.points]
    assert 3 <= len(points) <= 12 and brief.figures
    cited = [p.citation for p in points] + [f.citation for f in brief.figures]
    inside = sum(number[c.document] in case.documents for c in cited)
    assert inside >= case.share * len(cited), Counter(number[c.document] for c in cited)
    assert any(re.search(case.heading, s.heading) for s in brief.outline), [s.heading for s in brief.outline]
    about = sum(bool(re.search(case.about, f"{p.citation.section} {p.text}")) for p in points)
    assert about >= 0.6 * len(points), [p.text[:60] for p in points]
    for p in points:
        assert p.text and p.text in p.citation.text and p.citation.support == p.text
    for f in brief.figures:
        assert f.value in f.citation.support and f.citation.support in f.citation.text
        assert f.measure in f.citation.text and f.value in f.measure
    for value in case.figures:
        assert value in [f.value for f in brief.figures]
    _quiz_is_supported(brief)
    _notes_are_numbered_in_order(brief)


def _quiz_is_supported(brief: Brief) -> None:
    assert 5 <= len(brief.questions) <= 10
    kinds = Counter(q.kind for q in brief.questions)
    assert kinds["choice"] >= 2 and kinds["open"] >= 1
    for q in brief.questions:
        assert q.keys and all(k.text in k.citation.text for k in q.keys)
        if q.kind == "open":
            continue
        assert q.answer is not None and 3 <= len(q.options) <= 4
        right = q.options[q.answer]
        assert right in q.keys[0].text and right in q.sources[q.answer].text
        assert q.keys[0].citation.id == q.sources[q.answer].id
        for i, option in enumerate(q.options):
            assert option in q.sources[i].text  # every wrong option is a real figure or item elsewhere
            if i != q.answer:
                assert option != right and not (option[:1].isdigit() and same_number(option, right))
        if "……" in q.prompt:  # a blanked figure: putting the right number back gives the cited sentence
            cloze = q.prompt.split("“", 1)[1].rsplit("”", 1)[0]
            assert cloze.replace("……", right, 1) in q.keys[0].citation.text


def _notes_are_numbered_in_order(brief: Brief) -> None:
    assert [c.n for c in brief.notes] == list(range(1, len(brief.notes) + 1))
    assert len({c.id for c in brief.notes}) == len(brief.notes)
    first = brief.outline[0].points[0].citation
    assert first.n == 1 and first.reference.startswith(first.document[:40])
    markdown = to_markdown(brief)
    for c in brief.notes:
        assert f"[^{c.n}]: {c.reference}" in markdown


@pytest.mark.integration
def test_the_same_measure_from_several_documents_is_shown_with_each_source(index: Index) -> None:
    brief = make_brief(index, "các chỉ tiêu nhiệm kỳ 2020-2025")
    number = _numbers(index)
    sources = {number[f.citation.document] for f in brief.figures if f.value == "150 đảng viên"}
    assert "01-NQ/ĐH" in sources and len(sources) >= 2
    periods = {f.period.lower() for f in brief.figures if f.value == "150 đảng viên"}
    assert any("2020 - 2025" in p or "hằng năm" in p for p in periods)
    # The report's targets are read in its part on 2020-2025 (its half-pages in order), not 2015-2020.
    assert not any("2015 - 2020" in p for p in periods)


@pytest.mark.integration
def test_a_topic_the_documents_do_not_cover_gets_one_clear_message(index: Index) -> None:
    for topic in ("giá vàng thế giới hôm nay", "bóng đá ngoại hạng Anh", "   "):
        with pytest.raises(BriefError) as caught:
            make_brief(index, topic)
        assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


@pytest.mark.integration
def test_a_brief_from_one_document_cites_only_it(index: Index) -> None:
    brief = make_brief(index, "công tác kiểm tra, giám sát", doc="292-BC")
    number = _numbers(index)
    assert {number[c.document] for c in brief.notes if c.id in _answer_ids(brief)} == {"292-BC/ĐU"}


def _answer_ids(brief: Brief) -> set[str]:
    """Paragraphs the material itself stands on (wrong options come from anywhere, by design)."""
    ids = {p.citation.id for s in brief.outline for p in s.points} | {f.citation.id for f in brief.figures}
    return ids | {k.citation.id for q in brief.questions for k in q.keys}


@pytest.mark.integration
def test_the_docx_handout_opens_in_libreoffice(index: Index, tmp_path: Path) -> None:
    if shutil.which("libreoffice") is None or shutil.which("pdftoppm") is None:
        pytest.fail("libreoffice and pdftoppm are needed ('make test' installs them)")
    brief = make_brief(index, "Chỉ thị 05")
    docx = write_docx(brief, tmp_path / "chi-thi-05.docx")
    profile = tmp_path / "lo-profile"  # a profile of its own: a running LibreOffice elsewhere cannot block it
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "chi-thi-05.pdf"
    assert pdf.stat().st_size > 10_000
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 20_000  # a blank page at 50 dpi is a few kilobytes
    text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Tài liệu sinh hoạt chuyên đề" in text and "Những nội dung chính" in text


# -- with a generator ----------------------------------------------------------------------------


@pytest.mark.integration
def test_a_small_model_s_summaries_are_kept_only_where_their_paragraphs_back_them(index: Index) -> None:
    from assistant.brief_check import verified
    from assistant.brief_summary import summarise
    from assistant.evidence import numbers_of
    from assistant.generate import LocalGenerator
    from assistant.reading import Reading
    from index.models import pull

    model = LocalGenerator(pull("qwen2.5-coder-0.5b-instruct-q4_k_m", Settings().models_dir), n_ctx=2048)
    topic = "công tác kiểm tra, giám sát"
    brief = make_brief(index, topic)
    # One section is enough to see the checker at work (the small model is slow on two cores).
    outline, notice = summarise(Reading(index, topic, None), brief.outline[:1], model)
    assert notice is None and outline[0].points == brief.outline[0].points
    for said in outline[0].summary:
        assert said.citations and all(c.support in c.text for c in said.citations)
        assert numbers_of(said.text) <= set().union(*(numbers_of(c.text) for c in said.citations))
        assert not any(said.text.rstrip(".") in p.text for p in outline[0].points)
    assert verified(replace(brief, outline=outline)).outline[0].summary == outline[0].summary


@pytest.mark.integration
def test_a_generator_that_fails_leaves_the_quotations_and_says_so(index: Index) -> None:
    from assistant.generate import OpenAIGenerator

    with socket.socket() as closed:  # a port nothing listens on: the connection is refused at once
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
    brief = make_brief(index, "Chỉ thị 05", generator=OpenAIGenerator(url, "qwen", timeout=5))
    assert brief.notice and "trích nguyên văn" in brief.notice and "\n" not in brief.notice
    assert brief.outline and not any(s.summary for s in brief.outline) and check(brief) == []
    assert brief.notice in to_markdown(brief)


# -- the command line ------------------------------------------------------------------------------


@pytest.mark.integration
def test_the_brief_command_writes_markdown_and_docx_and_fails_clearly(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vankien import app

    monkeypatch.setenv("VANKIEN_DATA_DIR", str(corpus_dir))
    runner = CliRunner()
    out = tmp_path / "kiem-tra.md"
    result = runner.invoke(app, ["brief", "công tác kiểm tra, giám sát", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Tài liệu sinh hoạt chuyên đề: công tác kiểm tra, giám sát")
    assert "## II. Số liệu chính" in text and "[^1]:" in text
    docx = tmp_path / "kiem-tra.docx"
    assert runner.invoke(app, ["brief", "công tác kiểm tra, giám sát", "--out", str(docx)]).exit_code == 0
    assert docx.read_bytes()[:2] == b"PK"
    shown = runner.invoke(app, ["brief", "Chỉ thị 05", "--json"])
    assert shown.exit_code == 0 and '"questions"' in shown.output
    missing = runner.invoke(app, ["brief", "giá vàng thế giới hôm nay"])
    assert missing.exit_code == 1 and "Không tìm thấy" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    wrong = runner.invoke(app, ["brief", "Chỉ thị 05", "--out", str(tmp_path / "a.pdf")])
    assert wrong.exit_code == 1 and ".docx" in wrong.output
