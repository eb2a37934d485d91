"""Spreadsheet exports of the tables, as Excel opens them cleanly and safely."""

from django_tables2.export import TableExport

from ..spreadsheets import csv_text, xlsx_bytes


class SpreadsheetExport(TableExport):
    """CSV with a byte-order mark (Chinese as UTF-8) and .xlsx, written by clearance.spreadsheets: no cell a formula.

    tablib's own writers would leave a typed "=…", "+…" or "@…" live (its escape=True only drops
    the "=" of .xlsx cells, changing the name); only the two formats written here are served.
    """

    FORMATS = {name: TableExport.FORMATS[name] for name in (TableExport.CSV, TableExport.XLSX)}

    @classmethod
    def is_valid_format(cls, export_format):
        return export_format in cls.FORMATS

    def rows(self) -> list:
        return [self.dataset.headers, *self.dataset]

    def export(self):
        if self.format == self.CSV:
            return csv_text(self.rows())
        return xlsx_bytes({self.dataset.title: self.rows()})
