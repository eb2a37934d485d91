"""The evaluation's pages (亩均效益评价): a year's table, a town's view, an enterprise's card, the candidates, a plan opened."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.data import TableListData

from .. import permissions
from ..choices import INDICATOR_UNITS, Grade
from ..filters import EvaluationFilter
from ..forms import ClearancePlanForm
from ..models import EvaluatedEnterprise, IndicatorRow, Town
from ..rules import MAX_YEAR, MIN_YEAR
from ..selectors import evaluation as selectors
from ..selectors.schemes import scoring_waiting
from ..services import evaluation as services
from ..tables import CandidateTable, EvaluationTable
from .tables import KnownCountMixin, TableQueryMixin
from .writing import apply_service_errors

YEAR = "year"


def export_links(request, formats) -> list[tuple[str, str]]:
    """Return (label, address) of the page's table in each of FORMATS, as filtered and sorted now."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("_export", None)
    return [(fmt.upper(), f"?{query.urlencode()}&_export={fmt}".replace("?&", "?")) for fmt in formats]


class _EvaluationYearMixin(TableQueryMixin):
    """?year= a whole number from 2000 to 2100 (a 400 page otherwise); without it, the latest evaluated year."""

    def query_problem(self, query) -> str | None:
        problem = super().query_problem(query)
        if problem:
            return problem
        text = query.get(YEAR, "").strip()
        if text and not (text.isascii() and text.isdigit() and len(text) == 4 and MIN_YEAR <= int(text) <= MAX_YEAR):
            return _("The year must be a whole number from 2000 to 2100.")
        self.year = int(text) if text else selectors.latest_evaluated_year()
        return None

    def get_context_data(self, **kwargs):
        return super().get_context_data(year=self.year, years=selectors.evaluated_years(),
                                        scoring_waiting=scoring_waiting([self.year]), **kwargs)


class _EvaluationTableView(_EvaluationYearMixin, KnownCountMixin, SingleTableMixin, FilterView):
    """A year's evaluated enterprises, filtered, sorted, paginated and exportable."""

    table_class = EvaluationTable
    filterset_class = EvaluationFilter
    table_pagination = {"per_page": 50}
    town = None

    def known_row_count(self) -> int | None:
        """Unfiltered, the year's (or the town's) rows are counted by the towns' figures."""
        form = self.filterset.form
        if self.year is None or (form.is_bound and not (form.is_valid() and not form.has_changed())):
            return None
        return selectors.row_count(self.year, town=self.town)

    def get_queryset(self) -> QuerySet[IndicatorRow]:
        rows = selectors.evaluation_rows(self.year or 0, town=self.town)
        # No year evaluated yet: no rows, with the annotations the filters and the sorts use.
        return rows.none() if self.year is None else rows

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "without_town": self.town is not None}

    def get_export_filename(self, export_format):
        place = f"-town{self.town.pk}" if self.town is not None else ""
        return f"evaluation-{self.year}{place}-{timezone.localdate():%Y%m%d}.{export_format}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(export_urls=export_links(self.request, self.export_formats), **kwargs)


class EvaluationView(_EvaluationTableView):
    """The evaluation of a year: every evaluated enterprise of the city, by total."""

    template_name = "clearance/evaluation/list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(towns=list(Town.objects.order_by("display_order", "name")), **kwargs)


