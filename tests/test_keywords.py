from __future__ import annotations

from pathlib import Path

import pytest

from index.keywords import KeywordIndex, tokenize
from ingest import load_file
from ingest.records import Paragraph
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def paragraphs() -> list[Paragraph]:
    return [p for d in load_file(CORPUS).documents for p in d.paragraphs]


@pytest.fixture(scope="module")
def corpus_index(paragraphs: list[Paragraph]) -> KeywordIndex:
    return KeywordIndex.build([p.id for p in paragraphs], [p.text for p in paragraphs])


def containing(paragraphs: list[Paragraph], quote: str) -> str:
    (found,) = [p.id for p in paragraphs if quote in " ".join(p.text.split())]
    return found


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoá", "hóa"), ("Uỷ", "ủy"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("hoà", "hòa"), ("qúy", "quý")],
)
def test_old_and_new_tone_placement_give_the_same_token(old: str, new: str) -> None:
    assert tokenize(old) == tokenize(new) == [new]


def test_tone_placement_leaves_regular_syllables_alone() -> None:
    words = "hoàn toán giữ già gìn người của quốc thuở huỳnh khuya"
    assert tokenize(words) == words.split()


def test_text_is_nfc_and_lower_case() -> None:
    decomposed = "Đa\u0323i Hô\u0323i"  # combining dot below, as some PDF extractors write it
    assert tokenize(decomposed) == ["đại", "hội"]


@pytest.mark.parametrize(
    ("left", "right"),
    [("4.587", "4587"), ("1.000", "1000"), ("25,2%", "25.2"), ("03", "3"), ("1.234,50", "1234,5")],
)
def test_numbers_match_across_formats(left: str, right: str) -> None:
    assert tokenize(left) == tokenize(right)
    assert len(tokenize(left)) == 1


def test_dates_and_fractions_are_kept_whole() -> None:
    assert tokenize("ngày 30/5/2019") == ["ngày", "30/5/2019"]
    assert tokenize("03/6/2013") == ["3/6/2013"]
    assert tokenize("77/77 tổ chức, 246/248 đại biểu") == ["77/77", "tổ", "chức", "246/248", "đại", "biểu"]


@pytest.mark.parametrize("variant", ["05-CT/TW", "05- CT/TW", "05 - CT/TW", "5-CT/TW", "05 – CT/TW"])
def test_document_code_spacing_variants_match(variant: str) -> None:
    assert tokenize(f"Chỉ thị số {variant} ngày") == ["chỉ", "thị", "số", "5-ct/tw", "ngày"]


def test_other_codes_are_one_token_and_their_parts_are_not_expanded() -> None:
    assert tokenize("292-BC/ĐU") == ["292-bc/đu"]
    assert tokenize("Số  01 - NQ/ĐH") == ["số", "1-nq/đh"]
    assert tokenize("03-CTr/ĐU") == ["3-ctr/đu"]


def test_roman_and_arabic_numbers_match() -> None:
    assert tokenize("XVIII") == tokenize("18") == ["18"]
    assert tokenize("khóa XII") == tokenize("khóa 12")
    assert tokenize("lần thứ xviii") == tokenize("lần thứ 18")
    assert tokenize("I. Mục V") == ["1", "mục", "5"]  # a section marker becomes a harmless number


def test_syllables_that_look_roman_stay_words() -> None:
    assert tokenize("xi măng, vi phạm") == ["xi", "măng", "vi", "phạm"]
    assert tokenize("Xi măng. Vi phạm. Li") == ["xi", "măng", "vi", "phạm", "li"]
    assert tokenize("Công văn CV") != tokenize("Công văn 105")


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("BCH", "Ban Chấp hành"),
        ("BTV", "Ban Thường vụ"),
        ("UBKT", "Ủy ban Kiểm tra"),
        ("CCQ", "Các cơ quan"),
        ("TCCSĐ", "tổ chức cơ sở đảng"),
        ("TCCS đảng", "tổ chức cơ sở đảng"),
        ("ĐV", "đảng viên"),
        ("HĐND", "Hội đồng nhân dân"),
        ("UBND", "Ủy ban nhân dân"),
        ("NQ TW", "Nghị quyết Trung ương"),
        ("BTV TU", "Ban Thường vụ Tỉnh uỷ"),
        ("CT", "Chỉ thị"),
        ("BCHTW", "Ban Chấp hành Trung ương"),
        ("MTTQ", "Mặt trận Tổ quốc"),
        ("ĐU", "Đảng ủy"),
        ("CTr", "Chương trình"),
        ("KT-XH", "kinh tế - xã hội"),
        ("NQTW4", "Nghị quyết Trung ương 4"),
        ("ubkt", "ủy ban kiểm tra"),
    ],
)
def test_abbreviations_match_their_full_phrase(short: str, full: str) -> None:
    assert tokenize(short) == tokenize(full)


