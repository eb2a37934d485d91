"""Importing the 亩均数据 sheet: read, parse, plan in memory, write with the one bulk writer, rescore; all or nothing."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..bulk import BulkWriter, chunks
from ..choices import JobPhase
from ..derived import evaluation_links, row_copies
from ..ledger import LedgerError, SheetRow, read_sheet
from ..ledger.parse import ProblemCollector, check_header
from ..ledger.report import Counts
from ..models import EvaluatedEnterprise, IndicatorRow, Town
from ..services.evaluation import scores_recompute
from .columns import CODE, FIGURE_COLUMNS, FIGURE_FIELDS, NAME, REQUIRED, SHEET, SIZE_WORDS
from .parse import IndicatorLine, parse_lines

ENTERPRISE_FIELDS = ("name", "town", "credit_code", "version")
ROW_FIELDS = (*FIGURE_FIELDS, "size", "exempt", "version")
FIGURE_NAMES = {field: column for column, field in FIGURE_COLUMNS.items()}
# The preview lists at most this many rows created or changed.
PREVIEW_ROWS = 300


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it (a dry run, or bad rows)."""


@dataclass
class IndicatorReport:
    """What an import of evaluation data created, changed and left alone; the years and size classes rescored."""

    enterprises: Counts = field(default_factory=Counts)
    rows: Counts = field(default_factory=Counts)
    rescored: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False
    # For the preview: (town, enterprise, year, created, [(column, old, new)]), the first PREVIEW_ROWS of them.
    changes: list[tuple[str, str, int, bool, list[tuple[str, str, str]]]] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            _("%(kind)s: %(created)s created, %(changed)s changed, %(unchanged)s unchanged")
            % {"kind": kind, "created": counts.created, "changed": counts.changed, "unchanged": counts.unchanged}
            for kind, counts in ((_("Evaluated enterprises"), self.enterprises), (_("Evaluation data rows"), self.rows))
        ]
        if self.rescored:
            lines.append(_("Scores and classes computed again for: %(groups)s") % {
                "groups": "、".join(f"{year} {SIZE_WORDS[size]}" for year, size in self.rescored)})
        return lines


def indicators_import(*, path: Path | None = None, rows: list[SheetRow] | None = None, user=None,
                      dry_run: bool = False, progress: Callable[[int, int], None] | None = None,
                      phase: Callable[[JobPhase], None] | None = None, max_rows: int | None = None) -> IndicatorReport:
    """Import the 亩均数据 sheet of PATH (an .xlsx, or a .csv), all or nothing; raise LedgerError naming every bad row.

    An enterprise is keyed by its credit code when given, else by (镇街道, 企业名称); a row by (enterprise, 年度).
    Re-importing the same file changes nothing; a changed value is updated in place and kept in the history,
    attributed to USER. The years and size classes whose rows changed are scored again in the same
    transaction. PHASE and PROGRESS report as for ledger_import; MAX_ROWS bounds a sheet read from PATH.
    """
    phase = phase or (lambda _phase: None)
    if rows is None:
        phase(JobPhase.READING)
        rows = read_sheet(path, SHEET, max_rows=max_rows)
    phase(JobPhase.CHECKING)
    problems = ProblemCollector()
    check_header(SHEET, rows, REQUIRED, problems)
    if problems.problems:
        raise LedgerError(problems.problems)
    towns = {town.name: town for town in Town.objects.all()}
    lines = parse_lines(rows, towns, problems)
    report = IndicatorReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            plan = _Plan(lines, problems, report, progress)
            if not (problems.problems or dry_run or plan.is_empty()):
                phase(JobPhase.WRITING)
                plan.write(user)
            if problems.problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if problems.problems:
        raise LedgerError(sorted(problems.problems, key=lambda problem: problem.row or 0))
    return report


