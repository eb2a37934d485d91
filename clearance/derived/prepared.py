"""The statements recording runs on every save, prepared once per database connection on PostgreSQL.

Why: keeping a site's progress recomputes it with the selectors' own expressions, a dozen subqueries through the
site tree. PostgreSQL plans such a statement in 5–12 ms and runs it in 1–3 ms; psycopg2 sends every statement as
text, so each save planned it again. A prepared statement is planned once per connection (after five custom plans,
PostgreSQL keeps a generic one when it costs no more), and Django keeps connections open (CONN_MAX_AGE).

A connection's prepared statements are forgotten when Django opens a new one (connection_created). A prepared
statement outlives a rolled-back transaction, so a refused save leaves it usable. Elsewhere (SQLite) the statement
simply runs. A pooler in transaction mode (pgbouncer) does not keep prepared statements per client: see
docs/operations.md.
"""

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

# Declared types of the parameters, so PostgreSQL need not guess a type for one in a SELECT list.
_TYPES = ((bool, "boolean"), (int, "bigint"), (Decimal, "numeric"), (datetime, "timestamptz"), (date, "date"),
          (str, "text"))


@receiver(connection_created)
def _forget_prepared(sender, connection, **kwargs):
    connection.prepared_statements = set()


def _type_of(value) -> str:
    return next(name for kind, name in _TYPES if isinstance(value, kind))


def _numbered(sql: str) -> str:
    """SQL with psycopg2's %s placeholders as PostgreSQL's $1, $2, … (and %% as %)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    return re.sub(r"%s|%%", lambda match: f"${next(numbers)}" if match.group() == "%s" else "%", sql)


def execute(name: str, sql: str, params: Sequence) -> None:
    """Run SQL (with %s placeholders) with PARAMS, prepared under NAME on this connection the first time.

    Give the same NAME only to the same SQL with parameters of the same types.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return
        if any(param is None or not isinstance(param, tuple(kind for kind, _name in _TYPES)) for param in params):
            cursor.execute(sql, params)  # a parameter of no declared type: run it as it is
            return
        prepared = getattr(connection, "prepared_statements", None)
        if prepared is None:
            prepared = connection.prepared_statements = set()
        if name not in prepared:
            types = ", ".join(_type_of(param) for param in params)
            # Through the driver's own cursor: a connection's one-time setup (as its SET statements are), not one of
            # the request's queries, so a save counts as many queries on a new connection as on an old one.
            cursor.cursor.execute(f"PREPARE {name} ({types}) AS {_numbered(sql)}")
            prepared.add(name)
        cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
