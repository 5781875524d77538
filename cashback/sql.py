"""Statements compiled by the ORM for composing into one larger statement
(a data-modifying `WITH`), so that columns and their adaptation stay the
model's: a set-based write names no column by hand."""

from collections.abc import Sequence

from django.db import connection
from django.db.models import AutoField, Model
from django.db.models.sql import InsertQuery


def insert_sql(objs: Sequence[Model]) -> tuple[str, tuple]:
    """One `INSERT ... VALUES` of `objs` (unsaved, of one model), as
    `bulk_create` would write it: every concrete column but an automatic
    primary key, with the fields' own defaults and `pre_save` values."""
    model = type(objs[0])
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.generated and not isinstance(field, AutoField)
    ]
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)
