"""Reading files into Unicode lines: text (any common Vietnamese encoding), PDF text layers, DOCX."""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")

# Letters that only Vietnamese uses: a legacy-encoded file decoded right is full of them.
_VIETNAMESE = set("ăâđêôơưĂÂĐÊÔƠƯ") | set("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


class ReadError(Exception):
    """A file that cannot be read; the message is one Vietnamese sentence for the user."""


@dataclass(frozen=True)
class Source:
    """The text of one file as lines (NFC), with the page of each line where the format has pages."""

    file: str
    lines: tuple[str, ...]
    pages: tuple[int | None, ...] | None = None
    layout: str = "extracted"
    """`extracted`: text as a PDF extractor lays it out, to be repaired; `paragraphs`: one per line."""
    headings: frozenset[int] = frozenset()
    """Line numbers (1-based) the format itself marks as headings (DOCX heading and title styles)."""


def read(path: Path, max_bytes: int) -> Source:
    """Read one file, or raise ReadError saying why it cannot be ingested."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(
            f"định dạng '{suffix or path.name}' không được hỗ trợ (chỉ nhận .txt, .md, .pdf, .docx)"
        )
    size = path.stat().st_size
    if size == 0:
        raise ReadError("tệp rỗng")
    if size > max_bytes:
        raise ReadError(f"tệp quá lớn ({size / 1e6:.1f} MB, giới hạn {max_bytes / 1e6:.0f} MB)")
    if suffix == ".pdf":
        source = _read_pdf(path)
    elif suffix == ".docx":
        source = _read_docx(path)
    else:
        text = decode(path.read_bytes())
        source = Source(path.name, tuple(_nfc(text).splitlines()))
    if not any(line.strip() for line in source.lines):
        raise ReadError("tệp không có nội dung văn bản")
    return source


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} KB"


def decode(data: bytes) -> str:
    """Decode text bytes (UTF-8 with or without BOM, UTF-16, legacy Windows-1258) to NFC text."""
    return _nfc(_decode(data))


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    if b"\x00" in data:
        raise ReadError("tệp nhị phân, không phải văn bản")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise ReadError("không nhận ra bảng mã của tệp (không phải UTF-8, UTF-16, Windows-1258)") from exc
    if _control_ratio(text) > 0.01 or not _looks_vietnamese(_nfc(text)):
        raise ReadError("không nhận ra bảng mã của tệp (không phải UTF-8, UTF-16, Windows-1258)")
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte of ASCII text."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0) / (len(data) / 2)
    odd_nuls = data[1::2].count(0) / (len(data) / 2)
    encoding = "utf-16-le" if odd_nuls > 0.3 and even_nuls < 0.05 else None
    if even_nuls > 0.3 and odd_nuls < 0.05:
        encoding = "utf-16-be"
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _control_ratio(text: str) -> float:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    return controls / max(len(text), 1)


def _looks_vietnamese(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch in _VIETNAMESE for ch in letters) / len(letters) > 0.03


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _read_pdf(path: Path) -> Source:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("tệp PDF có mật khẩu")
        lines: list[str] = []
        pages: list[int | None] = []
        for number, page in enumerate(reader.pages, start=1):
            page_lines = _nfc(page.extract_text() or "").splitlines()
            # A leading space marks a page start, as in text extracted by other tools.
            for i, line in enumerate(page_lines):
                lines.append((" " + line.lstrip()) if i == 0 and line.strip() else line)
                pages.append(number)
            lines.append("")
            pages.append(number)
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ReadError(f"tệp PDF hỏng hoặc không đọc được ({type(exc).__name__})") from exc
    if sum(len(line.strip()) for line in lines) < 20:
        raise ReadError("tệp PDF không có lớp văn bản (có thể là bản quét); chưa hỗ trợ nhận dạng chữ")
    return Source(path.name, tuple(lines), tuple(pages))


def _read_docx(path: Path) -> Source:
    import zipfile

    import docx
    from docx.opc.exceptions import OpcError
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError, OSError) as exc:
        raise ReadError(f"tệp DOCX hỏng hoặc không đọc được ({type(exc).__name__})") from exc
    lines: list[str] = []
    headings: set[int] = set()
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            text = " ".join(block.text.split())
            if text:
                lines.append(_nfc(text))
                style = (block.style.name if block.style is not None else "") or ""
                if style.startswith(("Heading", "Title")):
                    headings.add(len(lines))
        elif isinstance(block, Table):
            for row in block.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                unique = list(dict.fromkeys(c for c in cells if c))  # merged cells repeat
                if unique:
                    lines.append(_nfc(" | ".join(unique)))
    return Source(path.name, tuple(lines), layout="paragraphs", headings=frozenset(headings))
