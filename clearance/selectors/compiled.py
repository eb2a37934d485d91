"""Read queries whose SQL is compiled once per connection and arguments, then run as it is.

Why: building a queryset (filter, annotate: each a clone that resolves its expressions again) and compiling it to SQL
cost a page about a third of its Python: 10 ms of the dashboard's and of a town's page, though the pages ask the
same questions, with the same arguments, request after request. A function decorated with @compiled_read builds its
queryset from its keyword arguments alone; the first call with given arguments compiles it, and later calls run the
same SQL with the same parameters. The rows are read fresh every time (nothing of the data is kept), converted by
the converters the compiler chose, exactly as the queryset would give them.

The SQL is kept on the connection (a thread's own, as Django's are), at most MAX_ENTRIES of all the functions, the
least recently used forgotten first. The decorated function must depend on nothing but its arguments and the code
(not on the date, the language, a setting or the data): tests/selectors/test_compiled.py holds every such
function's rows to the queryset's own.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet, Value
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesIterable, ValuesListIterable

# Per connection, all functions together, the least recently used forgotten first: an entry keeps its expressions
# for converting values (some 10–60 KiB), and a page asks for a dozen or so per period (and town).
MAX_ENTRIES = 256

# Every function decorated, for the tests to hold each to its queryset.
COMPILED_READS: list[Callable[..., list]] = []

_VALUES, _TUPLES, _FLAT, _MODELS = "values", "tuples", "flat", "models"
_SHAPES = {ValuesIterable: _VALUES, ValuesListIterable: _TUPLES, FlatValuesListIterable: _FLAT, ModelIterable: _MODELS}


class _Compiled:
    """A queryset's SQL and parameters, what converts its values (as its compiler would) and the rows' shape; not
    the query or its compiler (the converters still keep their expressions: see MAX_ENTRIES)."""

    __slots__ = ("sql", "params", "converters", "width", "shape", "names", "model", "fields", "db")

    def __init__(self, queryset: QuerySet):
        shape = _SHAPES.get(queryset._iterable_class)
        if shape is None:
            raise TypeError(
                f"@compiled_read needs a values(), values_list() or plain queryset, not {queryset._iterable_class}")
        self.model, self.db, self.fields = queryset.model, queryset.db, []
        if shape == _MODELS:
            # Instances as Model.from_db makes them from their fields' values, annotations set beside: only where
            # the queryset needs nothing else (no related rows, no deferred fields, nothing to prefetch).
            query = queryset.query
            if query.select_related or query.deferred_loading != (frozenset(), True) or \
                    queryset._prefetch_related_lookups or queryset._known_related_objects or query.extra_select:
                raise TypeError("@compiled_read makes instances of a plain queryset only (no select_related, only, "
                                "defer, prefetch_related or extra)")
            self.fields = [field.attname for field in self.model._meta.concrete_fields]
            queryset = queryset.values_list(*self.fields, *query.annotation_select)
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        try:
            self.sql, self.params = compiler.as_sql()
        except EmptyResultSet:
            self.sql, self.params = "", ()
        # As SQLCompiler.results_iter converts a row (its converters worked out once, here) and execute_sql trims it.
        columns = [column[0] for column in compiler.select[0 : compiler.col_count]] if self.sql else []
        if compiler.has_composite_fields(columns):
            raise TypeError("@compiled_read does not read composite primary keys")
        self.converters = list(compiler.get_converters(columns).items())
        self.width = compiler.col_count if compiler.has_extra_select else None
        self.shape = shape
        # As ValuesIterable names a row's values.
        self.names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select
        ]

    def rows(self, connection) -> list:
        if not self.sql:
            return []
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            rows = cursor.fetchall()
        if self.width is not None:
            rows = [row[: self.width] for row in rows]
        if self.converters:
            rows = self._converted(rows, connection)
        if self.shape == _TUPLES:
            return rows if not self.converters else [tuple(row) for row in rows]
        if self.shape == _FLAT:
            return [row[0] for row in rows]
        if self.shape == _MODELS:
            return self._instances(rows)
        names = self.names
        return [dict(zip(names, row)) for row in rows]

    def _converted(self, rows, connection) -> list[list]:
        """SQLCompiler.apply_converters, with the converters worked out at compile time, a column at a time: each
        converter runs over all the rows (row by row, with the converters unpacked again for each row, the register's
        599 rows of four converted columns at a million enterprises took 0.36 ms instead of 0.21)."""
        converted = [list(row) for row in rows]
        for position, (functions, expression) in self.converters:
            for function in functions:
                for row in converted:
                    row[position] = function(row[position], expression, connection)
        return converted

    def _instances(self, rows) -> list:
        model, db, fields = self.model, self.db, self.fields
        count, annotations = len(fields), self.names[len(fields):]
        instances = []
        for row in rows:
            instance = model.from_db(db, fields, row[:count])
            for name, value in zip(annotations, row[count:]):
                setattr(instance, name, value)
            instances.append(instance)
        return instances


def compiled_read(model: type[Model]) -> Callable:
    """Decorate a function of keyword arguments returning a queryset of MODEL: calling it returns the queryset's rows
    as a list, its SQL compiled once per connection and arguments. A values() or values_list() queryset gives what it
    gives; a plain one (no select_related, only, defer or prefetch_related) its instances, with their annotations.
    The function is still there as `.queryset(**arguments)` (the tests compare the two)."""

    def decorate(build: Callable[..., QuerySet]) -> Callable[..., list]:
        @wraps(build)
        def rows(**arguments: Hashable) -> list:
            connection = connections[router.db_for_read(model)]
            memo = connection.__dict__.get("compiled_reads")
            if memo is None:
                memo = connection.__dict__["compiled_reads"] = OrderedDict()
            key = (build, *sorted(arguments.items()))
            compiled = memo.get(key)
            if compiled is None:
                compiled = memo[key] = _Compiled(build(**arguments))
                while len(memo) > MAX_ENTRIES:
                    memo.popitem(last=False)
            else:
                memo.move_to_end(key)
            return compiled.rows(connection)

        rows.queryset = build
        COMPILED_READS.append(rows)
        return rows

    return decorate


def aggregated(queryset: QuerySet, **aggregates) -> QuerySet:
    """QUERYSET.aggregate(**AGGREGATES) as a values() queryset, for a compiled read: the same SQL (no GROUP BY: a
    constant is grouped by nothing), so one row, even where no row matches."""
    return queryset.order_by().values(_all=Value(1)).annotate(**aggregates).values(*aggregates)
