"""Ingestion of the bundled corpus: documents, titles, repairs and exact provenance."""

from __future__ import annotations

import re

import pytest

from ingest import load_file
from ingest.readers import Source
from ingest.records import Document, Paragraph
from ingest.structure import build
from ingest.text import numbering
from tests.conftest import CORPUS

# A resolution's pages, in reading order; each page's first line starts with a space, as extracted.
PAGES = [
    [
        " 3.2. Các chỉ tiêu chủ yếu",
        "",
        "(1) Tỷ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên đạt 90%.",
        "",
        "(2) Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên đạt 90%.",
        "",
        "Các cấp ủy, tổ chức đảng tập trung lãnh đạo, chỉ đạo việc tổ",
    ],
    [
        " chức thực hiện các chỉ tiêu, gắn với kiểm tra, giám sát của tổ chức đảng.",
        "",
        "(3) Kết nạp được 150 đảng viên mới.",
        "",
        "(4) Tỷ lệ cơ quan, đơn vị đạt danh hiệu cơ quan văn hóa đạt 90%.",
    ],
    [
        " (5) Có 20% tổ chức cơ sở đảng được kiểm tra, giám sát.",
        "",
        "3.3. Các nhiệm vụ, giải pháp chủ yếu",
        "",
        "Các cấp ủy tăng cường phối hợp với thủ trưởng cơ quan, đơn vị.",
    ],
    [" Đại hội kêu gọi cán bộ, đảng viên thực hiện thắng lợi Nghị quyết Đại hội./."],
]


@pytest.fixture(scope="module")
def documents(corpus_source: Source) -> list[Document]:
    docs, _ = build(corpus_source)
    return docs


@pytest.fixture(scope="module")
def paragraphs(documents: list[Document]) -> list[Paragraph]:
    return [p for d in documents for p in d.paragraphs]


def _find(paragraphs: list[Paragraph], needle: str) -> Paragraph:
    found = [p for p in paragraphs if needle in p.text]
    assert len(found) == 1, f"{needle!r} in {len(found)} paragraphs"
    return found[0]


def _doc_of(documents: list[Document], paragraph: Paragraph) -> Document:
    return next(d for d in documents if d.id == paragraph.doc_id)


def test_finds_the_nine_documents_with_their_titles(documents: list[Document]) -> None:
    assert len(documents) == 9
    expected = [
        ("speech", "khai mạc", None),
        ("speech", "THƯỜNG TRỰC TỈNH ỦY", None),
        ("report", "BÁO CÁO CHÍNH TRỊ", "303-BC/ĐU"),
        ("report", "Chỉ thị số 05-CT/TW", "292-BC/ĐU"),
        ("report", "Nghị quyết Trung ương 4 (khóa XII)", "297-BC/ĐU"),
        ("programme", "CHƯƠNG TRÌNH HÀNH ĐỘNG", "03-CTr/ĐU"),
        ("programme", "CHƯƠNG TRÌNH THI ĐUA", "01-CTr/ĐH"),
        ("resolution", "NGHỊ QUYẾT", "01-NQ/ĐH"),
        ("speech", "BẾ MẠC", None),
    ]
    for doc, (kind, title_part, number) in zip(documents, expected, strict=True):
        assert doc.kind == kind, doc.title
        assert title_part in doc.title
        assert doc.number == number
    opening = documents[0]
    assert opening.title_derived and "lần thứ 18, nhiệm kỳ 2020 - 2025" in opening.title
    assert not any(d.title_derived for d in documents[1:])
    assert documents[1].speaker is not None and documents[1].speaker.startswith("Lê Thị Thu Hồng")
    assert documents[2].date == "2020-08-28"
    assert len({d.id for d in documents}) == 9


def test_generic_titles_are_completed_by_their_subject(documents: list[Document]) -> None:
    reports = [d for d in documents if d.title.startswith("BÁO CÁO kết quả")]
    assert len(reports) == 2
    assert all(len(d.title) > len("BÁO CÁO") + 20 for d in reports)


def test_no_page_number_or_blank_line_artefacts(paragraphs: list[Paragraph]) -> None:
    for p in paragraphs:
        assert not re.fullmatch(r"\d{1,4}", p.text), p
        assert "\n" not in p.text and "  " not in p.text and p.text == p.text.strip()
    assert not any(re.search(r"\b(4948|12) (đến sự|bộ tổ chức)", p.text) for p in paragraphs)
    assert _find(paragraphs, "Những tồn tại hạn chế nêu trên").page == 12


