"""The engine layer stays pure: no database, no web app, no Flask."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "workflows" / "engine"
FORBIDDEN = ("db", "web", "flask", "sqlalchemy", "notifier")
#: Plain constants shared with the tables' check constraints; it imports nothing itself.
ALLOWED = {"db.vocabulary"}


@pytest.mark.parametrize("module", sorted(p.name for p in ENGINE.glob("*.py")))
def test_engine_module_imports_nothing_from_the_app_or_database(module):
    tree = ast.parse((ENGINE / module).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0
    }
    bad = {name for name in imported if name.split(".")[0].lower() in FORBIDDEN} - ALLOWED
    bad |= {
        name
        for name in imported
        if name.startswith("workflows.") and not name.startswith("workflows.engine")
    }
    assert not bad, f"{module} imports {sorted(bad)}"


def test_the_shared_vocabulary_imports_nothing():
    tree = ast.parse((ENGINE.parents[1] / "db" / "vocabulary.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
