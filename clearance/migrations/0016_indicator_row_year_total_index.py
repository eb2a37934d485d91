from django.db import migrations


def create_year_total_index(apps, schema_editor):
    """A year's rows by total, best first and the ungraded last: the evaluation's first page at a million rows reads
    fifty of them from this index instead of sorting the year (2 s); SQLite has no NULLS LAST in an index."""
    table = schema_editor.quote_name("clearance_indicatorrow")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX clearance_ind_year_total ON {table} (year, total DESC NULLS LAST)")
    else:
        schema_editor.execute(f"CREATE INDEX clearance_ind_year_total ON {table} (year, total)")


def drop_year_total_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX clearance_ind_year_total")


class Migration(migrations.Migration):

    dependencies = [
        ('clearance', '0015_project_commitment'),
    ]

    operations = [
        migrations.RunPython(create_year_total_index, drop_year_total_index),
    ]
