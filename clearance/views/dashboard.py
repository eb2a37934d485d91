"""Pages leaders read: the ranking dashboard, a town's page and the monthly bulletin (the battle board: board.py)."""

from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, TemplateView
from django_tables2 import SingleTableMixin

from .. import permissions, selectors
from ..api import PeriodError, parse_period
from ..models import Town
from ..selectors import CampaignSummary, TownRanking
from ..selectors.reuse import CITY_COMMITMENTS, reuse_summary
from ..tables import CountyRankingTable, SiteTable, TownRankingTable
from ..tables.bulletin_rows import (
    bulletin_county_rows,
    bulletin_register_rows,
    bulletin_reuse_town_rows,
    bulletin_town_rows,
)
from ..tables.town_rows import reuse_town_rows, town_chart_rows
from .economy import economy_section
from .register import register_panel, town_register
from .reuse_panel import reuse_panel
from .sections import (
    bulletin_tables,
    evaluation_panel,
    metric_cards,
    town_completion_chart,
    trend_chart,
    trend_fallback,
)
from .tables import TableQueryMixin

# Every page here only reads: anything but GET, HEAD and OPTIONS is a 405.
READ_ONLY = ["get", "head", "options"]

ROLE_LABELS = {
    permissions.ROLE_ADMIN: _("Administrator"),
    permissions.ROLE_LEADER: _("Leader"),
    permissions.ROLE_OFFICIAL: _("Official"),
}


class PeriodMixin:
    """Read the as-of period from ?year=&month= (selectors.default_period when absent); a bad one gets a 400 page."""

    http_method_names = READ_ONLY

    def get(self, request, *args, **kwargs):
        try:
            self.year, self.month = parse_period(request.GET)
        except PeriodError as error:
            context = {"error": str(error), "years": selectors.campaign_years(), "months": list(MONTHS.items())}
            return render(request, "clearance/dashboard_period_error.html", context, status=400)
        return super().get(request, *args, **kwargs)

    @cached_property
    def summary(self) -> CampaignSummary:
        return selectors.campaign_summary(year=self.year, month=self.month)

    @cached_property
    def published(self):
        """The month's ReportingPeriod when it is closed (its figures published), else None."""
        return selectors.closed_period(year=self.year, month=self.month)

    def period_context(self) -> dict:
        years = selectors.campaign_years()
        if self.year not in years:
            years = sorted({*years, self.year})
        last_day = selectors.period_bounds(year=self.year, month=self.month)[1]
        return {
            "period": {"year": self.year, "month": self.month, "month_name": MONTHS[self.month], "last_day": last_day},
            "years": years,
            "months": list(MONTHS.items()),
            "summary": self.summary,
            "published": self.published,
            "yellow_band": settings.CLEARANCE_YELLOW_BAND_POINTS,
            # The change log of the figures shown: this period (and the town, on a town's page).
            "audit_query": urlencode({**self.audit_scope(), "year": self.year, "month": self.month}),
        }

    def audit_scope(self) -> dict:
        return {}


class DashboardView(PeriodMixin, TableQueryMixin, SingleTableMixin, TemplateView):
    """The ranking dashboard: the city against Jiaxing's targets, the towns ranked, the trend, the counties."""

    template_name = "clearance/dashboard.html"
    table_class = TownRankingTable
    # A city has a few towns, a province over a thousand: the ranking shows 50 at a time (sorted over all of
    # them, so ranks run on from page to page; the export has them all).
    table_pagination = {"per_page": 50}

    def get_table_data(self):
        return self.summary.towns

    @cached_property
    def summary(self) -> CampaignSummary:
        """The month's summary with last month's ranks (the change column) from the same queries."""
        return selectors.campaign_summary(year=self.year, month=self.month, previous_ranks=True)

    @property
    def previous_ranks(self) -> dict | None:
        return self.summary.previous_ranks

    def get_table_kwargs(self):
        return {
            "previous_ranks": self.previous_ranks,
            "city": self.summary.city,
            "period": {"year": self.year, "month": self.month},
        }

    def get_export_filename(self, export_format):
        return f"town-ranking-{self.year}-{self.month:02d}.{export_format}"

    def get_dataset_kwargs(self):
        return {"title": gettext("Town ranking %(year)s-%(month)02d") % {"year": self.year, "month": self.month}}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        role = permissions.user_role(user)
        summary = self.summary
        trend = trend_chart(selectors.monthly_trend(year=self.year, month=self.month), summary.city)
        period = {"year": self.year, "month": self.month}
        # The dashboard shows the city's commitments, none of a town's.
        reuse = reuse_panel(reuse_summary(**period, commitments_of=CITY_COMMITMENTS))
        context.update(self.period_context())
        context.update(
            role=role,
            role_label=ROLE_LABELS[role],
            has_events=selectors.latest_period() is not None,
            cards=metric_cards(summary.city, summary.time_progress),
            county_table=CountyRankingTable(summary.counties, home_county_id=selectors.home_county_id()),
            trend_chart=trend,
            trend_fallback=trend_fallback(trend),
            town_chart=town_completion_chart(summary),
            town_chart_rows=town_chart_rows(summary.towns),
            evaluation=evaluation_panel(),
            economy=economy_section(year=self.year, month=self.month),
            register=register_panel(year=self.year, month=self.month),
            reuse=reuse,
            reuse_town_rows=reuse_town_rows(reuse["towns_in_order"], period=period),
        )
        if role == permissions.ROLE_OFFICIAL:
            context["writable_towns"] = list(permissions.writable_towns(user))
        return context