def test_a_speech_is_a_dien_van_or_a_phat_bieu_alike() -> None:
    assert tokenize("Diễn văn bế mạc") == tokenize("PHÁT BIỂU BẾ MẠC") == ["phát", "biểu", "bế", "mạc"]
    assert tokenize("dien van khai mac") == ["phat", "bieu", "khai", "mac"]
    assert tokenize("hội diễn văn nghệ") == ["hội", "diễn", "văn", "nghệ"]  # a performance


def test_lower_case_or_all_capitals_words_are_not_taken_for_abbreviations() -> None:
    assert tokenize("tu dưỡng, đa số") == ["tu", "dưỡng", "đa", "số"]
    assert tokenize("TU DƯỠNG ĐA DẠNG") == ["tu", "dưỡng", "đa", "dạng"]


def test_question_without_diacritics_finds_the_paragraph(
    corpus_index: KeywordIndex, paragraphs: list[Paragraph]
) -> None:
    expected = containing(paragraphs, "bầu 24 đồng chí vào Ban Chấp hành")
    top = [pid for pid, _ in corpus_index.search("dai hoi bau bao nhieu dong chi vao ban chap hanh", k=3)]
    assert expected in top
    marked = [pid for pid, _ in corpus_index.search("Đại hội bầu bao nhiêu đồng chí vào Ban Chấp hành", k=3)]
    assert expected in marked


def test_abbreviation_in_a_question_typed_without_marks(
    corpus_index: KeywordIndex, paragraphs: list[Paragraph]
) -> None:
    expected = containing(paragraphs, "chỉ đạo 77/77 tổ chức cơ sở đảng")
    top = corpus_index.search(
        "truoc dai hoi CCQ thi bao nhieu to chuc co so dang da to chuc dai hoi xong?", k=1
    )
    assert top[0][0] == expected


def test_results_are_ranked_with_scores(corpus_index: KeywordIndex) -> None:
    hits = corpus_index.search("Chỉ thị 05-CT/TW", k=5)
    assert len(hits) == 5
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_allowed_restricts_the_results(corpus_index: KeywordIndex, paragraphs: list[Paragraph]) -> None:
    allowed = {p.id for p in paragraphs[:40]}
    hits = corpus_index.search("đảng viên", k=100, allowed=allowed)
    assert hits and {pid for pid, _ in hits} <= allowed
    assert corpus_index.search("đảng viên", allowed=[]) == []


def test_empty_query_and_empty_index_give_nothing(corpus_index: KeywordIndex) -> None:
    assert corpus_index.search("") == []
    assert corpus_index.search("  ?! ") == []
    assert corpus_index.search("từkhôngcó") == []
    assert len(KeywordIndex.build([], [])) == 0
    assert KeywordIndex.build([], []).search("đảng viên") == []


def test_build_checks_lengths() -> None:
    with pytest.raises(ValueError):
        KeywordIndex.build(["a"], [])


def test_save_and_load_give_identical_results(corpus_index: KeywordIndex, tmp_path: Path) -> None:
    folder = tmp_path / "keywords"
    KeywordIndex.build(["x"], ["cũ"]).save(folder)
    corpus_index.save(folder)  # replaces the older index in place
    loaded = KeywordIndex.load(folder)
    assert len(loaded) == len(corpus_index)
    for query in ("Ban Chấp hành khóa XVIII", "dai hoi bau bao nhieu dong chi", "25,2%"):
        assert loaded.search(query, k=10) == corpus_index.search(query, k=10)
    assert [p.name for p in tmp_path.iterdir()] == ["keywords"]


def test_an_empty_index_round_trips(tmp_path: Path) -> None:
    KeywordIndex.build([], []).save(tmp_path / "empty")
    assert len(KeywordIndex.load(tmp_path / "empty")) == 0
