"""Multi-row inserts for PostgreSQL's hot paths, their tables and columns taken from the models."""

from collections.abc import Sequence
from functools import cache

from django.db import connection


@cache
def unnest_insert_sql(model, constant_fields: Sequence[str], array_fields: Sequence[str]) -> str:
    """``INSERT INTO <table> (...) SELECT <constants>, <arrays unnested>``, for PostgreSQL.

    Parameters: one value per constant field, then one list per array field (a column each,
    all of the same length: a row per index). Whatever the number of rows the statement text
    is the same, so PostgreSQL prepares it once per connection. Pass the field names as tuples.
    """
    meta = model._meta
    quote = connection.ops.quote_name

    def column_and_type(name):
        field = meta.get_field(name)
        return quote(field.column), field.cast_db_type(connection)

    constants = [column_and_type(name) for name in constant_fields]
    arrays = [column_and_type(name) for name in array_fields]
    columns = ", ".join(column for column, _ in constants + arrays)
    values = [f"%s::{db_type}" for _, db_type in constants] + ["rows.*"]
    unnest = ", ".join(f"%s::{db_type}[]" for _, db_type in arrays)
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {', '.join(values)} FROM unnest({unnest}) AS rows"


@cache
def insert_row_sql(model, fields: Sequence[str]) -> str:
    """``INSERT INTO <table> (...) VALUES (...)`` of one row, the values cast to their columns' types."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in columns)}) "
        f"VALUES ({', '.join(f'%s::{field.cast_db_type(connection)}' for field in columns)})"
    )
