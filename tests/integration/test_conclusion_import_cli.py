"""``remtrack import conclusions FILE --as USERNAME`` on a demo database: all or nothing, with
every bad row printed and a non-zero exit."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from web.cli import main
from workflows.conclusions import VIETNAM

ISSUED = (datetime.now(VIETNAM).date() - timedelta(days=3)).strftime("%d/%m/%Y")
HEADER = (
    "Số kết luận;Tiêu đề;Nguồn kết luận;Ngày ban hành;Mã đối tượng;Tóm tắt nội dung;"
    "Nội dung kiến nghị;Loại kiến nghị;Mã đơn vị chịu trách nhiệm;Cán bộ phụ trách;"
    "Số ngày làm việc;Số tiền phải thu hồi"
)


def line(number: str, responsible: str = "QU-BD", amount: str = "2.000.000.000") -> str:
    return (
        f"{number};Kết luận kiểm tra;Kiểm tra của Đảng;{ISSUED};QU-BD;Vi phạm quản lý đất;"
        f"Thu hồi tiền sử dụng đất;Tài chính;{responsible};canbo.bd;20;{amount}"
    )


@pytest.fixture
def demo(tmp_path):
    env = {"REMTRACK_INSTANCE_PATH": str(tmp_path / "inst")}
    assert CliRunner().invoke(main, ["init", "--demo"], env=env).exit_code == 0
    return env, tmp_path


def run(env, *args):
    return CliRunner().invoke(main, ["import", "conclusions", *args], env=env)


def conclusions(tmp_path) -> int:
    db = sqlite3.connect(tmp_path / "inst" / "remtrack.db")
    return db.execute("SELECT count(*) FROM conclusion").fetchone()[0]


def test_a_good_file_is_imported_as_the_named_supervisor(demo):
    env, tmp_path = demo
    path = tmp_path / "ket-luan.csv"
    path.write_text("\ufeff" + "\n".join([HEADER, line("5-KL/CLI"), line("6-KL/CLI")]) + "\n")
    before = conclusions(tmp_path)
    result = run(env, str(path), "--as", "giamsat.hn")
    assert result.exit_code == 0, result.output
    assert "imported 2 conclusion(s) with 2 requirement(s)" in result.output
    assert conclusions(tmp_path) == before + 2
    audit = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert audit.exit_code == 0 and "chain intact" in audit.output


def test_any_bad_row_exits_non_zero_lists_every_row_and_stores_nothing(demo):
    env, tmp_path = demo
    path = tmp_path / "ket-luan.csv"
    rows = [HEADER, line("7-KL/CLI"), line("8-KL/CLI", "TTCP"), line("9-KL/CLI", amount="2,5")]
    path.write_text("\n".join(rows) + "\n")
    before = conclusions(tmp_path)
    result = run(env, str(path), "--as", "giamsat.hn")
    assert result.exit_code == 1
    assert "Nothing was imported: the file has 2 problem(s)" in result.output
    assert "row 3, column I (Mã đơn vị chịu trách nhiệm): Body TTCP is outside" in result.output
    assert "row 4, column L (Số tiền phải thu hồi): Write the amount" in result.output
    assert conclusions(tmp_path) == before


def test_an_unknown_importer_or_an_officer_is_refused(demo):
    env, tmp_path = demo
    path = tmp_path / "ket-luan.csv"
    path.write_text("\n".join([HEADER, line("10-KL/CLI")]) + "\n")
    before = conclusions(tmp_path)
    nobody = run(env, str(path), "--as", "khong.ai")
    assert nobody.exit_code == 1 and "No active user is named 'khong.ai'" in nobody.output
    officer = run(env, str(path), "--as", "canbo.bd")
    assert officer.exit_code == 1 and "Only a supervisor can import" in officer.output
    assert conclusions(tmp_path) == before
