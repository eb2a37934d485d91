"""django-tables2 tables of the pages: sortable, paginated, exportable."""

from .export import SpreadsheetExport
from .ranking import CountyRankingTable, TownRankingTable
from .workspace import EnterpriseTable, SiteTable

__all__ = ["CountyRankingTable", "EnterpriseTable", "SiteTable", "SpreadsheetExport", "TownRankingTable"]
