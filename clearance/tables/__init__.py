"""django-tables2 tables of the pages: sortable, paginated, exportable."""

from .evaluation import CandidateTable, EvaluationTable
from .export import SpreadsheetExport
from .ranking import CountyRankingTable, TownRankingTable
from .workspace import EnterpriseTable, SiteTable

__all__ = ["CandidateTable", "CountyRankingTable", "EvaluationTable", "EnterpriseTable", "SiteTable", "SpreadsheetExport", "TownRankingTable"]
