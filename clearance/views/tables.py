"""The pages built on a django-tables2 table: their query string checked once, before any work, a 400 when bad."""

from functools import cached_property, partial

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tables2.export import ExportMixin

from ..tables import SpreadsheetExport

PER_PAGE = "per_page"


class TableQueryMixin(ExportMixin):
    """?_export= one of the page's export_formats, ?per_page= from 1 to CLEARANCE_TABLE_MAX_PER_PAGE; else a 400 page.

    Why here: django-tables2 serves any format tablib knows (json, latex, ods …) and
    passes a negative or zero page size to the paginator, which fails (a 500). ?page=
    and ?sort= need nothing: django-tables2 shows the first or last page for a page
    out of range and ignores an unknown column.
    """

    export_class = SpreadsheetExport
    export_formats = (SpreadsheetExport.XLSX, SpreadsheetExport.CSV)

    def get(self, request, *args, **kwargs):
        problem = self.query_problem(request.GET)
        if problem:
            return render(request, "clearance/bad_query.html", {"error": problem}, status=400)
        return super().get(request, *args, **kwargs)

    def query_problem(self, query) -> str | None:
        """Return why QUERY cannot be served, in the user's language, or None."""
        export_format = query.get(self.export_trigger_param)
        # An empty ?_export= asks for no export: the page itself.
        if export_format and export_format not in self.export_formats:
            return _("This page exports only as %(formats)s, not “%(format)s”.") % {
                "formats": "、".join(self.export_formats), "format": export_format[:20],
            }
        text = query.get(PER_PAGE, "").strip()
        # An empty ?per_page= asks for the page's own size, as django-tables2 reads it.
        if text and self.table_pagination is not False:
            highest = settings.CLEARANCE_TABLE_MAX_PER_PAGE
            # ASCII digits only: int() would also take "-1", "+5", "١٢" and "1_0" (and refuse 5,000 digits).
            if not (text.isascii() and text.isdigit() and len(text) <= 9 and 1 <= int(text) <= highest):
                return _("The rows per page must be a whole number from 1 to %(highest)s.") % {"highest": highest}
        return None


class CountedPaginator(Paginator):
    """A paginator told how many rows there are (from a maintained figure) rather than counting them: a COUNT over a
    year's million indicator rows costs more than the page it numbers."""

    def __init__(self, object_list, per_page, *args, known_count: int, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        return self.known_count


class KnownCountMixin:
    """A table page whose row count may be known without counting: known_row_count() returns it, or None to count."""

    def known_row_count(self) -> int | None:
        return None

    def get_table_pagination(self, table):
        pagination = super().get_table_pagination(table)
        known = self.known_row_count() if pagination is not False else None
        if known is not None:
            pagination = {**pagination, "paginator_class": partial(CountedPaginator, known_count=known)}
        return pagination
