"""The bench database through psycopg2: connections, (re)creating databases, fetching rows."""

import dj_database_url
import psycopg2
from django.utils.translation import gettext as _

from .config import BenchError


def connect(database_url: str, database: str | None = None):
    """Return a psycopg2 connection to DATABASE_URL (or to DATABASE on the same server), in autocommit."""
    parsed = dj_database_url.parse(database_url)
    connection = psycopg2.connect(
        dbname=database or parsed["NAME"], user=parsed["USER"] or None, password=parsed["PASSWORD"] or None,
        host=parsed["HOST"] or None, port=parsed["PORT"] or None,
    )
    connection.autocommit = True
    return connection


def database_name(database_url: str) -> str:
    return dj_database_url.parse(database_url)["NAME"]


def with_database(database_url: str, name: str) -> str:
    """Return DATABASE_URL pointing at database NAME on the same server."""
    head, _slash, tail = database_url.rpartition("/")
    query = tail.partition("?")[2]
    return f"{head}/{name}" + (f"?{query}" if query else "")


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def server_execute(database_url: str, *statements: str, params=()) -> list[tuple]:
    """Run STATEMENTS on the server's maintenance database (outside any transaction); return the last one's rows."""
    connection = connect(database_url, "postgres")
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def recreate_database(database_url: str, *, template: str | None = None) -> None:
    """Drop the database of DATABASE_URL (even with sessions open) and create it again, from TEMPLATE when given."""
    name = quote_name(database_name(database_url))
    server_execute(
        database_url,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name}" + (f" TEMPLATE {quote_name(template)}" if template else ""),
    )


def drop_database(database_url: str) -> None:
    """Drop the database of DATABASE_URL if it exists, even with sessions open."""
    server_execute(database_url, f"DROP DATABASE IF EXISTS {quote_name(database_name(database_url))} WITH (FORCE)")


def database_exists(database_url: str) -> bool:
    return bool(server_execute(database_url, "SELECT 1 FROM pg_database WHERE datname = %s",
                               params=[database_name(database_url)]))


def fetch(database_url: str, sql: str, params=()) -> list[tuple]:
    connection = connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        connection.close()


def require_postgresql(database_url: str, refusal: str) -> None:
    """Raise BenchError with REFUSAL when DATABASE_URL is not PostgreSQL, or saying why it cannot be reached."""
    if dj_database_url.parse(database_url)["ENGINE"] != "django.db.backends.postgresql":
        raise BenchError(refusal)
    try:
        server_execute(database_url, "SELECT 1")
    except psycopg2.Error as error:
        raise BenchError(
            _("Cannot reach PostgreSQL at %(url)s: %(error)s") % {"url": database_url, "error": str(error).strip()}
        ) from None
