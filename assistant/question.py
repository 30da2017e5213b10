"""The question side: checking what was asked, what kind of answer it wants, and follow-up rewriting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.records import TurnLike
from index.keywords import fold, has_diacritics, tokenize
from ingest.records import UserError

MAX_QUESTION_CHARS = 1000

# A Vietnamese syllable typed without diacritics: optional initial, vowels, optional final.
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(ng|nh|ch|[cmnpt])?"
)
_WORD = re.compile(r"[^\W\d_]+")
_FOREIGN_SCRIPT = re.compile(
    r"[\u0400-\u04ff\u0590-\u06ff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)

# Question words: they say what kind of answer is wanted, never what it is about.
_NUMBER_ASKED = re.compile(r"\b(bao nhieu|may|ty le|so luong|bao lau|bao xa|muc|chi tieu)\b")
# "bao nhiêu", "mấy": a number for certain; "những chỉ tiêu ... nào" without them asks for the list.
_HOW_MANY = re.compile(r"\b(bao nhieu|may)\b")
_PERSON_ASKED = re.compile(r"\b(ai|nhung ai|dong chi nao|nguoi nao|ca nhan(\s+\w+){0,2}\s+nao)\b")
_TIME_ASKED = re.compile(
    r"\b(khi nao|bao gio|ngay nao|(?<!hang )(?<!moi )nam nao|thang nao|luc nao|thoi gian nao|thoi han"
    r"|thoi diem)\b"
)
# A list is asked for with a plural before the question word ("những hạn chế nào", "các nội dung gì"),
# with "gồm" or "liệt kê", or with a plural topic noun of these documents ("các chỉ tiêu", "những bài học").
_LIST_SHAPE = re.compile(
    r"\b(nhung|cac)(,?\s+\w+){1,5}\s+(nao|gi)\b|\b(gom|bao gom|liet ke|ke ten)\b"
    r"|\b(nhung|cac)\s+(nhom|nhiem vu|giai phap|han che|bai hoc|muc tieu|phuong huong|nguyen nhan|khuyet diem"
    r"|chi tieu|noi dung|yeu cau|kho khan|thuan loi|ton tai|de an)\b"
)
# "Theo chỉ thị nào", "quyết định số mấy", "mang số hiệu gì": a document is asked for by its number.
_CODE_ASKED = re.compile(
    r"\b(chi thi|nghi quyet|quyet dinh|quy dinh|ket luan|cong van|huong dan|van ban|thong tri|de an)"
    r"\s+(nao|so may|so bao nhieu|gi)\b|\b(so hieu|ky hieu|so may)\b"
)
# "Những đề án, nghị quyết nào": documents asked for as a list, not one document's number.
_DOCUMENTS_LISTED = re.compile(
    r"\b(nhung|cac)(,?\s+\w+){0,3},?\s+(chi thi|nghi quyet|quyet dinh|quy dinh|ket luan|cong van"
    r"|huong dan|van ban|thong tri|de an)\s+(nao|gi)\b"
)
# Where something took place: answered by a place ("tại Trung tâm Hội nghị tỉnh").
_PLACE_ASKED = re.compile(r"\b(o dau|tai dau|noi nao|dia diem)\b")
# Money is asked for by these words; the answer must then be a sum of money.
_MONEY_ASKED = re.compile(r"\b(tien|kinh phi|ngan sach|chi phi|muc thuong|so tien)\b")
# Who leads, prepares or answers for a task is a body as often as a person ("Ban Tuyên giáo chủ trì").
_BODY_ASKED = re.compile(
    r"\b(ai|ai la nguoi|ban nao|co quan nao|don vi nao|to chuc nao)\s+"
    r"(chu tri|phu trach|lo|phat dong|chiu trach nhiem|thuc hien|ban hanh|chuan bi|tham muu|theo doi)\b"
    r"|\bdo (ai|ban nao|co quan nao|don vi nao)\b"
)
# "Có ai ... không?" asks whether anyone did, usually answered with a number, not a name.
_ANYONE = re.compile(r"\bco ai\b.*\bkhong\b")
# "bao nhiêu X" / "mấy X": the unit asked for, which the answer writes after its number ("24 đồng chí").
_ASKED_UNIT = re.compile(r"\b(?:bao nhieu|may)\s+(\w+(?:\s+\w+)?)")

# Openings and endings that mark a follow-up leaning on the previous turn ("Còn ... thì sao?").
_FOLLOW_OPENING = re.compile(
    r"^(con|the con|the|vay|va|ngoai ra|rieng|trong so do|trong do|con ve|the thi|vay thi|nhu vay)\b"
)
# "Nội dung cuối cùng", "ý tiếp theo", "những việc còn lại": a place in a list the conversation gave.
_FOLLOW_ANYWHERE = re.compile(
    r"\b(thi sao|the nao nhi|van ban do|van ban nay|tai lieu do|o tren|noi tren|cuoi cung|dau tien"
    r"|tiep theo|con lai)\b"
)
_DEICTIC = re.compile(r"\b(do|ay|nay|kia|tren)\s*[?.!]*$|\b(so do|trong do|cua no)\b")
_LEADING_MARKERS = re.compile(
    r"^\s*(còn|thế còn|thế|vậy|và|ngoài ra|riêng|vậy thì|thế thì|như vậy)\s*,?\s*", re.IGNORECASE
)


class QuestionError(UserError):
    """A question that cannot be answered as asked (empty, too long, not Vietnamese)."""


@dataclass(frozen=True)
class Intent:
    """What a question wants: a number, a person, a time, a whole list, or free text."""

    number: bool = False
    person: bool = False
    time: bool = False
    listing: bool = False
    money: bool = False
    """An amount of money (bao nhiêu tiền, kinh phí): answered by a sum in đồng."""
    code: bool = False
    """Which document (chỉ thị nào, quyết định số mấy): answered by a document code."""
    body: bool = False
    """Who is in charge of something (ai chủ trì, ban nào phụ trách): a person or a body answers."""
    place: bool = False
    """Where (ở đâu, địa điểm nào): answered by a named place after "tại" or "ở"."""
    unit: str | None = None
    """For a number: the word(s) after "bao nhiêu"/"mấy", diacritics removed ("dai bieu")."""

    @property
    def typed(self) -> bool:
        """Whether the answer is a kind of thing a sentence can be checked for (not free text or a list)."""
        return self.number or self.person or self.time or self.money or self.code or self.place

    @property
    def figured(self) -> bool:
        """Whether the answer is a figure: a number, an amount, a date or a document's code."""
        return self.number or self.money or self.time or self.code


