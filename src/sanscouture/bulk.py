"""Many new rows at once, without the ORM's per-row cost (ADR 027): COPY on PostgreSQL (psycopg 3
`cursor.copy`), one `executemany` on SQLite. For loads of tens of thousands of rows (the national referential,
the bodies derived from it), where `bulk_create` spends most of its time building model instances and SQL.

Rows are given as tuples of Python values in the order of `columns` (attnames: `commune_id`, not `commune`); JSON
fields are serialised here, dates and datetimes adapted as the backend stores them. Nothing is returned: callers
that need the new primary keys read them back (one query). No signals are sent, no `save()` runs: only for plain
rows whose fields carry no logic beyond their defaults (callers give every column: defaults and timestamps too).
"""

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from django.db import connection, models


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.JSONField):
        encode = json_encoder(field)
        return lambda v: None if v is None else encode(v)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    return None


def json_encoder(field: models.JSONField) -> Callable[[Any], str]:
    """The text a JSONField stores for a value (as `get_prep_value` would dump it)."""
    encode = json.JSONEncoder().encode if field.encoder is None else field.encoder().encode
    # Most JSON values of a referential load are empty lists: no encoder call for them.
    return lambda v: "[]" if v == [] else encode(v)


def bulk_insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    prepared: Collection[str] = (),
) -> int:
    """Insert `rows` (tuples in the order of `columns`) into `model`'s table; returns the number of rows.
    `prepared`: columns whose values are already as the database takes them (JSON text, ISO dates)."""
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    adapters = [
        (i, a)
        for i, a in ((i, _adapter(f)) for i, f in enumerate(fields) if columns[i] not in prepared)
        if a is not None
    ]
    if adapters:
        rows = (_adapted(row, adapters) for row in rows)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            values = list(rows)
            placeholders = ", ".join(["%s"] * len(fields))
            # Table and column names come from the model's metadata, quoted by the backend; values are parameters.
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608
            count = len(values)
    return count


def _adapted(row: Sequence[Any], adapters: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    out = list(row)
    for i, adapt in adapters:
        out[i] = adapt(out[i])
    return out