class _Plan:
    """The enterprises and rows the import creates and changes, worked out in memory against what is stored."""

    def __init__(self, lines: list[IndicatorLine], problems: ProblemCollector, report: IndicatorReport,
                 progress: Callable[[int, int], None] | None):
        self.problems, self.report = problems, report
        self.new_enterprises: list[EvaluatedEnterprise] = []
        self.changed_enterprises: dict[int, EvaluatedEnterprise] = {}
        self.new_rows: list[IndicatorRow] = []
        self.changed_rows: dict[int, IndicatorRow] = {}
        self.groups: set[tuple[int, str]] = set()
        self._load(lines)
        seen: dict[tuple[int, int], int] = {}
        # Earlier years first: where a code's enterprise changed its name, the latest year's name is kept.
        ordered = sorted(lines, key=lambda line: (line.year, line.row))
        for done, line in enumerate(ordered, start=1):
            enterprise = self._enterprise(line)
            if enterprise is not None:
                key = (id(enterprise), line.year)
                if key in seen:
                    problems.add(SHEET, line.row, CODE if line.code else NAME,
                                 _("The same enterprise and year is already on row %(row)s.") % {"row": seen[key]})
                else:
                    seen[key] = line.row
                    self._row(enterprise, line)
            if progress is not None:
                progress(done, len(ordered))
        # Compared once all lines are placed: a code's enterprise may take an old name and then its latest one.
        for enterprise in {id(obj): obj for obj in self._touched}.values():
            if enterprise.pk is not None and self._identity(enterprise) != self._stored_identity[enterprise.pk]:
                enterprise.version += 1
                self.changed_enterprises[enterprise.pk] = enterprise
            self.report.enterprises.count(created=enterprise.pk is None, changed=enterprise.pk in self.changed_enterprises)

    @staticmethod
    def _identity(enterprise: EvaluatedEnterprise) -> tuple:
        return (enterprise.town_id, enterprise.name, enterprise.credit_code)

    def is_empty(self) -> bool:
        return not (self.new_enterprises or self.changed_enterprises or self.new_rows or self.changed_rows)

    def _load(self, lines: list[IndicatorLine]) -> None:
        """Load, locked, the stored enterprises the lines name by code or by (town, name), and their rows of those years."""
        codes = sorted({line.code for line in lines if line.code})
        names = sorted({line.name for line in lines})
        found: dict[int, EvaluatedEnterprise] = {}
        locked = EvaluatedEnterprise.objects.select_for_update().order_by()
        for part in chunks(codes, 5000):
            found.update((obj.pk, obj) for obj in locked.filter(credit_code__in=part))
        for part in chunks(names, 5000):
            found.update((obj.pk, obj) for obj in locked.filter(name__in=part))
        self._stored_identity = {pk: self._identity(obj) for pk, obj in found.items()}
        self.by_code = {obj.credit_code: obj for obj in found.values() if obj.credit_code}
        self.by_name = {(obj.town_id, obj.name): obj for obj in found.values()}
        self.stored_rows: dict[tuple[int, int], IndicatorRow] = {}
        years = sorted({line.year for line in lines})
        for part in chunks(sorted(found), 5000):
            for row in IndicatorRow.objects.select_for_update().order_by().filter(enterprise_id__in=part, year__in=years):
                self.stored_rows[(row.enterprise_id, row.year)] = row
        self._touched: list[EvaluatedEnterprise] = []

    def _enterprise(self, line: IndicatorLine) -> EvaluatedEnterprise | None:
        """Return the enterprise LINE names, stored or new, renamed or given its code as the line says; None if it conflicts."""
        named = self.by_name.get((line.town.pk, line.name))
        enterprise = self.by_code.get(line.code) if line.code else None
        if enterprise is not None:
            if named is not None and named is not enterprise:
                self.problems.add(SHEET, line.row, NAME, _(
                    "%(town)s already has an enterprise named %(name)s with another credit code (%(code)s)."
                ) % {"town": line.town.name, "name": line.name, "code": named.credit_code or _("none")})
                return None
        elif named is not None:
            if line.code and named.credit_code and named.credit_code != line.code:
                self.problems.add(SHEET, line.row, CODE, _(
                    "%(name)s of %(town)s has the credit code %(stored)s, not %(code)s."
                ) % {"name": line.name, "town": line.town.name, "stored": named.credit_code, "code": line.code})
                return None
            enterprise = named
        else:
            enterprise = EvaluatedEnterprise(town=line.town, name=line.name, credit_code=line.code)
            self.new_enterprises.append(enterprise)
            self.by_name[(line.town.pk, line.name)] = enterprise
            if line.code:
                self.by_code[line.code] = enterprise
            self._touched.append(enterprise)
            return enterprise
        if (enterprise.town_id, enterprise.name) != (line.town.pk, line.name):
            self.by_name.pop((enterprise.town_id, enterprise.name), None)
            enterprise.town, enterprise.name = line.town, line.name
            self.by_name[(line.town.pk, line.name)] = enterprise
        if line.code and enterprise.credit_code != line.code:
            enterprise.credit_code = line.code
            self.by_code[line.code] = enterprise
        self._touched.append(enterprise)
        return enterprise

    def _row(self, enterprise: EvaluatedEnterprise, line: IndicatorLine) -> None:
        values = {**line.figures, "size": line.size, "exempt": line.exempt}
        stored = self.stored_rows.get((enterprise.pk, line.year)) if enterprise.pk is not None else None
        if stored is None:
            self.new_rows.append(IndicatorRow(enterprise=enterprise, year=line.year, **values))
            self.groups.add((line.year, line.size))
            self.report.rows.count(created=True)
            self._preview(line, created=True, changes=[
                (FIGURE_NAMES[name], "", _text(value)) for name, value in line.figures.items() if value is not None])
            return
        differing = {name: value for name, value in values.items() if getattr(stored, name) != value}
        if not differing:
            self.report.rows.count()
            return
        self.groups.update({(line.year, stored.size), (line.year, line.size)})
        changes = [(FIGURE_NAMES.get(name, name), _text(getattr(stored, name)), _text(value))
                   for name, value in differing.items()]
        for name, value in differing.items():
            setattr(stored, name, value)
        stored.version += 1
        self.changed_rows[stored.pk] = stored
        self.report.rows.count(changed=True)
        self._preview(line, created=False, changes=changes)

    def _preview(self, line: IndicatorLine, *, created: bool, changes: list) -> None:
        if len(self.report.changes) < PREVIEW_ROWS:
            self.report.changes.append((line.town.name, line.name, line.year, created, changes))

    def write(self, user) -> None:
        """Write the plan with its history rows, then score again the years and size classes it touched."""
        writer = BulkWriter(user=user)
        try:
            with transaction.atomic():
                writer.update(EvaluatedEnterprise, self.changed_enterprises.values(), ENTERPRISE_FIELDS)
                writer.create(EvaluatedEnterprise, self.new_enterprises)
                writer.update(IndicatorRow, self.changed_rows.values(), ROW_FIELDS)
                for row in self.new_rows:
                    enterprise = row.enterprise  # its town and name copied onto the row (derived.row_copies)
                    row.enterprise_id, row.town_id = enterprise.pk, enterprise.town_id
                    row.enterprise_name = enterprise.name
                writer.create(IndicatorRow, self.new_rows)
                writer.wait()
                # A row has its enterprise's town and name (an enterprise known by its code may have moved or been
                # renamed).
                row_copies.follow(list(self.changed_enterprises))
                touched = [enterprise.pk for enterprise in (*self.new_enterprises, *self.changed_enterprises.values())]
                for part in chunks(touched, 5000):
                    evaluation_links.relink(EvaluatedEnterprise.objects.filter(pk__in=part))
        except IntegrityError as error:
            # Only a write made by someone else at the same time can get here (the stored rows are locked).
            self.problems.add(SHEET, None, "", _("This conflicts with a record saved at the same time: %(error)s")
                              % {"error": error})
            return
        for year, size in sorted(self.groups):
            scores_recompute(year=year, size=size)
        self.report.rescored = sorted(self.groups)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if hasattr(value, "normalize"):
        return f"{value.normalize():f}"
    return SIZE_WORDS.get(value, str(value))