def test_double_spaced_lines_are_joined_into_paragraphs(paragraphs: list[Paragraph]) -> None:
    third = _find(paragraphs, "Thứ ba: Bầu những đồng chí")
    assert third.text.endswith("để lãnh đạo thực hiện thắng lợi Nghị quyết Đại hội.")
    assert third.lines == (111, 119)


def test_identifiers_split_at_a_line_end_are_rejoined(paragraphs: list[Paragraph]) -> None:
    assert "Chỉ thị số 35-CT/TW ngày 30/5/2019" in _find(paragraphs, "Thực hiện Điều lệ Đảng Cộng sản").text
    assert "Quy định số 293-QĐ/TW" in _find(paragraphs, "Đảng ủy Các cơ quan tỉnh hoạt động theo").text
    # Spacing inside a line stays as written.
    assert "Chỉ thị 05- CT/TW(11)" in _find(paragraphs, "Việc thực hiện Chỉ thị 05- CT/TW(11)").text


def test_provenance_is_exact(corpus_source: Source, paragraphs: list[Paragraph]) -> None:
    def bare(text: str) -> str:
        return re.sub(r"\s+", "", text)

    for p in paragraphs:
        first, last = p.lines
        span = bare(" ".join(corpus_source.lines[first - 1 : last]))
        assert bare(p.text) in span, (p.lines, p.text[:80])
        assert p.file == CORPUS.name


def test_footnotes_become_paragraphs_linked_to_their_marker(paragraphs: list[Paragraph]) -> None:
    note = _find(paragraphs, "Nghị quyết số 25- NQ/TW ngày 03/6/2013 của BCH Trung ương Đảng")
    assert note.kind == "footnote" and note.footnote == 28
    marker = next(p for p in paragraphs if p.id == note.note_of)
    assert "(28)" in marker.text and marker.kind != "footnote"
    glued = _find(paragraphs, "giải quyết 24 đơn")
    assert glued.text.endswith("thẩm quyền(27).") and glued.kind == "body"
    assert _find(paragraphs, "Đăng ký thực hiện 26.771 việc làm theo Bác").kind == "footnote"


def test_fragments_starting_mid_sentence_are_not_glued(
    documents: list[Document], paragraphs: list[Paragraph]
) -> None:
    assert not any("Văn phòng Tỉnh dân ta" in p.text for p in paragraphs)
    assert _find(paragraphs, "dân ta, Danh nhân văn hóa thế giới").text.startswith("dân ta")
    broken = next(p for p in paragraphs if p.text.endswith("đạo đức công vụ, ý thức tổ"))
    continued = next(p for p in paragraphs if p.id == broken.continues_in)
    assert continued.text.startswith("chức kỷ luật")
    assert _doc_of(documents, broken).number == "292-BC/ĐU"


def test_paragraphs_go_to_their_documents(documents: list[Document], paragraphs: list[Paragraph]) -> None:
    cases = {
        "tôi xin tuyên bố Khai mạc": 0,
        "Đảng bộ Các cơ quan tỉnh với đặc thù là Đảng bộ trực thuộc": 1,
        "Hằng năm, tỷ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên đạt trên 90%": 1,
        "40 đảng bộ, 37 chi bộ cơ sở": 2,
        "Đảng ủy Các cơ quan tỉnh hoạt động theo": 4,
        "4. Kết nạp được 150 đảng viên mới.": 5,
        # The programme's first page, printed before the last page of report 297: its opening says it
        # makes the programme ("xây dựng Chương trình hành động ... như sau:").
        "Ban Chấp hành Đảng bộ Các cơ quan tỉnh xây dựng Chương trình hành động": 5,
        "Người đứng đầu cấp ủy trong cơ quan, đơn vị, phải trực tiếp": 5,
        "IV. KIẾN NGHỊ, ĐỀ XUẤT": 4,
        "2- Tiếp tục đổi mới nội dung, phương thức, nâng cao chất": 6,
        "được diễn ra vào ngày 20/8/2020": 7,
        "tôi xin tuyên bố bế mạc": 8,
    }
    for needle, index in cases.items():
        assert _doc_of(documents, _find(paragraphs, needle)) == documents[index], needle


def test_a_tasks_note_joins_its_task(paragraphs: list[Paragraph]) -> None:
    task = _find(paragraphs, "3. Xây dựng, ban hành Đề án: “Nâng cao chất lượng, hiệu quả công tác kiểm tra")
    assert task.text.endswith(
        "Thời gian hoàn thành: Quý I năm 2021 (UBKT Đảng uỷ chủ trì, phối hợp với các "
        "ban và Văn phòng Đảng uỷ chuẩn bị)."
    )
    assert task.lines == (3771, 3777) and task.kind == "list_item"
    assert not any(p.text.startswith("Thời gian hoàn thành") for p in paragraphs)


