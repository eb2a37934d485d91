"""PostgreSQL's COPY for the two bulk writers (the ledger's batched import and generate_scale).

Both stream rows as COPY's text format and take ids from a table's sequence
before writing, so that rows written in the same stream can point at each other.
"""

import io

from django.db import connection

# COPY's text format: these four characters are escaped, NULL is \N.
TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def copy_statement(table: str, columns) -> str:
    """Return `COPY table (columns…) FROM STDIN` with the names quoted."""
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"


def copy_text(raw_cursor, sql: str, text: str) -> None:
    """Send TEXT (rows in COPY's text format) through the driver's cursor RAW_CURSOR."""
    if hasattr(raw_cursor, "copy_expert"):  # psycopg2
        raw_cursor.copy_expert(sql, io.StringIO(text))
    else:  # psycopg 3
        with raw_cursor.copy(sql) as copy:
            copy.write(text)


def reserve_ids(table: str, count: int, column: str = "id") -> list[int]:
    """Take COUNT ids from TABLE's sequence in one statement: safe beside other writers, never reused."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [pk for (pk,) in cursor.fetchall()]