def check_question(question: str) -> str:
    """The question, cleaned (NFC, spaces), or a QuestionError saying why it cannot be asked."""
    text = " ".join(unicodedata.normalize("NFC", question or "").split())
    if not text:
        raise QuestionError("Câu hỏi đang trống: hãy nhập một câu hỏi về văn kiện.")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"Câu hỏi quá dài ({len(text)} ký tự; tối đa {MAX_QUESTION_CHARS}): hãy hỏi ngắn gọn hơn."
        )
    if not _WORD.search(text) and not re.search(r"\d", text):
        raise QuestionError("Câu hỏi không có nội dung: hãy nhập câu hỏi bằng chữ.")
    if not is_vietnamese(text):
        raise QuestionError("Trợ lý chỉ trả lời câu hỏi bằng tiếng Việt: hãy đặt câu hỏi bằng tiếng Việt.")
    return text


def is_vietnamese(text: str) -> bool:
    """Whether a question is Vietnamese, typed with or without diacritics (abbreviations and codes aside)."""
    if _FOREIGN_SCRIPT.search(text):
        return False
    words = [w for w in _WORD.findall(text) if not (w.isupper() and len(w) <= 6)]
    if not words:
        return True  # only abbreviations, codes and numbers: "BCH khóa XVIII", "05-CT/TW"
    if has_diacritics(" ".join(words)):
        marked = sum(has_diacritics(w) for w in words)
        return marked / len(words) >= 0.25
    syllables = sum(bool(_SYLLABLE.fullmatch(fold(w).lower())) for w in words)
    return syllables / len(words) >= 0.75


def intent(question: str) -> Intent:
    """The kind of answer a question asks for, read from its question words."""
    q = fold(question.lower())
    number, person, time = (bool(p.search(q)) for p in (_NUMBER_ASKED, _PERSON_ASKED, _TIME_ASKED))
    body = bool(_BODY_ASKED.search(q))
    person = (person or body) and not _ANYONE.search(q)
    unit = _ASKED_UNIT.search(q)
    code = bool(_CODE_ASKED.search(q)) and not _DOCUMENTS_LISTED.search(q)
    plural = bool(_LIST_SHAPE.search(q))
    number = number and not code and not (plural and not _HOW_MANY.search(q))
    place = bool(_PLACE_ASKED.search(q))
    return Intent(
        place=place,
        money=number and bool(_MONEY_ASKED.search(q)),
        code=code,
        number=number,
        person=person,
        body=body,
        time=time,
        listing=plural and not (number or person or time or code or place),
        unit=unit.group(1) if unit else None,
    )


def is_follow_up(question: str, history: Sequence[TurnLike]) -> bool:
    """Whether a question leans on the previous turns ("Còn tỷ lệ đảng viên thì sao?")."""
    if not any(t.role == "user" for t in history):
        return False
    q = fold(question.lower()).strip()
    if _FOLLOW_OPENING.search(q) or _FOLLOW_ANYWHERE.search(q) or _DEICTIC.search(q):
        return True
    return len(tokenize(question)) <= 4


def standalone(question: str, history: Sequence[TurnLike]) -> str:
    """A follow-up made standalone by rules: the user's own words, then the previous question as context.

    Nothing is paraphrased or translated: the previous user question (itself made standalone when the
    history holds it so) supplies the topic, document and section that the follow-up leaves unsaid.
    """
    if not is_follow_up(question, history):
        return question
    users = [t.content for t in history if t.role == "user"]
    context = users[-1]
    own = _LEADING_MARKERS.sub("", question).strip() or question
    own = own[0].upper() + own[1:]
    return f"{own} (tiếp theo câu hỏi trước: {context})"


def accepts_rewrite(rewrite: str, question: str, history: Sequence[TurnLike]) -> bool:
    """Whether a generator's rewrite keeps the user's terms and adds none from outside the conversation."""
    if not rewrite.strip() or len(rewrite) > 2 * MAX_QUESTION_CHARS or not is_vietnamese(rewrite):
        return False
    said = {fold(t) for turn in history for t in tokenize(turn.content)} | {
        fold(t) for t in tokenize(question)
    }
    new = {fold(t) for t in tokenize(rewrite)}
    own = {fold(t) for t in tokenize(_LEADING_MARKERS.sub("", question))} - _FUNCTION_WORDS
    return own <= new and not (new - said - _FUNCTION_WORDS)


# Words a rewrite may add or drop freely: they carry no topic.
_GLUE = """còn thế vậy thì sao và ngoài ra riêng nào gì là có không của các những cho trong về theo này
đó ấy bao nhiêu mấy ai được với đã đang sẽ nhi nhỉ ạ vậy nữa như thế"""
_FUNCTION_WORDS = {fold(w) for w in _GLUE.split()}