class TownDetailView(PeriodMixin, TableQueryMixin, SingleTableMixin, DetailView):
    """A town against its allocated targets: cards, rank, trend, its sites' progress, its pairing, task force and
    attack groups."""

    model = Town
    template_name = "clearance/town_detail.html"
    context_object_name = "town"
    table_class = SiteTable
    # A town may have a thousand sites: the page shows them 25 at a time (the export has them all).
    table_pagination = {"per_page": 25}

    def audit_scope(self) -> dict:
        return {"town": self.object.pk}

    @cached_property
    def summary(self) -> TownRanking:
        """The towns ranked (this one among them): neither the city's figures nor the counties' are shown here."""
        return selectors.town_ranking(year=self.year, month=self.month)

    def get_table_data(self):
        period_end = selectors.period_bounds(year=self.year, month=self.month)[1]
        return selectors.workspace_sites(town=self.object, overdue_on=selectors.overdue_as_of(period_end))

    def get_export_filename(self, export_format):
        return f"town-{self.object.pk}-sites.{export_format}"

    def get_dataset_kwargs(self):
        return {"title": gettext("Sites")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        town = self.object
        summary = self.summary
        scope = next(each for each in summary.towns if each.pk == town.pk)
        trend = trend_chart(selectors.monthly_trend(year=self.year, month=self.month, town=town), scope)
        context.update(self.period_context())
        context.update(
            scope=scope,
            ranked_count=sum(1 for each in summary.towns if each.rank is not None),
            cards=metric_cards(scope, summary.time_progress),
            trend_chart=trend,
            trend_fallback=trend_fallback(trend),
            pairing=selectors.town_pairing(town=town),
            attack_groups=selectors.town_attack_groups(town=town),
            register=town_register(town=town),
            reuse=reuse_panel(reuse_summary(year=self.year, month=self.month, commitments_of=town.pk),
                              town_pk=town.pk),
        )
        return context


class BulletinView(PeriodMixin, TemplateView):
    """The monthly bulletin (通报) to print on A4: the city's figures, the towns' ranking with lights, the counties."""

    template_name = "clearance/bulletin.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = self.summary
        home_id = selectors.home_county_id()
        home = next((county for county in summary.counties if county.pk == home_id), None)
        tables = bulletin_tables(summary, self.published.snapshot if self.published else None)
        register = register_panel(year=self.year, month=self.month)
        reuse = reuse_panel(reuse_summary(year=self.year, month=self.month))
        context.update(self.period_context())
        context.update(
            tables=tables,
            city_name=home.name if home else gettext("the city"),
            home_county_id=home_id,
            issued_on=timezone.localdate(),
            economy=economy_section(year=self.year, month=self.month),
            register=register,
            reuse=reuse,
            # The towns' and counties' rows, each number formatted once (a hundred towns at province scale).
            rows={
                "towns": bulletin_town_rows(tables["towns"]),
                "counties": bulletin_county_rows(tables["counties"], home_county_id=home_id),
                "reuse_towns": bulletin_reuse_town_rows(reuse["towns"]),
                "register_towns": bulletin_register_rows(register["towns"]),
            },
        )
        return context
