"""The battle board (作战图): every site as a card in the column of its stage, for the city or one town."""

from datetime import date

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView

from .. import selectors
from ..choices import Stage
from ..filters import BoardFilter
from ..models import Town
from ..selectors import NOT_STARTED

# Every page here only reads: anything but GET, HEAD and OPTIONS is a 405.
READ_ONLY = ["get", "head", "options"]

# The battle board's columns, left to right: the campaign's stages, then the sites with nothing on them.
BOARD_STAGES = (NOT_STARTED, *Stage.values, None)


def board_columns(sites, *, limit: int | None) -> list[dict]:
    """Group SITES (annotated with `stage`) into the battle board's columns, the most urgent first.

    Each column has its count and at most LIMIT cards (all when None): overdue first, then by deadline
    (none last), then by name; `more` says how many are left out.
    """
    by_stage = {stage: [] for stage in BOARD_STAGES}
    for site in sites:
        by_stage[site.stage].append(site)
    labels = {NOT_STARTED: _("Not started"), None: _("No enterprises"), **dict(Stage.choices)}
    columns = []
    for stage in BOARD_STAGES:
        ranked = sorted(by_stage[stage], key=lambda site: (not site.is_overdue, site.deadline is None, site.deadline
                                                          or date.max, site.name))
        shown = ranked if limit is None else ranked[:limit]
        columns.append({
            "key": "none" if stage is None else str(stage), "label": labels[stage], "sites": shown,
            "count": len(ranked), "more": len(ranked) - len(shown),
        })
    return columns


class BoardView(FilterView):
    """The battle board (作战图): every site as a card in the column of its stage, filterable."""

    http_method_names = READ_ONLY
    filterset_class = BoardFilter
    template_name = "clearance/board.html"
    town = None

    def get_queryset(self):
        sites = selectors.board_sites()
        return sites if self.town is None else sites.filter(town=self.town)

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        if self.town is not None:
            # A town's own board: the town is in the address, not a choice.
            del filterset.filters["town"]
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # ?column=KEY lists that column alone, every card: the full list behind "and N more".
        only = self.request.GET.get("column")
        columns = board_columns(context["object_list"], limit=None if only else settings.CLEARANCE_BOARD_CARDS_PER_COLUMN)
        if only:
            columns = [column for column in columns if column["key"] == only]
        context.update(
            board_town=self.town,
            columns=columns,
            only_column=only,
            site_count=sum(column["count"] for column in columns),
            today=timezone.localdate(),
        )
        return context


class TownBoardView(BoardView):
    """One town's battle board."""

    def get(self, request, *args, **kwargs):
        self.town = get_object_or_404(Town, pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)