class EvaluationTownView(_EvaluationTableView):
    """A town's evaluation of a year: the class mix, the land and energy of C and D and how much is in clearance."""

    template_name = "clearance/evaluation/town.html"

    def get(self, request, *args, **kwargs):
        self.town = get_object_or_404(Town, pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.year is not None:
            classes = selectors.town_classes(self.year, self.town)
            context.update(
                classes=classes,
                grade_counts=[(grade, classes.counts[grade]) for grade in Grade.values],
                low_grades=[
                    {"grade": grade, "land": classes.land_mu[grade], "land_in": classes.land_in_clearance_mu[grade],
                     "energy": classes.energy_tce[grade], "energy_in": classes.energy_in_clearance_tce[grade],
                     "count": classes.counts[grade]}
                    for grade in selectors.LOW_GRADES
                ],
            )
        return context


class _InListOrder(TableListData):
    """Rows kept in the order the list gives them: the candidates' table offers no sorting (its columns are not
    orderable), and a list read a page at a time cannot be sorted in Python."""

    def order_by(self, aliases):
        return None


class CandidatesView(_EvaluationYearMixin, KnownCountMixin, SingleTableMixin, ListView):
    """A year's candidates for clearance, per town, lowest total first; a plan opened from here for one's own towns."""

    template_name = "clearance/evaluation/candidates.html"
    table_class = CandidateTable
    table_pagination = {"per_page": 50}
    export_formats = ()

    def get(self, request, *args, **kwargs):
        text = request.GET.get("town", "").strip()
        self.town = None
        if text:
            # A town that is not a number or not there lists no town's candidates: an empty list, said so.
            self.town = Town.objects.filter(pk=int(text)).first() if text.isascii() and text.isdigit() and len(text) < 10 else None
            self.unknown_town = self.town is None
        else:
            self.unknown_town = False
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[IndicatorRow]:
        # A town's candidates in their order (total, the enterprise's name kept on the row, the row): read from the
        # index of the candidates (year, town, total, enterprise_name, id), not sorted. Every town's are put in the
        # towns' order a page at a time (get_table_data).
        rows = selectors.candidates(self.year or 0, town=self.town)
        return rows.none() if self.year is None or self.unknown_town else rows

    def get_table_kwargs(self):
        return {"writable_town_ids": permissions.writable_town_ids(self.request.user)}

    def known_row_count(self) -> int | None:
        """A town's candidates, counted by its figures (every town's: candidates_by_town counts them)."""
        if self.year is None or self.unknown_town or self.town is None:
            return None
        return selectors.row_count(self.year, town=self.town, candidates=True)

    def get_table_data(self):
        rows = self.object_list
        if self.year is None or self.unknown_town or self.town is not None:
            return rows
        # Every town's: a page at a time, each from the towns it falls in (selectors.evaluation.CandidatesByTown).
        return _InListOrder(selectors.candidates_by_town(self.year, rows))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(town=self.town, unknown_town=self.unknown_town,
                       towns=list(Town.objects.order_by("display_order", "name")))
        return context


class EvaluationCardView(DetailView):
    """An enterprise's card: its years, each indicator against its benchmark, why it is where it is, its classes."""

    model = EvaluatedEnterprise
    template_name = "clearance/evaluation/card.html"
    context_object_name = "evaluated"

    def get_queryset(self) -> QuerySet[EvaluatedEnterprise]:
        return EvaluatedEnterprise.objects.select_related("town")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        card = selectors.enterprise_card(self.object)
        latest = card[0].row if card else None
        context.update(
            card=card,
            units=INDICATOR_UNITS,
            grades=list(reversed(card)),
            clearance_enterprise=selectors.clearance_enterprise_of(self.object),
            candidate=bool(latest is not None and latest.candidate),
            latest=latest,
            scoring_waiting=scoring_waiting(year.row.year for year in card),
            can_write=permissions.can_write_town(self.request.user, self.object.town),
            is_admin=permissions.is_admin(self.request.user),
        )
        return context


class ClearancePlanView(permissions.TownWriteRequiredMixin, FormView):
    """Open a clearance plan (一企一策) for an evaluated enterprise in one step: its site chosen or created, the plan."""

    form_class = ClearancePlanForm
    template_name = "clearance/evaluation/plan.html"

    def get_permission_town(self) -> Town:
        self.evaluated = get_object_or_404(EvaluatedEnterprise.objects.select_related("town"), pk=self.kwargs["pk"])
        return self.evaluated.town

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "town": self.evaluated.town}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            evaluated=self.evaluated, clearance_enterprise=selectors.clearance_enterprise_of(self.evaluated), **kwargs)

    def form_valid(self, form):
        try:
            enterprise = services.clearance_plan_open(
                evaluated=self.evaluated, user=self.request.user, **form.site_arguments(), **form.plan_fields())
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("A clearance plan was opened for %(name)s on the site %(site)s.")
                         % {"name": enterprise.name, "site": enterprise.site.name})
        return HttpResponseRedirect(enterprise.get_absolute_url())
