"""The one bulk writer: many rows of a model and a history row for each, in a few statements (COPY on PostgreSQL)."""

import io
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter

from django.db import connection, models
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

BATCH = 1000

# COPY's text format: these four characters are escaped, NULL is \N.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_NULL = "\\N"


class BulkWriter:
    """Write new and changed model instances in batches, each with its history row attributed to USER.

    On PostgreSQL new rows and every history row are streamed with COPY, their
    ids drawn from the table's sequence first; elsewhere (SQLite) Django's
    bulk_create and bulk_update, through simple-history's bulk_create_with_history
    and bulk_update_with_history. Bulk writes send no signals: the caller
    rebuilds the derived tables (clearance.derived) in the same transaction.

    Generators that build millions of rows give them as tuples rather than
    instances (create_rows), take the ids their rows point at from next_id, and
    have the history of what they wrote copied by the database (history_of).
    """

    def __init__(self, *, user=None):
        self.history_user = user if user is not None and user.is_authenticated else None
        self.copies = connection.vendor == "postgresql"
        self.history_rows = 0
        self._next_ids: dict[type[models.Model], list[int]] = {}
        self._block: dict[type[models.Model], int] = {}
        self._last_id: dict[type[models.Model], int] = {}
        self._copying: threading.Thread | None = None
        self._failure: BaseException | None = None

    # Instances ---------------------------------------------------------------------------------

    def create(self, model: type[models.Model], objs: list[models.Model]) -> None:
        """Insert OBJS (new instances of MODEL; a foreign key may name an instance written earlier) with their history."""
        if not objs:
            return
        self.wait()
        if not self.copies:
            for chunk in chunks(objs, BATCH):
                # bulk_create points each foreign key given as an object at the row written by an earlier batch.
                bulk_create_with_history(chunk, model, batch_size=BATCH, default_user=self.history_user)
            self.history_rows += len(objs)
            return
        meta = model._meta
        pk_name, alias = meta.pk.attname, connection.alias
        for obj, pk in zip(objs, reserve_ids(model, len(objs))):
            obj.__dict__[pk_name] = pk
            obj._state.adding, obj._state.db = False, alias
        for field in meta.local_concrete_fields:
            if field.generated:
                continue
            if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
                # One moment for the whole batch, where bulk_create would take the clock once per row.
                now = field.pre_save(objs[0], add=True)
                for obj in objs:
                    obj.__dict__[field.attname] = now
            elif field.is_relation:
                _point_at_written(field, objs)
        # A generated column is the database's to fill (the evaluation's derived indicators).
        copy_columns(meta.db_table, {field.column: list(map(attrgetter(field.attname), objs))
                                     for field in meta.local_concrete_fields if not field.generated})
        self._copy_history(model, objs, "+")

    def update(self, model: type[models.Model], objs: Iterable[models.Model], fields: Sequence[str]) -> None:
        """Save FIELDS of OBJS (stored instances of MODEL) with a history row each."""
        objs = list(objs)
        if not objs:
            return
        self.wait()
        if not self.copies:
            for chunk in chunks(objs, BATCH):
                bulk_update_with_history(chunk, model, fields, batch_size=BATCH, default_user=self.history_user)
            self.history_rows += len(objs)
            return
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
        self._copy_history(model, objs, "~")

    def _copy_history(self, model: type[models.Model], objs: list[models.Model], history_type: str) -> None:
        """COPY a history row per object: the fields simple-history tracks, as its bulk_history_create fills them."""
        historical = model.history.model
        columns = {
            historical._meta.get_field(field.name).column: list(map(attrgetter(field.attname), objs))
            for field in historical.tracked_fields
        }
        self._copy_history_columns(model, columns, history_type, count=len(objs), instance=objs[0])

    def _copy_history_columns(self, model: type[models.Model], columns: dict[str, Sequence], history_type: str, *,
                              count: int, instance: models.Model | None = None) -> None:
        historical = model.history.model
        user = self.history_user
        if user is None and instance is not None:
            user = historical.get_default_history_user(instance)
        copy_columns(historical._meta.db_table, columns, same_for_all={
            "history_date": timezone.now(), "history_change_reason": "", "history_type": history_type,
            "history_user_id": user.pk if user is not None else None,
        })
        self.history_rows += count

    # Rows --------------------------------------------------------------------------------------

    def next_id(self, model: type[models.Model]) -> int:
        """Return an id for a row of MODEL yet to be written, never handed out before."""
        free = self._next_ids.setdefault(model, [])
        if not free:
            self.wait()
            # Ever larger blocks: few statements for a million rows, few ids left unused for a hundred.
            size = self._block.get(model, 1000)
            self._block[model] = min(2 * size, 100_000)
            ids = reserve_ids(model, size)
            if not self.copies and model in self._last_id:
                # Without a sequence the ids handed out but not yet written count as taken.
                ids = list(range(self._last_id[model] + 1, self._last_id[model] + 1 + size))
            self._last_id[model] = ids[-1]
            free.extend(reversed(ids))
        return free.pop()

    def create_rows(self, *tables: tuple[type[models.Model], Sequence[str], list[tuple]], history: bool = False,
                    in_background: bool = False) -> None:
        """Insert each (MODEL, NAMES, ROWS) of TABLES in turn: ROWS are tuples of the values of NAMES, MODEL's attnames.

        NAMES may leave out the id, for the database to number the rows. With
        HISTORY, a creation history row is written for each row. IN_BACKGROUND
        on PostgreSQL, the COPY runs on a thread while the caller goes on (say,
        generating the next rows); every other use of the writer waits for it
        first, and nothing else may use the connection meanwhile.
        """
        for model, names, _rows in tables:
            _check_names(model, names)
        self.wait()
        if not self.copies:
            for model, names, rows in tables:
                objs = [model(**dict(zip(names, row))) for row in rows]
                for chunk in chunks(objs, BATCH):
                    if history:
                        bulk_create_with_history(chunk, model, batch_size=BATCH, default_user=self.history_user)
                    else:
                        model.objects.bulk_create(chunk, batch_size=BATCH)
                self.history_rows += len(objs) if history else 0
            return
        copies = []
        for model, names, rows in tables:
            if rows:
                columns = [model._meta.get_field(name).column for name in names]
                copies.append((model._meta.db_table, columns, list(zip(*rows))))
        if in_background and not history:
            connection.ensure_connection()
            self._copying = threading.Thread(target=self._copy_in_background, args=(connection.connection, copies),
                                             daemon=True)
            self._copying.start()
            return
        for table, columns, values in copies:
            copy_columns(table, dict(zip(columns, values)))
        if history:
            for model, names, rows in tables:
                if rows:
                    historical = model.history.model
                    self._copy_history_columns(model, {
                        historical._meta.get_field(model._meta.get_field(name).name).column: column
                        for name, column in zip(names, zip(*rows))
                    }, "+", count=len(rows))

    def history_of(self, rows: QuerySet) -> None:
        """Write a creation history row ("+") for each of ROWS, as they are stored, copied by the database itself."""
        self.wait()
        model = rows.model
        historical = model.history.model
        quote = connection.ops.quote_name
        attnames = [field.attname for field in historical.tracked_fields]
        select, params = rows.order_by().values_list(*attnames).query.sql_with_params()
        names = ", ".join(quote(historical._meta.get_field(field.name).column) for field in historical.tracked_fields)
        user = self.history_user
        sql = (f"INSERT INTO {quote(historical._meta.db_table)} ({names}, history_date, history_change_reason, "
               f"history_type, history_user_id) SELECT *, %s, %s, %s, %s FROM ({select}) AS written")
        with connection.cursor() as cursor:
            # The history values' placeholders come before the rows' query's own.
            cursor.execute(sql, [connection.ops.adapt_datetimefield_value(timezone.now()), "", "+",
                                 user.pk if user is not None else None, *params])
            self.history_rows += cursor.rowcount

    def wait(self) -> None:
        """Return once every row handed over is written; raise what a background COPY raised."""
        self.stop()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def stop(self) -> None:
        """Return once nothing is being written, ignoring any failure (for a caller on its way out with another)."""
        if self._copying is not None:
            self._copying.join()
            self._copying = None

    def _copy_in_background(self, raw_connection, copies: list[tuple[str, list[str], list[tuple]]]) -> None:
        # Only the driver here: Django's connection wrapper is not thread-safe.
        try:
            for table, columns, values in copies:
                text = copy_text(values)
                with raw_connection.cursor() as cursor:
                    _send(cursor, copy_statement(table, columns), text)
        except BaseException as error:  # handed to the caller's thread by wait()
            self._failure = error


