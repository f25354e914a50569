"""The SQL of appending to a chain (AUDIT-3, #12), built from the models' own table and column
names (quoted); every value is a bound parameter. ``audit.integrity`` says when each is used."""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.db.models import CharField

from audit.models import AuditEvent, ChainHead


def _name(name: str | None) -> str:
    return connection.ops.quote_name(str(name))


def head_advance() -> str:
    """Lock the head, take the next number; returns ``(seq, last_seal)`` as the row is after
    any writer it waited for."""
    head = _name(ChainHead._meta.db_table)
    return f"UPDATE {head} SET seq = seq + 1 WHERE chain = %s RETURNING seq, last_seal"  # noqa: S608  # nosec B608


def head_create() -> str:
    head = _name(ChainHead._meta.db_table)
    return f"INSERT INTO {head} (chain, seq, last_seal) VALUES (%s, 0, '') ON CONFLICT DO NOTHING"  # noqa: S608  # nosec B608


def head_set_last() -> str:
    head = _name(ChainHead._meta.db_table)
    return f"UPDATE {head} SET last_seal = %s WHERE chain = %s"  # noqa: S608  # nosec B608


def _fields() -> list[Any]:
    return [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _values(event: AuditEvent) -> list[Any]:
    return [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _fields()]


def insert_setting_last(event: AuditEvent) -> tuple[str, list[Any]]:
    """PostgreSQL: insert ``event`` and make its seal the head's ``last_seal``, in one
    statement (the head is already locked by ``head_advance``); returns the event's id."""
    return _insert_setting_last_sql(connection.vendor), [*_values(event), event.seal, event.chain]


def insert_if_head_is(event: AuditEvent) -> tuple[str, list[Any]]:
    """PostgreSQL: one statement that moves the head from ``(seq - 1, prev_seal)`` to
    ``(seq, seal)`` and inserts ``event``, or, when the head is anywhere else, does nothing
    (no row back). Waiting on a writer's lock re-reads its committed head before matching."""
    params = [event.seal, event.chain, event.seq - 1, event.prev_seal, *_values(event)]
    return _insert_if_head_is_sql(connection.vendor), params


# The statements depend only on the models and the SQL dialect: built once per process.


@functools.cache
def _insert_setting_last_sql(vendor: str) -> str:
    table, pk = _name(AuditEvent._meta.db_table), _name(AuditEvent._meta.pk.column)
    columns = ", ".join(_name(f.column) for f in _fields())
    values = ", ".join(["%s"] * len(_fields()))
    insert = f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {pk}"  # noqa: S608  # nosec B608
    return f"WITH ins AS ({insert}) {head_set_last()} RETURNING (SELECT {pk} FROM ins)"  # noqa: S608  # nosec B608


@functools.cache
def _insert_if_head_is_sql(vendor: str) -> str:
    head, table = _name(ChainHead._meta.db_table), _name(AuditEvent._meta.db_table)
    pk = _name(AuditEvent._meta.pk.column)
    columns = ", ".join(_name(f.column) for f in _fields())
    # Values in a SELECT are typed by their casts (a text literal does not become inet or jsonb
    # by assignment); text goes to a varchar column as is, so an overlong value still fails.
    values = ", ".join(
        "%s" if isinstance(f, CharField) else f"%s::{f.db_type(connection)}" for f in _fields()
    )
    move = (
        f"UPDATE {head} SET seq = seq + 1, last_seal = %s"  # noqa: S608  # nosec B608
        " WHERE chain = %s AND seq = %s AND last_seal = %s RETURNING seq"
    )
    insert = f"INSERT INTO {table} ({columns}) SELECT {values} FROM moved RETURNING {pk}"  # noqa: S608  # nosec B608
    return f"WITH moved AS ({move}) {insert}"
