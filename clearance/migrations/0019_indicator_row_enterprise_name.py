"""The enterprise's name copied onto its indicator rows (derived.row_copies), filled from the enterprises, and the
indexes that give the evaluation's pages in their order: total, then the name, then the row."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

TABLE = "clearance_indicatorrow"
# A candidate for clearance (selectors.evaluation.candidate_condition), as the ORM writes the filter, so that
# PostgreSQL sees the candidates' queries imply it and reads the partial index.
CANDIDATE = """(("grade" = 'D' OR ("grade" = 'C' AND "previous_grade" = 'C')) AND NOT "in_clearance")"""


def fill(apps, schema_editor):
    IndicatorRow = apps.get_model("clearance", "IndicatorRow")
    EvaluatedEnterprise = apps.get_model("clearance", "EvaluatedEnterprise")
    name = EvaluatedEnterprise.objects.filter(pk=OuterRef("enterprise_id")).values("name")[:1]
    IndicatorRow.objects.update(enterprise_name=Subquery(name))


INDEXES = ("clearance_ind_year_total", "clearance_ind_town_total", "clearance_ind_grade_total",
           "clearance_ind_candidates", "clearance_ind_year_candidates", "clearance_ind_year_total_asc",
           "clearance_ind_year_name", "clearance_ind_year_position")


def create_indexes(apps, schema_editor):
    """A year's rows (a town's, a class's) best total first and the ungraded last, then by name and row: the
    evaluation's pages read their first page from these (a class's index replaces (year, grade), its prefix); the
    candidates (a town's lowest total first; the city's filtered on its page) from two partial indexes that hold them
    alone; the table sorted by score (lowest first: a click on the header), by name or by position from the last three.
    Filtered by a class or the candidates, a page read from the year's index would walk past every better row first:
    the classes C and D and the candidates are at its end.
    SQLite has no NULLS LAST in an index (its indexes serve it less well; it never holds a million rows)."""
    table = schema_editor.quote_name(TABLE)
    # IF EXISTS: SQLite rebuilds the table to add the column, without the indexes the models do not declare.
    schema_editor.execute("DROP INDEX IF EXISTS clearance_ind_year_total")
    schema_editor.execute("DROP INDEX IF EXISTS clearance_ind_town_total")
    if schema_editor.connection.vendor == "postgresql":
        desc, asc = "total DESC NULLS LAST", "total ASC NULLS LAST"
    else:
        desc, asc = "total DESC", "total"
    tail = "enterprise_name, id"
    schema_editor.execute(f"CREATE INDEX clearance_ind_year_total ON {table} (year, {desc}, {tail})")
    schema_editor.execute(f"CREATE INDEX clearance_ind_town_total ON {table} (year, town_id, {desc}, {tail})")
    schema_editor.execute(f"CREATE INDEX clearance_ind_grade_total ON {table} (year, grade, {desc}, {tail})")
    schema_editor.execute(f"CREATE INDEX clearance_ind_candidates ON {table} (year, town_id, {asc}, {tail}) WHERE {CANDIDATE}")
    schema_editor.execute(f"CREATE INDEX clearance_ind_year_candidates ON {table} (year, {desc}, {tail}) WHERE {CANDIDATE}")
    # Ascending, nulls come last on PostgreSQL by default: the order of ?sort=total.
    schema_editor.execute(f"CREATE INDEX clearance_ind_year_total_asc ON {table} (year, total, {tail})")
    schema_editor.execute(f"CREATE INDEX clearance_ind_year_name ON {table} (year, {tail})")
    schema_editor.execute(f"CREATE INDEX clearance_ind_year_position ON {table} (year, position, {tail})")


def drop_indexes(apps, schema_editor):
    table = schema_editor.quote_name(TABLE)
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX clearance_ind_year_total ON {table} (year, total DESC NULLS LAST)")
        schema_editor.execute(f"CREATE INDEX clearance_ind_town_total ON {table} (year, town_id, total DESC NULLS LAST)")
    else:
        schema_editor.execute(f"CREATE INDEX clearance_ind_year_total ON {table} (year, total)")
        schema_editor.execute(f"CREATE INDEX clearance_ind_town_total ON {table} (year, town_id, total)")


class Migration(migrations.Migration):

    dependencies = [
        ('clearance', '0018_site_progress'),
    ]

    operations = [
        migrations.AddField(
            model_name='indicatorrow',
            name='enterprise_name',
            field=models.CharField(default='', editable=False, max_length=100, verbose_name='enterprise name'),
            preserve_default=False,
        ),
        migrations.RemoveIndex(
            model_name='indicatorrow',
            name='clearance_ind_year_grade',
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
