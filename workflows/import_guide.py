"""The rules of the import file, in both languages: the template's instructions sheet and the
upload page show the same text (the page in the reader's language)."""

from __future__ import annotations

from workflows.import_columns import DEADLINE_KEYS, Column
from workflows.import_files import MAX_FILE_BYTES, MAX_ROWS
from workflows.import_rows import EXAMPLE_NUMBER

_MB = MAX_FILE_BYTES // 2**20

#: (Vietnamese, English) pairs; the first is the title.
GUIDE: tuple[tuple[str, str], ...] = (
    ("Hướng dẫn nhập kết luận và kiến nghị", "How to fill in the conclusion import file"),
    ("Mỗi dòng là một kiến nghị. Các dòng có cùng Số kết luận, liền nhau, là các kiến nghị "
     "của cùng một kết luận, theo thứ tự từ trên xuống.",
     "One row per requirement. Adjacent rows with the same conclusion number are the "
     "requirements of one conclusion, in order from top to bottom."),
    ("Các cột của kết luận (Tiêu đề, Nguồn, Ngày ban hành, Mã đối tượng, Tóm tắt) chỉ cần "
     "điền ở dòng đầu tiên của kết luận; ở các dòng sau để trống hoặc ghi đúng giá trị đó.",
     "The conclusion's columns (title, source, issue date, subject body, summary) are read "
     "from its first row; on its other rows leave them blank or repeat the same value."),
    ("Hạn: điền Hạn xử lý (một ngày) hoặc Số ngày làm việc kể từ sau ngày ban hành, không "
     "điền cả hai. Hạn là hết ngày đó theo giờ Việt Nam.",
     "Deadline: fill in either the deadline (a date) or the number of working days after the "
     "issue date, not both. It is due at the end of that day, Vietnam time."),
    ("Ngày viết theo ngày/tháng/năm (15/03/2025) hoặc 2025-03-15, hoặc là ô kiểu ngày của "
     "Excel.",
     "Write dates as day/month/year (15/03/2025) or 2025-03-15, or use Excel date cells."),
    ("Số tiền tính bằng đồng, số nguyên: 1500000, 1.500.000 hoặc 1,500,000. Không ghi phần "
     "thập phân: 1,5 hoặc 1.500,00 bị từ chối.",
     "Amounts are whole đồng: 1500000, 1.500.000 or 1,500,000. No decimals: 1,5 or 1.500,00 "
     "are refused."),
    ("Tiêu đề cột có thể bằng tiếng Việt hoặc tiếng Anh, có dấu hay không dấu, chữ hoa hay "
     "thường. Nguồn và Loại kiến nghị nhận tên tiếng Việt, tiếng Anh hoặc mã.",
     "Column headers may be in Vietnamese or English, with or without diacritics, in any "
     "case. Source and category accept the Vietnamese or English name, or the code."),
    ("Toàn bộ tệp được kiểm tra trước. Nếu có dòng sai thì không nhập gì cả; trang kết quả "
     "liệt kê từng dòng, cột và lý do. Sửa và nhập lại cả tệp.",
     "The whole file is checked first. If any row is wrong nothing is imported; the result "
     "lists every row, column and reason. Correct them and import the whole file again."),
    (f"Xóa các dòng ví dụ (Số kết luận {EXAMPLE_NUMBER}) trước khi nhập.",
     f"Delete the example rows (conclusion number {EXAMPLE_NUMBER}) before importing."),
    (f"Tệp .xlsx (dữ liệu ở trang tính đầu tiên) hoặc CSV mã hóa UTF-8, phân cách bằng dấu "
     f"phẩy hoặc chấm phẩy; tối đa {MAX_ROWS} dòng và {_MB} MB.",
     f"An .xlsx workbook (data on the first sheet) or a CSV file in UTF-8 separated by commas "
     f"or semicolons; at most {MAX_ROWS} rows and {_MB} MB."),
)  # fmt: skip

COLUMN_TABLE_HEADER = ("Cột", "Column", "Bắt buộc / Required", "Giải thích", "Explanation")


def requirement_label(column: Column) -> str:
    """Whether a column must be filled in, in both languages."""
    if column.key in DEADLINE_KEYS:
        return "Một trong hai cột Hạn / One of the two deadline columns"
    if column.level == "conclusion" and column.key != "number":
        return "Dòng đầu của kết luận / First row of a conclusion"
    return "Có / Yes" if column.required else "Không / No"


def rules(locale: str) -> list[str]:
    """The rules (without the title) in ``locale``."""
    return [vi if locale == "vi" else en for vi, en in GUIDE[1:]]