def test_sections_and_kinds(documents: list[Document], paragraphs: list[Paragraph]) -> None:
    limits = _find(paragraphs, "1.1. Trong lãnh đạo, chỉ đạo, Đảng ủy, BTV Đảng ủy CCQ")
    assert limits.section[0].startswith("Phần thứ nhất: ĐÁNH GIÁ TỔNG QUÁT")
    assert limits.section[1:] == ("II. HẠN CHẾ VÀ NGUYÊN NHÂN", "1. Hạn chế")
    displaced = _find(paragraphs, "1.3. Công tác kiểm tra, giám sát ở một số tổ chức")  # a page out of order
    assert displaced.section == limits.section
    # The half-page that continues 1.1's broken last sentence now comes next, in 1.1's section.
    continued = paragraphs[paragraphs.index(limits) + 1]
    assert continued.text.startswith("khai một số nghị quyết") and continued.section == limits.section
    assert limits.continues_in is None
    target = _find(paragraphs, "4. Kết nạp được 150 đảng viên mới.")
    assert target.kind == "list_item" and target.section
    assert {p.kind for p in paragraphs} >= {"body", "heading", "list_item", "footnote", "signature"}
    for doc in documents:
        assert [p.ordinal for p in doc.paragraphs] == list(range(1, len(doc.paragraphs) + 1))


def test_ids_are_stable_content_hashes(corpus_source: Source, documents: list[Document]) -> None:
    again, _ = build(corpus_source)
    assert [p.id for d in again for p in d.paragraphs] == [p.id for d in documents for p in d.paragraphs]
    ids = [p.id for d in documents for p in d.paragraphs]
    assert len(ids) == len(set(ids))
    greetings = [p for p in documents[0].paragraphs if p.text == "Kính thưa toàn thể Đại hội!"]
    assert len(greetings) >= 3 and len({p.id for p in greetings}) == len(greetings)


def test_load_file_reports_documents_and_hash() -> None:
    result = load_file(CORPUS)
    assert result.error is None and len(result.documents) == 9
    assert result.paragraph_count > 400 and len(result.sha256) == 64


def _printed(order: list[int], pages: list[list[str]] = PAGES) -> tuple[list[Paragraph], list[str]]:
    """The paragraphs of a text whose pages are printed in the given order, and the text's lines."""
    lines = [line for k in order for line in pages[k]]
    docs, _ = build(Source("booklet.txt", tuple(lines)))
    assert len(docs) == 1
    return list(docs[0].paragraphs), lines


def test_swapped_pages_are_read_in_order_with_their_true_lines() -> None:
    paragraphs, lines = _printed([0, 2, 1, 3])
    read = [p.text for p in paragraphs]
    assert read == [p.text for p in _printed([0, 1, 2, 3])[0]]
    assert [p.ordinal for p in paragraphs] == list(range(1, len(paragraphs) + 1))
    for p in paragraphs:  # each paragraph keeps the lines it was printed on
        assert p.text in " ".join(x.strip() for x in lines[p.lines[0] - 1 : p.lines[1]])
    broken = _find(paragraphs, "chỉ đạo việc tổ")
    continued = paragraphs[broken.ordinal]
    assert continued.text.startswith("chức thực hiện")
    assert continued.lines[0] == lines.index(PAGES[1][0]) + 1 == 13
    assert broken.continues_in is None  # it comes next now: no link needed
    # The targets printed on the displaced page belong to 3.2 again, not to the 3.3 printed before them.
    assert _find(paragraphs, "(4) Tỷ lệ cơ quan").section == ("3.2. Các chỉ tiêu chủ yếu",)


def test_pages_in_order_are_left_alone() -> None:
    paragraphs, _ = _printed([0, 1, 2, 3])
    assert [p.lines for p in paragraphs] == sorted(p.lines for p in paragraphs)
    # Clean breaks everywhere: a page ending a sentence, the next opening a paragraph. Nothing says the
    # middle pages are swapped, so they are not (a swap must be paid for by the text).
    clean = [
        [" Đại hội đã thảo luận và thông qua các văn kiện.", "", "Các đại biểu đã phát biểu ý kiến."],
        [" Các cấp ủy tiếp tục đổi mới phương thức lãnh đạo.", "", "Công tác cán bộ được chú trọng."],
        [" Công tác kiểm tra, giám sát được tăng cường.", "", "Tổ chức đảng được củng cố."],
        [" Đại hội kêu gọi toàn Đảng bộ thực hiện thắng lợi Nghị quyết./."],
    ]
    paragraphs, _ = _printed([0, 2, 1, 3], clean)
    assert [p.lines for p in paragraphs] == sorted(p.lines for p in paragraphs)


