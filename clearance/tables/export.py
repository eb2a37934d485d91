"""Spreadsheet exports of the tables, as Excel opens them cleanly."""

from django_tables2.export import TableExport


class SpreadsheetExport(TableExport):
    """Exports Excel opens cleanly: CSV with a byte-order mark (Chinese as UTF-8), xlsx with formulas escaped."""

    def export(self):
        if self.format == self.CSV:
            return "\ufeff" + self.dataset.export(self.CSV)
        if self.format == self.XLSX:
            return self.dataset.export(self.XLSX, escape=True)
        return super().export()
