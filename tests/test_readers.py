"""Reading files: text encodings, Unicode normalisation, PDF and DOCX, and one clear error per bad file."""

from __future__ import annotations

import codecs
import random
import unicodedata
from pathlib import Path

import pytest

from ingest import load_file
from ingest.readers import ReadError, decode
from ingest.records import FileResult, Paragraph

FIRST = "Đại hội Đảng bộ đã thảo luận, thống nhất đánh giá kết quả thực hiện nghị quyết nhiệm kỳ qua."
SECOND = "Toàn Đảng bộ tiếp tục đổi mới phương thức lãnh đạo, xây dựng quê hương giàu đẹp, văn minh."
TEXT = f"{FIRST}\n\n{SECOND}\n"

# cp1258 has precomposed base letters with their shape mark, but writes tone marks as combining marks.
_SHAPE_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn


def _cp1258(text: str) -> bytes:
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            shaped = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _SHAPE_MARKS))
            out.append(shaped + "".join(m for m in marks if m not in _SHAPE_MARKS))
        else:
            out.append(ch)
    return "".join(out).encode("cp1258")


ENCODINGS = {
    "utf-8": TEXT.encode("utf-8"),
    "utf-8-bom": codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    "utf-16-bom": codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    "utf-16-be-bom": codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    "utf-16-le-no-bom": TEXT.encode("utf-16-le"),
    "cp1258": _cp1258(TEXT),
}


def _paragraphs(result: FileResult) -> list[Paragraph]:
    assert result.error is None, result.error
    return [p for d in result.documents for p in d.paragraphs]


def _texts(result: FileResult) -> list[str]:
    return [p.text for p in _paragraphs(result)]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_cp1258_helper_makes_real_legacy_bytes() -> None:
    data = ENCODINGS["cp1258"]
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == TEXT
    assert data.decode("cp1258") != TEXT  # tone marks stay combining


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decode_gives_the_same_text_in_every_encoding(encoding: str) -> None:
    assert unicodedata.normalize("NFC", decode(ENCODINGS[encoding])) == TEXT


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_text_file_in_every_encoding_gives_its_two_paragraphs(encoding: str, tmp_path: Path) -> None:
    path = _write(tmp_path / f"van-ban-{encoding}.txt", ENCODINGS[encoding])
    result = load_file(path)
    assert _texts(result) == [FIRST, SECOND]
    assert all(unicodedata.is_normalized("NFC", t) for t in _texts(result))
    assert result.file == path.name and len(result.sha256) == 64


def test_decomposed_input_comes_out_composed(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", TEXT)
    assert nfd != TEXT
    result = load_file(_write(tmp_path / "nfd.txt", nfd.encode("utf-8")))
    assert _texts(result) == [FIRST, SECOND]


def test_markdown_file_is_ingested(tmp_path: Path) -> None:
    path = _write(tmp_path / "ghi-chu.md", f"# Ghi chú hội nghị\n\n{FIRST}\n\n{SECOND}\n".encode())
    texts = _texts(load_file(path))
    assert texts[-2:] == [FIRST, SECOND]
    assert any("Ghi chú hội nghị" in t for t in texts)


def _undecodable() -> bytes:
    out = bytearray()
    for i, byte in enumerate(bytes(range(0x80, 0x100)) * 50):
        out.append(byte)
        if i % 7 == 0:
            out.append(0x01 + i % 8)
    return bytes(out)


def _random_bytes(seed: int, size: int = 4000) -> bytes:
    return random.Random(seed).randbytes(size)


BAD_FILES = {
    "empty": ("rong.txt", b"", "rỗng"),
    "whitespace": ("trang.txt", b"  \n\t\n   \r\n\n", "không có nội dung"),
    "binary": ("anh.txt", b"\x89PNG\r\n\x1a\n" + bytes(512), "nhị phân"),
    "unsupported": ("bang-tinh.xlsx", b"PK\x03\x04" + _random_bytes(1, 200), "không được hỗ trợ"),
    "corrupt-pdf": ("hong.pdf", _random_bytes(2), "PDF hỏng"),
    "undecodable": ("ma-la.txt", _undecodable(), "bảng mã"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_gives_one_clear_error_and_no_documents(case: str, tmp_path: Path) -> None:
    name, data, reason = BAD_FILES[case]
    result = load_file(_write(tmp_path / name, data))
    assert result.error is not None and reason in result.error
    assert "\n" not in result.error
    assert result.documents == ()


def test_corrupt_docx_gives_one_clear_error(tmp_path: Path) -> None:
    result = load_file(_write(tmp_path / "hong.docx", _random_bytes(3)))
    assert result.error is not None and "DOCX hỏng" in result.error
    assert result.documents == ()


def test_oversize_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "lon.txt", TEXT.encode())
    result = load_file(path, max_bytes=len(TEXT.encode()) - 1)
    assert result.error is not None and "quá lớn" in result.error and "\n" not in result.error
    assert result.documents == ()
    assert load_file(path, max_bytes=len(TEXT.encode())).error is None


def test_missing_path_is_reported(tmp_path: Path) -> None:
    result = load_file(tmp_path / "khong-co.txt")
    assert result.error == "không tìm thấy tệp"
    assert result.documents == ()


def test_decode_refuses_binary_and_undecodable_bytes() -> None:
    with pytest.raises(ReadError, match="nhị phân"):
        decode(b"\x89PNG\r\n\x1a\n" + bytes(512))
    with pytest.raises(ReadError, match="bảng mã"):
        decode(_undecodable())


def _register_dejavu() -> str:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(font)))
    return "DejaVuSans"