# A booklet printed two pages to a sheet (2-up): its printed pages, in reading order.
SHEET_PAGES = [
    [
        "1. Công tác xây dựng Đảng",
        "",
        "Các cấp ủy đã tập trung lãnh đạo, nâng cao năng lực lãnh đạo và sức",
        "chiến đấu của các cấp ủy, tổ",
    ],
    [
        "chức đảng trong toàn Đảng bộ. Các cấp ủy thường xuyên đổi mới nội",
        "dung sinh hoạt chi bộ theo chuyên đề.",
        "",
        "Chất lượng sinh hoạt chi bộ được nâng lên, góp phần nâng cao",
        "chất lượng đảng",
    ],
    [
        "viên và đội ngũ cán bộ làm công tác đảng. Công tác kiểm tra, giám sát",
        "được các cấp ủy, tổ chức đảng thực hiện theo đúng kế hoạch.",
        "",
        "2. Công tác dân vận",
        "",
        "Các cấp ủy, tổ chức đảng quan tâm lãnh đạo, nâng cao hiệu quả",
        "công tác dân",
    ],
    [
        "vận trong các cơ quan, đơn vị. Đoàn viên, hội viên tích cực tham gia",
        "các phong trào thi đua yêu nước; các tổ chức đảng phát huy vai trò",
        "hạt nhân chính trị và động viên đảng",
    ],
    [
        "viên gương mẫu thực hiện nhiệm vụ. Công tác tuyên truyền được các tổ",
        "chức đảng thực hiện thường xuyên, bằng nhiều hình thức phong phú.",
        "",
        "Các cấp ủy đã quan tâm kiện toàn tổ chức đảng ở cơ sở, bảo đảm",
        "hoạt động có nền nếp.",
    ],
    ["Đại hội kêu gọi toàn Đảng bộ thực hiện thắng lợi Nghị quyết./."],
]


def _sheets(sheets: list[list[int]]) -> tuple[list[Paragraph], list[str]]:
    """The paragraphs of the booklet extracted a sheet at a time, each sheet's halves in the given order."""
    lines: list[str] = []
    for sheet in sheets:
        for n, k in enumerate(sheet):
            if n:
                lines.append("")
            lines.append(("" if n else " ") + SHEET_PAGES[k][0])
            lines.extend(SHEET_PAGES[k][1:])
    docs, _ = build(Source("booklet.txt", tuple(lines)))
    assert len(docs) == 1
    return list(docs[0].paragraphs), lines


def test_half_pages_extracted_second_half_first_are_read_in_order() -> None:
    paragraphs, lines = _sheets([[0], [2, 1], [4, 3], [5]])
    assert [p.text for p in paragraphs] == [p.text for p in _sheets([[0], [1, 2], [3, 4], [5]])[0]]
    for p in paragraphs:  # each paragraph keeps the lines it was printed on
        assert p.text in " ".join(x.strip() for x in lines[p.lines[0] - 1 : p.lines[1]])
    broken = _find(paragraphs, "nâng cao năng lực lãnh đạo và sức")
    continued = paragraphs[broken.ordinal]
    assert continued.text.startswith("chức đảng trong toàn Đảng bộ") and continued.lines == (13, 14)
    # Printed after the heading `2.` on its sheet, it is read before it again, in section 1.
    assert continued.section == ("1. Công tác xây dựng Đảng",)
    assert _find(paragraphs, "vận trong các cơ quan").section == ("2. Công tác dân vận",)


def test_half_pages_in_order_are_left_alone() -> None:
    paragraphs, _ = _sheets([[0], [1, 2], [3, 4], [5]])
    assert [p.lines for p in paragraphs] == sorted(p.lines for p in paragraphs)


