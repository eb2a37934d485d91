"""django-tables2 tables of the pages: sortable, paginated, exportable."""

from .evaluation import CandidateTable, EvaluationTable
from .export import SpreadsheetExport
from .projects import ProjectTable
from .ranking import CountyRankingTable, ReuseTownTable, TownRankingTable
from .reuse import CommitmentTable
from .workspace import EnterpriseTable, SiteTable

__all__ = [
    "CandidateTable", "CommitmentTable", "CountyRankingTable", "EvaluationTable", "EnterpriseTable", "ProjectTable",
    "ReuseTownTable", "SiteTable", "SpreadsheetExport", "TownRankingTable",
]
