"""django-tables2 tables of the pages: sortable, paginated, exportable."""

from .evaluation import CandidateTable, EvaluationTable
from .export import SpreadsheetExport
from .ranking import CountyRankingTable, TownRankingTable
from .reuse import CommitmentTable, ReuseTownTable
from .workspace import EnterpriseTable, SiteTable

__all__ = ["CandidateTable", "CommitmentTable", "CountyRankingTable", "EvaluationTable", "EnterpriseTable", "ReuseTownTable", "SiteTable", "SpreadsheetExport", "TownRankingTable"]