@contextmanager
def constraints_checked_per_statement():
    """Check the foreign keys as each statement ends rather than all at commit (PostgreSQL).

    The work is the same, but a million rows would otherwise queue millions of
    checks in the server's memory for the commit. Django's foreign keys are all
    DEFERRABLE INITIALLY DEFERRED, so ALL DEFERRED afterwards restores them.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # Not on an error: the transaction is rolled back then, and an aborted one would refuse the statement.
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def chunks(items: list, size: int) -> Iterable[list]:
    """Yield ITEMS in lists of SIZE, the last one shorter."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take COUNT ids for MODEL's rows: from its sequence on PostgreSQL (safe beside other writers, never reused).

    Elsewhere (SQLite, whose writers are serialised) they follow the largest id
    ever used: AUTOINCREMENT never reuses a deleted row's id, and neither do we.
    """
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, column, count])
            return [pk for (pk,) in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")
        largest = cursor.fetchone()[0] or 0
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            largest = max(largest, row[0] if row else 0)
    return list(range(largest + 1, largest + 1 + count))


def copy_columns(table: str, columns: dict[str, Sequence], same_for_all: dict[str, object] | None = None) -> None:
    """COPY the rows given as COLUMNS (name: values), each with the values of SAME_FOR_ALL, into TABLE in one stream."""
    same_for_all = same_for_all or {}
    text = copy_text(list(columns.values()), suffix="".join("\t" + _copy_value(value) for value in same_for_all.values()))
    with connection.cursor() as cursor, connection.wrap_database_errors:
        _send(cursor.cursor, copy_statement(table, [*columns, *same_for_all]), text)


def copy_statement(table: str, columns: Sequence[str]) -> str:
    """Return `COPY table (columns…) FROM STDIN` with the names quoted."""
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"


def copy_text(columns: Sequence[Sequence], *, suffix: str = "") -> str:
    """Return the rows given as COLUMNS of values in COPY's text format, SUFFIX ending each line."""
    suffix += "\n"
    return "".join([line + suffix for line in map("\t".join, zip(*map(_copy_column, columns)))])


