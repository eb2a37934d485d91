"""The battle board (作战图): every site as a card in the column of its stage, for the city or one town."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView

from .. import selectors
from ..choices import Stage
from ..filters import BoardFilter
from ..models import SiteProgress, Town
from ..selectors import NOT_STARTED
from ..tables.board_cards import card_maker

# Every page here only reads: anything but GET, HEAD and OPTIONS is a 405.
READ_ONLY = ["get", "head", "options"]


def column_key(stage: int | None) -> str:
    """A column's key in the page and in ?column=: its stage, or "none" for the sites with nothing on them."""
    return "none" if stage is None else str(stage)


class BoardView(FilterView):
    """The battle board (作战图): every site as a card in the column of its stage, filterable."""

    http_method_names = READ_ONLY
    filterset_class = BoardFilter
    template_name = "clearance/board.html"
    town = None

    def get_queryset(self):
        # Each site's stored progress (derived.site_progress): the columns are read from it, not worked out per request.
        progress = SiteProgress.objects.all()
        return progress if self.town is None else progress.filter(town=self.town)

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        if self.town is not None:
            # A town's own board: the town is in the address, not a choice.
            del filterset.filters["town"]
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # ?column=KEY lists that column alone, a page of cards at a time (?page=): the full list behind "and N more".
        only = self.request.GET.get("column")
        today = timezone.localdate()
        stages = selectors.BOARD_STAGES
        if only:
            stages = [stage for stage in stages if column_key(stage) == only]
        counts = selectors.board_counts(context["object_list"], stages)
        limit, page = settings.CLEARANCE_BOARD_CARDS_PER_COLUMN, None
        if only:
            # A province's column holds tens of thousands of sites: pages, as a table's (a bad page gives the first,
            # one past the end the last).
            limit = settings.CLEARANCE_BOARD_COLUMN_PAGE
            page = Paginator(range(sum(counts.values())), limit).get_page(self.request.GET.get("page"))
        columns = selectors.board_columns(context["object_list"], counts=counts, limit=limit, today=today,
                                          offset=max(page.start_index() - 1, 0) if page else 0)
        labels = {NOT_STARTED: _("Not started"), None: _("No enterprises"), **dict(Stage.choices)}
        card = card_maker(show_town=self.town is None)
        context.update(
            board_town=self.town,
            columns=[{"key": column_key(column.stage), "label": labels[column.stage],
                      "cards": [card(site) for site in column.sites], "count": column.count, "more": column.more}
                     for column in columns],
            only_column=only,
            column_page=page,
            site_count=sum(column.count for column in columns),
            today=today,
        )
        return context


class TownBoardView(BoardView):
    """One town's battle board."""

    def get(self, request, *args, **kwargs):
        self.town = get_object_or_404(Town, pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)