PDF_HEADING = "NGHỊ QUYẾT ĐẠI HỘI ĐẢNG BỘ"
PDF_FIRST = "Đoạn thứ nhất: người dân đoàn kết xây dựng quê hương giàu đẹp."
PDF_SECOND = "Đoạn thứ hai: các cấp ủy tiếp tục đổi mới phương thức lãnh đạo."


def test_pdf_text_layer_gives_paragraphs_with_their_pages(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    font = _register_dejavu()
    path = tmp_path / "nghi-quyet.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont(font, 16)
    pdf.drawString(72, 770, PDF_HEADING)
    pdf.setFont(font, 11)
    pdf.drawString(72, 730, PDF_FIRST)
    pdf.showPage()
    pdf.setFont(font, 11)
    pdf.drawString(72, 770, PDF_SECOND)
    pdf.showPage()
    pdf.save()

    paragraphs = _paragraphs(load_file(path))
    by_text = {p.text: p for p in paragraphs}
    assert PDF_FIRST in by_text and PDF_SECOND in by_text, [p.text for p in paragraphs]
    assert by_text[PDF_FIRST].page == 1
    assert by_text[PDF_SECOND].page == 2
    assert any(PDF_HEADING in p.text and p.page == 1 for p in paragraphs)
    assert all(unicodedata.is_normalized("NFC", p.text) for p in paragraphs)
    texts = [p.text for p in paragraphs]
    assert texts.index(PDF_FIRST) < texts.index(PDF_SECOND)


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "ban-quet.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 300, 400, fill=1)
    pdf.showPage()
    pdf.save()
    result = load_file(path)
    assert result.error is not None and "không có lớp văn bản" in result.error
    assert "\n" not in result.error and result.documents == ()


def test_docx_gives_heading_paragraphs_and_table_rows_in_order(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("BÁO CÁO CHÍNH TRỊ", level=1)
    document.add_paragraph("Đoạn một: kết quả lãnh đạo thực hiện nhiệm vụ chính trị.")
    document.add_paragraph("Đoạn hai: phương hướng, nhiệm vụ nhiệm kỳ tới.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {
        (0, 0): "Chỉ tiêu",
        (0, 1): "Kết quả",
        (1, 0): "Tăng trưởng",
        (1, 1): "Đạt 8%",
    }.items():
        table.cell(row, col).text = text
    path = tmp_path / "bao-cao.docx"
    document.save(str(path))

    assert _texts(load_file(path)) == [
        "BÁO CÁO CHÍNH TRỊ",
        "Đoạn một: kết quả lãnh đạo thực hiện nhiệm vụ chính trị.",
        "Đoạn hai: phương hướng, nhiệm vụ nhiệm kỳ tới.",
        "Chỉ tiêu | Kết quả",
        "Tăng trưởng | Đạt 8%",
    ]
