"""Pages leaders read: the ranking dashboard, a town's page, the monthly bulletin and the battle board (作战图)."""

from datetime import date
from fractions import Fraction
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .. import permissions, selectors
from ..api import PeriodError, metric_json, parse_period
from ..choices import INDICATOR_UNITS, METRIC_UNITS, Grade, Indicator, Metric, Stage
from ..filters import BoardFilter
from ..models import Town
from ..selectors import NOT_STARTED, CampaignSummary, ScopeSummary
from ..selectors import evaluation
from ..selectors.reuse import reuse_summary
from ..tables import CountyRankingTable, SiteTable, TownRankingTable
from .economy import economy_section
from .register import register_panel, town_register
from .reuse_panel import reuse_panel
from .tables import TableQueryMixin

# Every page here only reads: anything but GET, HEAD and OPTIONS is a 405.
READ_ONLY = ["get", "head", "options"]

ROLE_LABELS = {
    permissions.ROLE_ADMIN: _("Administrator"),
    permissions.ROLE_LEADER: _("Leader"),
    permissions.ROLE_OFFICIAL: _("Official"),
}

# The battle board's columns, left to right: the campaign's stages, then the sites with nothing on them.
BOARD_STAGES = (NOT_STARTED, *Stage.values, None)


# What the pages show, built from the selectors' results (no queries here) ---------------


def metric_cards(scope: ScopeSummary, progress) -> list[dict]:
    """Return one card per metric: the figure, its label and unit, and the gap to 序时进度 in points."""
    return [
        {
            "key": metric.value,
            "label": metric.label,
            "unit": METRIC_UNITS[metric],
            "is_count": metric == Metric.ENTERPRISES_RECTIFIED,
            "figure": scope.metrics[metric.value],
            # Rounded from the exact values, like the lights, so it may differ by 0.1 from the rounded figures' difference.
            "gap": selectors.round_half_up(selectors.completion_gap(scope.metrics[metric.value], progress)),
        }
        for metric in Metric
    ]


def _month_labels() -> list[str]:
    return [capfirst(str(MONTHS_3[month])) for month in range(1, 13)]


def trend_chart(trend: list[dict], scope: ScopeSummary) -> dict:
    """Return the data of the trend charts: per metric, the cumulative actual by month, the target and the 序时 line.

    The 序时 line is the target times month ÷ 12: where the figure should stand at each month's end.
    """
    metrics = []
    for metric in Metric:
        target = scope.metrics[metric.value].target
        target = None if target is None else float(target)
        metrics.append(
            {
                "key": metric.value,
                "label": str(metric.label),
                "unit": str(METRIC_UNITS[metric]),
                "title": gettext("%(header)s (%(unit)s)") % {"header": metric.label, "unit": METRIC_UNITS[metric]},
                "actual": [float(row[metric.value]) for row in trend],
                "target": target,
                "pace": None if target is None else [round(target * month / 12, 2) for month in range(1, 13)],
            }
        )
    return {
        "months": _month_labels(),
        "metrics": metrics,
        "labels": {
            "actual": gettext("Cumulative actual"),
            "target": gettext("Yearly target"),
            "pace": gettext("Time progress"),
        },
    }


def trend_fallback(chart: dict) -> list[dict]:
    """Return the trend charts as rows for the tables screen readers get instead of the canvas."""
    tables = []
    for metric in chart["metrics"]:
        rows = [
            {
                "month": chart["months"][index],
                "actual": actual,
                "pace": metric["pace"][index] if metric["pace"] else None,
            }
            for index, actual in enumerate(metric["actual"])
        ]
        tables.append({"label": metric["label"], "unit": metric["unit"], "target": metric["target"], "rows": rows})
    return tables


def town_completion_chart(summary: CampaignSummary) -> dict:
    """Return the data of the bar chart of the towns' completion of each metric, in ranking order, and 序时进度."""
    return {
        "towns": [town.name for town in summary.towns],
        "series": [
            {
                "key": metric.value,
                "label": str(metric.label),
                "values": [town.metrics[metric.value].completion_pct for town in summary.towns],
            }
            for metric in Metric
        ],
        "time_progress": summary.time_progress_pct,
        "labels": {"time_progress": gettext("Time progress"), "axis": gettext("Completion (%)")},
    }


def _cell(today: dict, published: dict | None) -> dict:
    """Return one figure of the bulletin: the published one where the month is closed, and today's when it differs.

    Both are compared as /api/summary/ gives them (rounded), so a correction is what a reader would see.
    """
    if published is None:
        return {**today, "corrected": None}
    return {**published, "corrected": today if today != published else None}


def _scope_cells(scope: ScopeSummary | None, published: dict | None, *, with_rank: bool) -> list[dict]:
    cells = []
    for metric in Metric:
        today = metric_json(scope.metrics[metric.value], with_rank=with_rank) if scope else None
        shown = published["metrics"][metric.value] if published else None
        cell = {**shown, "corrected": None} if today is None else _cell(today, shown)
        cells.append({**cell, "metric": metric.value, "is_count": metric == Metric.ENTERPRISES_RECTIFIED})
    return cells