def test_report_half_pages_are_read_in_order(documents: list[Document]) -> None:
    report = list(next(d for d in documents if d.number == "303-BC/ĐU").paragraphs)

    def after(needle: str) -> Paragraph:
        return report[_find(report, needle).ordinal]

    # Each sheet of the political report was extracted second half first (303-BC/ĐU, lines 1496-1876).
    assert after("Ba là, các cấp ủy, tổ chức đảng phải chủ động").text.startswith("chi bộ. Thường xuyên")
    assert after("các đoàn thể CCQ tỉnh").text.startswith("và một số cấp ủy viên, cán bộ")
    assert after("thực hiện cải cách hành chính trong nội").text.startswith("bộ tổ chức đảng")
    assert after("Sáu là, phải mở rộng dân chủ").text == "Phần thứ hai"
    assert after("Tiếp tục đẩy mạnh xây dựng và chỉnh đốn Đảng").text.startswith("trong Đảng bộ, phát huy")
    target = _find(report, "4- Kết nạp được 150 đảng viên mới.")
    assert target.section[0].startswith("Phần thứ hai: PHƯƠNG HƯỚNG") and target.lines == (1841, 1841)
    assert target.section[-1] == "II. CÁC CHỈ TIÊU CHỦ YẾU"
    # `5- ...` cut off by the sheet's fold is followed by `6- ...`: an item of the list, no heading.
    assert _find(report, "5- Có 20% tổ chức cơ sở đảng").kind == "list_item"
    assert _find(report, "6- Tỷ lệ đảng viên dự").section == target.section
    # The report on Chỉ thị 05 (292-BC/ĐU) was printed the same way.
    chi_thi = list(next(d for d in documents if d.number == "292-BC/ĐU").paragraphs)
    cited = next(p for p in chi_thi if p.text.endswith("07/6/2012 của Ban Bí thư Trung ương"))
    assert chi_thi[cited.ordinal].text.startswith("Đảng về trách nhiệm nêu gương")


def test_resolution_pages_are_read_in_order(documents: list[Document]) -> None:
    resolution = next(d for d in documents if d.kind == "resolution")
    paragraphs = list(resolution.paragraphs)
    targets = [p for p in paragraphs if p.section[-1:] and p.section[-1].startswith("3.2.")]
    numbered = [p for p in targets if p.text.startswith("(")]
    assert [p.text[:3] for p in numbered] == [f"({n})" for n in range(1, 9)]
    assert [p.ordinal for p in numbered] == sorted(p.ordinal for p in numbered)
    assert numbered[5].lines == (4060, 4061)  # (6) is printed on the page before (1)-(5)
    # A sentence cut by a page break reads on in the next paragraph, and is no heading.
    cut = _find(paragraphs, "2.1. Trong giáo dục chính trị tư tưởng")
    assert cut.kind == "list_item" and paragraphs[cut.ordinal].text.startswith("mặt còn hạn chế")
    third = _find(paragraphs, "Thứ ba, thực hiện đồng bộ")
    assert paragraphs[third.ordinal - 2].text.startswith(
        "Đổi mới và nâng cao chất lượng việc tổ chức học tập"
    )
    assert _find(paragraphs, "Các cấp ủy cơ sở phối hợp với lãnh đạo cơ").continues_in is None


def test_resolution_sections_follow_its_outline(documents: list[Document]) -> None:
    paragraphs = list(next(d for d in documents if d.kind == "resolution").paragraphs)
    # `2. Bên cạnh ...` is too long for a heading by length alone, but 2.1-2.4 follow it.
    shortcomings = _find(paragraphs, "2.3. Công tác kiểm tra, giám còn có mặt hạn chế").section
    assert shortcomings[-1].startswith("2. Bên cạnh những kết quả đạt được")
    # The five points of 3.3 are headings under it, whatever their length.
    for point in ("Thứ nhất", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm"):
        heading = _find(paragraphs, f"{point}, ")
        assert heading.kind == "heading" and heading.section[-2].startswith("3.3. Các nhiệm vụ"), point
    assert (
        _find(paragraphs, "quan, đơn vị tiếp tục triển khai thực hiện tốt").section[-1].startswith("Thứ năm")
    )
    # Articles II-V of the resolution stand on their own again, out of 3.3.
    assert _find(paragraphs, "II. Thông qua Báo cáo kiểm điểm").section == ("ĐẠI HỘI QUYẾT NGHỊ",)


def test_list_numbering_styles_are_read() -> None:
    assert numbering("Thứ hai: Trên cơ sở kết quả thảo luận") == ("thu", (2,))
    assert numbering("Ba là, tăng cường kiểm tra") == ("la", (3,))
    assert numbering("2.1. Về công tác tư tưởng") == ("sub", (2, 1))
    assert numbering("(4). Kết nạp được 150 đảng viên mới.") == ("paren", (4,))
    assert numbering("4- Kết nạp được 150 đảng viên mới.") == ("dash", (4,))
    assert numbering("IV. KIẾN NGHỊ, ĐỀ XUẤT") == ("roman", (4,))
    assert numbering("Thứ tưởng") is None and numbering("2020 là năm") is None
