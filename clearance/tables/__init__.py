"""django-tables2 tables of the pages: sortable, paginated, exportable."""

from .evaluation import CandidateTable, EvaluationTable
from .export import SpreadsheetExport
from .projects import ProjectTable
from .ranking import CountyRankingTable, TownRankingTable
from .workspace import EnterpriseTable, SiteTable

__all__ = ["CandidateTable", "CountyRankingTable", "EvaluationTable", "EnterpriseTable", "ProjectTable", "SiteTable", "SpreadsheetExport", "TownRankingTable"]
