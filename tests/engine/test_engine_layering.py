"""The engine layer stays pure: no database, no web app, no Flask."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "workflows" / "engine"
FORBIDDEN = ("db", "web", "flask", "sqlalchemy", "notifier")


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
    bad = {name for name in imported if name.split(".")[0].lower() in FORBIDDEN}
    bad |= {
        name
        for name in imported
        if name.startswith("workflows.") and not name.startswith("workflows.engine")
    }
    assert not bad, f"{module} imports {sorted(bad)}"
