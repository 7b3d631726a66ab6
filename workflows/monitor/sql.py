"""SQL pieces the rules share, written once for PostgreSQL and SQLite.

The rules stay set-based: a Vietnamese calendar date of a timestamp column, a JSON object
built inside the database (so a flag's facts need no round trip through Python), and the
working-day ordinal of a date through a join with the materialised ``working_day`` table.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    Integer,
    String,
    bindparam,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from db.models.monitor import WorkingDay


def _templated(name: str, kind: Any, doc: str, **templates: str) -> Any:
    """A SQL function written per dialect: ``templates`` by dialect name, each a format
    string of the compiled arguments ``{0}``, ``{1}`` …"""
    element = type(name, (FunctionElement,), {"type": kind, "inherit_cache": True, "name": name})
    element.__doc__ = doc
    for dialect, template in templates.items():

        def render(element: Any, compiler: SQLCompiler, template: str = template, **kw: Any) -> str:
            return template.format(*(compiler.process(c, **kw) for c in element.clauses))

        compiles(element, dialect)(render)
    return element


vn_date = _templated(
    "vn_date",
    Date(),
    "The Vietnamese calendar date (UTC+7) of an aware timestamp column.",
    postgresql="CAST(timezone('UTC', {0}) + INTERVAL '7 hours' AS DATE)",
    sqlite="date({0}, '+7 hours')",
)
days_between = _templated(
    "days_between",
    Integer(),
    "Whole days from the date ``earlier`` (2nd) to the date ``later`` (1st); negative if after.",
    postgresql="({0} - {1})",
    sqlite="CAST(julianday({0}) - julianday({1}) AS INTEGER)",
)


class json_object(FunctionElement[Any]):  # noqa: N801
    """``json_object(k1, v1, k2, v2, ...)`` built by the database."""

    type = JSON()
    inherit_cache = True
    name = "json_object"


@compiles(json_object, "postgresql")
def _json_object_pg(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clause_expr.element, **kw)})"


@compiles(json_object, "sqlite")
def _json_object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clause_expr.element, **kw)})"


def facts(**values: Any) -> json_object:
    """A JSON object of ``values`` (column expressions or constants), keys in order."""
    args: list[Any] = []
    for key, value in values.items():
        args.append(literal(key))
        plain = value is None or isinstance(value, int | float | str)
        args.append(literal(value) if plain else value)
    return json_object(*args)


def day_alias(name: str) -> Any:
    """A fresh alias of ``working_day`` to join a date of each row to its ordinal."""
    return aliased(WorkingDay, name=name)


class date_minus_days(FunctionElement[Any]):  # noqa: N801
    """A date column minus a whole number of days (a constant of this pass)."""

    type = Date()
    name = "date_minus_days"
    # The day count is compiled into the SQL text: it is part of the statement's cache key.
    inherit_cache = True
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("days", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, column: Any, days: int) -> None:
        self.days = int(days)
        super().__init__(column)


@compiles(date_minus_days, "postgresql")
def _minus_pg(element: date_minus_days, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"({arg} - {element.days})"


@compiles(date_minus_days, "sqlite")
def _minus_sqlite(element: date_minus_days, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"date({arg}, '-{element.days} days')"


class in_ids(ColumnElement[bool]):  # noqa: N801
    """``column`` is one of the ids a SELECT returns.

    PostgreSQL gets ``column = ANY(ARRAY(SELECT …))``: the ids are read once and the column's
    index is probed for each, which is the plan a few thousand changed rows want (an ``IN``
    subquery may be planned as a scan of the whole table instead).
    """

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, ids: Any) -> None:
        self.column, self.ids = column, ids


@compiles(in_ids)
def _in_ids_default(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN ({compiler.process(element.ids, **kw)})"


@compiles(in_ids, "postgresql")
def _in_ids_pg(element: in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY({compiler.process(element.ids, **kw)}))"


def listed_ids(conn: Any, ids: list[int]) -> Any:
    """A SELECT of the integers ``ids`` as rows of one column, from a single parameter (a
    list of thousands costs one statement, not one row each)."""
    if conn.dialect.name == "postgresql":
        values = func.unnest(bindparam("ids", list(ids), type_=ARRAY(Integer)))
        return select(values.table_valued("id").render_derived(name="listed").c.id)
    each = func.json_each(bindparam("ids", json.dumps(list(ids)), type_=String))
    return select(each.table_valued("value").c.value)
