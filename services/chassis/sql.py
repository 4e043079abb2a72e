"""Hot-path queries: a Core statement compiled once into PostgreSQL's ``$n`` form, run on asyncpg.

SQLAlchemy builds and checks the statement (tables, columns, types) at import time; at run time
the compiled text goes straight to asyncpg, skipping SQLAlchemy's per-call execution machinery,
which costs several times the round trip on a one-row read (measured in
docs/decisions/0004-hot-reads.md). Units of work run these inside their transaction, or on the
read pool without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.sql.expression import Executable

_DIALECT = asyncpg_dialect.dialect()


class Query:
    """One statement, compiled once; parameters are named with ``bindparam``."""

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = str(compiled)
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """Positional arguments for ``params``; a missing or unknown name is a programming error."""
        if set(params) != set(self._names):
            raise TypeError(f"query takes {sorted(set(self._names))}, got {sorted(params)}")
        return [params[name] for name in self._names]
