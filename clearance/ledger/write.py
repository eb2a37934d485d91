"""Importing a ledger: read, parse, plan and write with the one bulk writer, all or nothing."""

from collections.abc import Callable
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..bulk import BulkWriter
from ..choices import JobPhase
from ..derived import evaluation_links, rollup, site_progress, site_tree
from ..models import Enterprise, Event, Site, Town
from .columns import ENTERPRISE_REQUIRED, ENTERPRISES_SHEET, SITE_REQUIRED, SITES_SHEET, LedgerError
from .parse import ProblemCollector, check_header, parse_enterprises, parse_sites, without_examples
from .plan import LedgerPlan, ledger_plan
from .read import SheetRow, read_ledger
from .report import ImportReport, PlannedChanges

# The fields an import may change; `version` counts the changes as the services do.
SITE_FIELDS = ("area_mu", "parent", "land_use", "version")
ENTERPRISE_FIELDS = (
    "name", "town", "site", "credit_code", "is_two_high_one_low", "is_high_consumption", "is_low_scattered",
    "is_factory_in_factory", "is_tenant", "disposal", "annual_energy_tce", "energy_freed_tce", "version",
)
EVENT_FIELDS = ("occurred_on", "version")


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it (a dry run, or bad rows)."""


def ledger_import(*, path: Path | None = None, sheets: dict[str, list[SheetRow]] | None = None, user=None,
                  dry_run: bool = False, describe: bool = False,
                  progress: Callable[[int, int], None] | None = None,
                  phase: Callable[[JobPhase], None] | None = None, max_rows: int | None = None) -> ImportReport:
    """Import a whole ledger, all or nothing; raise LedgerError naming every bad row, with nothing written.

    Sites are keyed by (镇街道, 地块名称), enterprises by 统一社会信用代码 when
    given, else by (镇街道, 企业名称). Re-importing the same ledger changes
    nothing; a changed value is updated in place and kept in the history,
    attributed to USER. A date left empty removes nothing. The rows are checked
    in memory (ledger_plan) and written in batches (BulkWriter), the site tree
    and the monthly rollup rebuilt in the same transaction. Rows equal to the
    template's example rows are skipped (REPORT.examples_skipped). With
    DESCRIBE, REPORT.changes lists every row created or changed, for the preview.
    PHASE is told each phase as it begins (reading, checking, writing); PROGRESS
    the rows checked and the rows in all, row by row. A sheet read from PATH with more than MAX_ROWS data
    rows is refused (None: no limit, as for `manage.py import_ledger`).
    """
    phase = phase or (lambda _phase: None)
    if sheets is None:
        phase(JobPhase.READING)
        sheets = read_ledger(path, max_rows=max_rows)
    phase(JobPhase.CHECKING)
    problems = ProblemCollector()
    check_header(SITES_SHEET, sheets[SITES_SHEET], SITE_REQUIRED, problems)
    check_header(ENTERPRISES_SHEET, sheets[ENTERPRISES_SHEET], ENTERPRISE_REQUIRED, problems)
    if problems.problems:
        raise LedgerError(problems.problems)
    sheets, examples = without_examples(sheets)
    towns = {town.name: town for town in Town.objects.all()}
    site_rows = parse_sites(sheets[SITES_SHEET], towns, problems)
    enterprise_rows = parse_enterprises(sheets[ENTERPRISES_SHEET], towns, problems)
    if problems.problems:
        raise LedgerError(problems.problems)

    report = ImportReport(
        dry_run=dry_run, examples_skipped=examples,
        changes=PlannedChanges(enabled=describe, town_names={town.pk: name for name, town in towns.items()}),
    )
    try:
        with transaction.atomic():
            plan = ledger_plan(site_rows=site_rows, enterprise_rows=enterprise_rows, user=user, report=report,
                               problems=problems, progress=progress)
            if not (problems.problems or dry_run or plan.is_empty()):
                phase(JobPhase.WRITING)
                _write(plan, user=user, problems=problems)
            if problems.problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if problems.problems:
        raise LedgerError(sorted(problems.problems, key=lambda p: (p.sheet != SITES_SHEET, p.row or 0)))
    return report


def _write(plan: LedgerPlan, *, user, problems: ProblemCollector) -> None:
    """Write the plan: sites parents first, then enterprises, then events, each with its history rows."""
    writer = BulkWriter(user=user)
    try:
        with transaction.atomic():
            for level in plan.new_sites:
                writer.create(Site, level)
            writer.update(Site, plan.changed_sites.values(), SITE_FIELDS)
            # Changed enterprises first: one may leave the (town, name) a new one takes.
            writer.update(Enterprise, plan.changed_enterprises.values(), ENTERPRISE_FIELDS)
            writer.create(Enterprise, plan.new_enterprises)
            writer.update(Event, plan.changed_events.values(), EVENT_FIELDS)
            writer.create(Event, plan.new_events)
            # Bulk writes send no signals: the derived tables are rebuilt here, for the towns concerned.
            site_tree.rebuild(town_ids=plan.town_ids)
            rollup.rebuild(town_ids=plan.town_ids)
            site_progress.rebuild(town_ids=plan.town_ids)
            evaluation_links.relink_for_ledger(town_ids=plan.town_ids, codes=[
                enterprise.credit_code for enterprise in (*plan.new_enterprises, *plan.changed_enterprises.values())])
    except IntegrityError as error:
        # Only a write made by someone else at the same time can get here (see the locks in LedgerState).
        problems.add(ENTERPRISES_SHEET, None, "",
                     _("This conflicts with a record saved at the same time: %(error)s") % {"error": error})
