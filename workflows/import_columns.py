"""The columns of a conclusion import file and the words accepted in them.

The header names and allowed values *are* the file format, so both languages are written
here literally (not through the translation catalog): a file is read the same whatever the
reader's language, and the template documents both. Headers match case-, diacritic- and
spacing-insensitively; a part in parentheses is a hint and is ignored ("Hạn xử lý
(dd/mm/yyyy)" is "Hạn xử lý").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    vi: str
    en: str
    #: The column must be in the header row (cells may still be blank where rules allow).
    required: bool
    #: ``conclusion`` columns describe the conclusion: filled on its first row at least.
    level: str
    help_vi: str
    help_en: str
    aliases: tuple[str, ...] = ()

    def name(self, locale: str) -> str:
        return self.vi if locale == "vi" else self.en


def _c(
    key: str, vi: str, en: str, level: str, required: bool, hv: str, he: str, *alias: str
) -> Column:
    return Column(key, vi, en, required, level, hv, he, alias)


COLUMNS: tuple[Column, ...] = (
    _c("number", "Số kết luận", "Conclusion number", "conclusion", True,
       "Số hiệu văn bản kết luận, tối đa 64 ký tự. Ghi trên mọi dòng: các dòng cùng số là các "
       "kiến nghị của một kết luận và phải liền nhau.",
       "The conclusion's document number, at most 64 characters. Fill it on every row: rows "
       "with the same number are the requirements of one conclusion and must be adjacent.",
       "Số", "Số hiệu kết luận", "Number"),
    _c("title", "Tiêu đề", "Title", "conclusion", True,
       "Trích yếu của kết luận, tối đa 500 ký tự.", "The conclusion's title, at most 500 "
       "characters.", "Trích yếu", "Tên kết luận"),
    _c("source", "Nguồn kết luận", "Source", "conclusion", True,
       "Một giá trị trong danh mục Nguồn (tên tiếng Việt, tiếng Anh hoặc mã).",
       "One value of the Source list (Vietnamese or English name, or the code).", "Nguồn"),
    _c("issue_date", "Ngày ban hành", "Issue date", "conclusion", True,
       "Ngày/tháng/năm (dd/mm/yyyy) hoặc yyyy-mm-dd, không sau hôm nay.",
       "Day/month/year (dd/mm/yyyy) or yyyy-mm-dd, not after today.", "Ngày kết luận"),
    _c("subject_body", "Mã đối tượng", "Subject body code", "conclusion", True,
       "Mã của đơn vị là đối tượng kiểm tra, thanh tra, kiểm toán; phải thuộc phạm vi đơn vị "
       "của bạn giám sát.",
       "Code of the body the conclusion is about; it must be within your body's reach.",
       "Mã đơn vị được kiểm tra", "Đối tượng", "Subject body"),
    _c("summary", "Tóm tắt nội dung", "Summary", "conclusion", True,
       "Tóm tắt nội dung kết luận.", "A summary of the conclusion.", "Tóm tắt"),
    _c("text", "Nội dung kiến nghị", "Requirement", "requirement", True,
       "Nội dung một kiến nghị (một dòng cho mỗi kiến nghị).",
       "The text of one requirement (one row per requirement).", "Kiến nghị",
       "Requirement text"),
    _c("category", "Loại kiến nghị", "Category", "requirement", True,
       "Một giá trị trong danh mục Loại kiến nghị (tên hoặc mã).",
       "One value of the Category list (name or code).", "Loại"),
    _c("responsible_body", "Mã đơn vị chịu trách nhiệm", "Responsible body code", "requirement",
       True, "Mã của đơn vị thực hiện kiến nghị; phải thuộc phạm vi đơn vị của bạn giám sát.",
       "Code of the body that carries the requirement out; within your body's reach.",
       "Đơn vị chịu trách nhiệm", "Responsible body"),
    _c("responsible_officer", "Cán bộ phụ trách", "Responsible officer", "requirement", False,
       "Không bắt buộc. Tên đăng nhập của một cán bộ (vai trò cán bộ) của đơn vị chịu trách "
       "nhiệm.",
       "Optional. The user name of an officer of the responsible body.",
       "Tên đăng nhập cán bộ phụ trách", "Responsible officer user name"),
    _c("supervising_body", "Mã cơ quan giám sát", "Supervising body code", "requirement", False,
       "Không bắt buộc; để trống là đơn vị của bạn. Phải thuộc phạm vi đơn vị của bạn.",
       "Optional; blank means your own body. Must be within your body's reach.",
       "Cơ quan giám sát", "Supervising body"),
    _c("deadline", "Hạn xử lý", "Deadline", "requirement", False,
       "Ngày hết hạn (dd/mm/yyyy hoặc yyyy-mm-dd), sau ngày ban hành; hạn là hết ngày đó. "
       "Điền cột này HOẶC cột Số ngày làm việc, không cả hai.",
       "Due date (dd/mm/yyyy or yyyy-mm-dd), after the issue date; due at the end of that "
       "day. Fill this OR Working days, not both.", "Hạn", "Due date"),
    _c("working_days", "Số ngày làm việc", "Working days", "requirement", False,
       "Thời hạn tính bằng ngày làm việc kể từ sau ngày ban hành (trừ thứ Bảy, Chủ nhật, "
       "ngày lễ, Tết), số nguyên từ 1 đến 3650.",
       "The time allowed in working days after the issue date (weekends and public holidays, "
       "Tết included, are not counted), a whole number from 1 to 3650.",
       "Thời hạn (ngày làm việc)", "Deadline in working days"),
    _c("target_amount", "Số tiền phải thu hồi", "Target amount", "requirement", False,
       "Đồng, số nguyên: 1500000, 1.500.000 hoặc 1,500,000 (không có phần thập phân). Bắt "
       "buộc với kiến nghị loại Tài chính.",
       "Whole đồng: 1500000, 1.500.000 or 1,500,000 (no decimals). Required for financial "
       "requirements.", "Số tiền", "Amount to recover"),
)  # fmt: skip
BY_KEY = {column.key: column for column in COLUMNS}
CONCLUSION_KEYS = tuple(c.key for c in COLUMNS if c.level == "conclusion")
#: Neither of the two deadline columns is required alone; one of them must be present.
DEADLINE_KEYS = ("deadline", "working_days")

# (code, Vietnamese name, English name, other accepted names)
SOURCES = (
    ("party_inspection", "Kiểm tra của Đảng", "Party inspection", ()),
    ("party_supervision", "Giám sát của Đảng", "Party supervision", ()),
    ("state_inspection", "Thanh tra nhà nước", "State inspection", ("Thanh tra",)),
    ("state_audit", "Kiểm toán nhà nước", "State audit", ("Kiểm toán",)),
    ("investigation", "Điều tra", "Investigation", ()),
)
CATEGORIES = (
    ("financial", "Tài chính", "Financial", ("Thu hồi tiền, tài sản",)),
    ("disciplinary", "Xem xét trách nhiệm", "Disciplinary", ("Kỷ luật",)),
    ("institutional", "Sửa đổi thể chế", "Institutional", ("Thể chế",)),
    ("administrative", "Khắc phục thủ tục hành chính", "Administrative", ("Hành chính",)),
    ("referral", "Chuyển cơ quan có thẩm quyền", "Referral", ("Chuyển giao",)),
)

_PARENS = re.compile(r"\([^)]*\)")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, no diacritics, no hint in parentheses, words separated by one space."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return _NOT_WORD.sub(" ", _PARENS.sub(" ", plain)).strip()


def _index(entries: list[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, names in entries:
        for name in names:
            found[normalise(name)] = key
    return found


HEADER_INDEX = _index([(c.key, (c.vi, c.en, c.key, *c.aliases)) for c in COLUMNS])
SOURCE_INDEX = _index([(code, (code, vi, en, *more)) for code, vi, en, more in SOURCES])
CATEGORY_INDEX = _index([(code, (code, vi, en, *more)) for code, vi, en, more in CATEGORIES])


def value_names(
    vocabulary: tuple[tuple[str, str, str, tuple[str, ...]], ...], locale: str
) -> list[str]:
    """The names of a vocabulary as its drop-down shows them in ``locale``."""
    return [vi if locale == "vi" else en for _code, vi, en, _more in vocabulary]


def column_letter(index: int) -> str:
    """Spreadsheet letters of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