def _send(raw_cursor, sql: str, text: str) -> None:
    """Send TEXT (rows in COPY's text format) through the driver's cursor RAW_CURSOR."""
    if hasattr(raw_cursor, "copy_expert"):  # psycopg2
        raw_cursor.copy_expert(sql, io.StringIO(text))
    else:  # psycopg 3
        with raw_cursor.copy(sql) as copy:
            copy.write(text)


def _copy_value(value) -> str:
    """Return VALUE in COPY's text format."""
    if value is None:
        return COPY_NULL
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, date):  # and datetime: aware datetimes keep their offset
        return value.isoformat()
    raise TypeError(f"No COPY text for {type(value).__name__}")


def _copy_column(values: Sequence) -> list[str]:
    """Return a column of VALUES in COPY's text format: one comprehension per kind of value, not a call per value."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {str}:
        # Looking for the four characters is quicker than translating every (Chinese) name.
        return [COPY_NULL if value is None else value.translate(COPY_ESCAPES)
                if "\\" in value or "\t" in value or "\n" in value or "\r" in value else value for value in values]
    if kinds <= {int, Decimal}:
        return [COPY_NULL if value is None else str(value) for value in values]
    if kinds <= {bool}:
        return [COPY_NULL if value is None else ("t" if value else "f") for value in values]
    if kinds <= {date} or kinds <= {datetime}:
        # Dates repeat: format each once.
        texts = {value: value.isoformat() for value in set(values) if value is not None}
        return [COPY_NULL if value is None else texts[value] for value in values]
    return list(map(_copy_value, values))


def _point_at_written(field: models.ForeignKey, objs: list[models.Model]) -> None:
    """Set FIELD's id on OBJS from the related object each was given, written since, as bulk_create does."""
    attname = field.attname
    for obj in objs:
        if obj.__dict__[attname] is None and (related := field.get_cached_value(obj, default=None)) is not None:
            if related.pk is None:
                raise ValueError(f"{field.name} of {obj!r} was never written")
            obj.__dict__[attname] = related.pk  # past the descriptor, which would drop the cached object


def _check_names(model: type[models.Model], names: Sequence[str]) -> None:
    """Fail loudly when rows name other fields than MODEL has: a field gained since would be silently left out."""
    # A generated column is the database's to fill: rows never name it (the evaluation's derived indicators).
    stored = {field.attname for field in model._meta.concrete_fields if not field.generated}
    if set(names) | {model._meta.pk.attname} != stored:
        raise RuntimeError(f"The rows for {model.__name__} do not name its fields: {sorted(names)}")
