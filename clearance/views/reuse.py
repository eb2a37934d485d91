"""换鸟's pages: the city's and the towns' reuse figures (/reuse/) and the commitments (/reuse/commitments/)."""

from functools import cached_property

from django.utils.translation import gettext
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from ..choices import CommitmentState
from ..models import Town
from ..selectors import period_bounds
from ..selectors.commitments import OVERDUE, commitment_rows
from ..selectors.reuse import ReuseSummary, reuse_summary
from ..tables import CommitmentTable, ReuseTownTable
from .dashboard import PeriodMixin
from .reuse_panel import reuse_panel
from .tables import TableQueryMixin

class ReuseMixin(PeriodMixin):
    """The period's 换鸟 figures in place of the clearance's (`summary`)."""

    @cached_property
    def summary(self) -> ReuseSummary:
        return reuse_summary(year=self.year, month=self.month)


class ReuseView(ReuseMixin, TableQueryMixin, SingleTableMixin, TemplateView):
    """换鸟 for everyone signed in: the city's four figures against its targets, the towns ranked, the commitments."""

    template_name = "clearance/reuse/summary.html"
    table_class = ReuseTownTable
    table_pagination = {"per_page": 50}

    def get_table_data(self):
        return self.summary.towns

    def get_table_kwargs(self):
        return {"city": self.summary.city, "period": {"year": self.year, "month": self.month}}

    def get_export_filename(self, export_format):
        return f"reuse-towns-{self.year}-{self.month:02d}.{export_format}"

    def get_dataset_kwargs(self):
        return {"title": gettext("Reuse %(year)s-%(month)02d") % {"year": self.year, "month": self.month}}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.period_context())
        context["reuse"] = reuse_panel(self.summary)
        return context


def state_choices() -> list[tuple[str, str]]:
    """The state filter's choices: all (missed and unverified first), each state, and overdue."""
    return [("", gettext("All due")), *CommitmentState.choices, (OVERDUE, gettext("Overdue"))]


class CommitmentsView(PeriodMixin, TableQueryMixin, SingleTableMixin, TemplateView):
    """The commitments (履约) due by the period's end, missed and unverified first, or the projects overdue."""

    template_name = "clearance/reuse/commitments.html"
    table_class = CommitmentTable
    table_pagination = {"per_page": 50}
    town = None
    state = ""

    @cached_property
    def summary(self):
        # The page needs no figures: the period's words only (PeriodMixin.period_context reads `summary`).
        return None

    def query_problem(self, query) -> str | None:
        problem = super().query_problem(query)
        if problem:
            return problem
        self.state = query.get("state", "").strip()
        if self.state not in dict(state_choices()):
            return gettext("There is no commitment state “%(state)s”.") % {"state": self.state[:20]}
        text = query.get("town", "").strip()
        if text:
            self.town = Town.objects.filter(pk=int(text)).first() if text.isascii() and text.isdigit() and len(
                text) < 10 else None
            if self.town is None:
                return gettext("There is no such town.")
        return None

    @cached_property
    def period_end(self):
        return period_bounds(year=self.year, month=self.month)[1]

    def get_table_data(self):
        return commitment_rows(period_end=self.period_end, state=self.state, town=self.town)

    def get_table_kwargs(self):
        return {"overdue": self.state == OVERDUE}

    def get_export_filename(self, export_format):
        return f"commitments-{self.year}-{self.month:02d}.{export_format}"

    def get_dataset_kwargs(self):
        return {"title": gettext("Commitments")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.period_context())
        context.update(state=self.state, town=self.town, state_choices=state_choices(),
                       towns=list(Town.objects.all()))
        return context