def bulletin_tables(summary: CampaignSummary, snapshot: dict | None) -> dict:
    """Return the bulletin's three tables, city, towns and counties: SNAPSHOT's figures (a closed month's) or today's.

    Where a closed month's figures differ today, each such cell carries today's under "corrected" (更正).
    Towns and counties are matched by name; one published then and gone since is shown as published.
    """
    progress = summary.time_progress_pct

    def gap(cell):
        return None if cell["completion_pct"] is None else round(cell["completion_pct"] - progress, 1)

    city = []
    for card, cell in zip(
        metric_cards(summary.city, summary.time_progress), _scope_cells(summary.city, snapshot, with_rank=False)
    ):
        if snapshot is not None:
            card = {**card, "gap": gap(cell)}
        city.append({**card, "cell": cell})
    city_counts = snapshot if snapshot is not None else {"signed": summary.city.signed, "vacated": summary.city.vacated}
    tables = {"city": city, "towns": [], "counties": [], "signed": city_counts["signed"], "vacated": city_counts["vacated"]}
    for key, scopes, with_rank in (("towns", summary.towns, True), ("counties", summary.counties, True)):
        by_name = {scope.name: scope for scope in scopes}
        rows = snapshot[key] if snapshot is not None else [{"name": scope.name} for scope in scopes]
        for row in rows:
            scope = by_name.get(row["name"])
            published = row if snapshot is not None else None
            entry = {
                "name": row["name"],
                "pk": scope.pk if scope else None,
                "cells": _scope_cells(scope, published, with_rank=with_rank),
            }
            if key == "towns":
                entry["rank"] = row["rank"] if published else scope.rank
                entry["score"] = row["score"] if published else scope.score_pct
                today_rank = scope.rank if scope else None
                entry["rank_corrected"] = published is not None and scope is not None and today_rank != row["rank"]
                entry["today_rank"] = today_rank
            tables[key].append(entry)
    tables["corrected"] = any(
        cell["corrected"] for row in (*tables["towns"], *tables["counties"]) for cell in row["cells"]
    ) or any(card["cell"]["corrected"] for card in city)
    return tables


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


def _share_pct(part, whole) -> float | None:
    """PART as a percentage of WHOLE to one decimal; None where WHOLE is 0."""
    return selectors.round_half_up(Fraction(part) / Fraction(whole) * 100) if whole else None


def _evaluation_row(now: evaluation.TownClasses, before: evaluation.TownClasses | None) -> dict:
    """One line of the evaluation panel: a place's 亩均 figures this year and the year before, its classes, its D land."""
    grade_d = Grade.D.value
    return {
        "town": now.town,
        "tax_per_mu": now.tax_per_mu,
        "tax_per_mu_before": before.tax_per_mu if before else None,
        "value_added_per_mu": now.value_added_per_mu,
        "value_added_per_mu_before": before.value_added_per_mu if before else None,
        "grades": [
            {"grade": grade, "count": now.counts[grade], "before": before.counts[grade] if before else None}
            for grade in Grade.values
        ],
        "graded": sum(now.counts[grade] for grade in Grade.values),
        "d_land_mu": now.land_mu[grade_d],
        "d_land_in_clearance_mu": now.land_in_clearance_mu[grade_d],
        "d_land_in_clearance_pct": _share_pct(now.land_in_clearance_mu[grade_d], now.land_mu[grade_d]),
        "d_land_mu_before": before.land_mu[grade_d] if before else None,
        "d_energy_tce": now.energy_tce[grade_d],
        "d_energy_in_clearance_tce": now.energy_in_clearance_tce[grade_d],
        "d_energy_in_clearance_pct": _share_pct(now.energy_in_clearance_tce[grade_d], now.energy_tce[grade_d]),
        "d_energy_tce_before": before.energy_tce[grade_d] if before else None,
        "candidates": now.candidates,
    }


def evaluation_panel() -> dict | None:
    """Return the dashboard's evaluation panel: the latest evaluated year against the year before, for the city and
    each town (selectors.evaluation.classes_by_town, a few grouped queries per year); None when no year is evaluated."""
    year = evaluation.latest_evaluated_year()
    if year is None:
        return None
    city, towns = evaluation.classes_by_town(year)
    city_before, towns_before = evaluation.classes_by_town(year - 1)
    before = {each.town.pk: each for each in towns_before}
    has_before = city_before.total > 0
    rows = [_evaluation_row(each, before.get(each.town.pk)) for each in towns]
    return {
        "labels": {"tax": Indicator.TAX_PER_MU.label, "value_added": Indicator.VALUE_ADDED_PER_MU.label,
                   "per_mu_unit": INDICATOR_UNITS[Indicator.TAX_PER_MU]},
        "year": year,
        "before": year - 1,
        "has_before": has_before,
        "city": _evaluation_row(city, city_before if has_before else None),
        "towns": rows,
        "chart": {
            "year": year,
            "towns": [row["town"].name for row in rows],
            "series": [
                {"label": pgettext("evaluation panel", "Class %(grade)s") % {"grade": grade},
                 "values": [row["grades"][index]["count"] for row in rows]}
                for index, grade in enumerate(Grade.values)
            ],
            "labels": {"axis": gettext("Enterprises")},
        },
    }


# Views ---------------------------------------------------------------------------


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
    def previous_ranks(self) -> dict | None:
        return selectors.previous_town_ranks(year=self.year, month=self.month)

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
            evaluation=evaluation_panel(),
            economy=economy_section(year=self.year, month=self.month),
            register=register_panel(year=self.year, month=self.month),
            reuse=reuse_panel(reuse_summary(year=self.year, month=self.month)),
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
            reuse=reuse_panel(reuse_summary(year=self.year, month=self.month), town_pk=town.pk),
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
        context.update(self.period_context())
        context.update(
            tables=bulletin_tables(summary, self.published.snapshot if self.published else None),
            city_name=home.name if home else gettext("the city"),
            home_county_id=home_id,
            issued_on=timezone.localdate(),
            economy=economy_section(year=self.year, month=self.month),
            register=register_panel(year=self.year, month=self.month),
            reuse=reuse_panel(reuse_summary(year=self.year, month=self.month)),
        )
        return context


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
