"""What masking does to a column, decided once for the SQL engines: which columns a rule hits, what
kind of value each column holds, and which rule/column pairs are refused before anything changes.
Each engine only turns a `ColumnMask` into its own SQL.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.executor.engines.base import EngineError, MaskRule

Kind = Literal["text", "integer", "decimal", "float", "date", "datetime", "other"]

_KINDS: dict[str, Kind] = {
    **dict.fromkeys(
        ["character varying", "character", "text", "varchar", "char", "tinytext", "mediumtext", "longtext"],
        "text",
    ),
    **dict.fromkeys(["smallint", "integer", "bigint", "tinyint", "mediumint", "int"], "integer"),
    **dict.fromkeys(["numeric", "decimal"], "decimal"),
    **dict.fromkeys(["real", "double precision", "float", "double"], "float"),
    "date": "date",
    **dict.fromkeys(
        ["timestamp without time zone", "timestamp with time zone", "datetime", "timestamp"], "datetime"
    ),
}
# Largest random value per integer type; bigint stays below 2^62 so a float product cannot overflow.
_INTEGER_MAX = {
    "tinyint": 127, "smallint": 32767, "mediumint": 8388607, "int": 2**31 - 1, "integer": 2**31 - 1
}  # fmt: skip
_BIGINT_MAX = 2**62
_UNBOUNDED_DECIMAL_MAX = 2**31 - 1
HASH_LENGTH = 64  # hex digits of a SHA-256


@dataclass(frozen=True)
class Column:
    """One column as information_schema describes it."""

    schema: str
    table: str
    name: str
    data_type: str
    nullable: bool
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    sql_type: str | None = None  # full type for casts, e.g. "character varying(20)"

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "Column":
        """From (schema, table, name, data_type, nullable, max_length, precision, scale, sql_type)."""
        return cls(*row[:9])

    @property
    def kind(self) -> Kind:
        return _KINDS.get(self.data_type.lower(), "other")


@dataclass(frozen=True)
class ColumnMask:
    column: Column
    rule: MaskRule
    label: str  # "table.column", the key of the result

    @property
    def hash_length(self) -> int:
        return min(HASH_LENGTH, self.column.max_length or HASH_LENGTH)

    @property
    def random_max(self) -> int:
        """Largest random value for a randomized number column."""
        column = self.column
        if column.kind == "decimal":
            if column.precision is None:
                return _UNBOUNDED_DECIMAL_MAX
            digits = column.precision - (column.scale or 0)
            return min(int(10**digits) - 1, _BIGINT_MAX)
        if column.kind == "float":
            return 1_000_000
        return _INTEGER_MAX.get(column.data_type.lower(), _BIGINT_MAX)


def plan(
    columns: Iterable[Column], rules: Mapping[str, MaskRule], label_schema: str | None
) -> list[ColumnMask]:
    """The masks to apply, in table order; raises EngineError("invalid") for any rule that cannot be
    applied, so a masking run changes everything or nothing. `label_schema` is the schema whose
    tables are labelled without a schema prefix."""
    by_name = {name.lower(): _checked(name, rule) for name, rule in rules.items()}
    masks = []
    for column in sorted(columns, key=lambda c: (c.schema, c.table, c.name)):
        rule = by_name.get(column.name.lower())
        if rule is None:
            continue
        table = column.table if column.schema == label_schema else f"{column.schema}.{column.table}"
        mask = ColumnMask(column, rule, f"{table}.{column.name}")
        _check_column(mask)
        masks.append(mask)
    return masks


def _checked(name: str, rule: MaskRule) -> MaskRule:
    if rule.strategy not in ("hash", "randomize", "null", "fixed"):
        raise EngineError("invalid", f"unknown masking strategy {rule.strategy!r} for column {name!r}")
    if rule.strategy == "fixed" and rule.value is None:
        raise EngineError("invalid", f"masking rule for column {name!r} is 'fixed' without a value")
    return rule


def _check_column(mask: ColumnMask) -> None:
    column, strategy = mask.column, mask.rule.strategy
    if strategy == "null" and not column.nullable:
        raise EngineError("invalid", f"cannot set {mask.label} to null: the column is NOT NULL")
    if strategy == "hash" and column.kind != "text":
        raise EngineError("invalid", f"cannot hash {mask.label}: {column.data_type} is not a text column")
    if strategy == "randomize" and column.kind == "other":
        raise EngineError("invalid", f"cannot randomize {mask.label}: no random {column.data_type} values")
