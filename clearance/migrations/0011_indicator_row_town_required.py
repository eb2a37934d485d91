"""The rows' town made required once filled (a migration of its own: PostgreSQL does not alter a table with the
fill's deferred checks pending), and the index a town's evaluation page reads."""

import django.db.models.deletion
from django.db import migrations, models


def town_total_index(apps, schema_editor):
    """A town's rows of a year, best total first and the ungraded last; SQLite has no NULLS LAST in an index."""
    table = schema_editor.quote_name("clearance_indicatorrow")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX clearance_ind_town_total ON {table} (year, town_id, total DESC NULLS LAST)")
    else:
        schema_editor.execute(f"CREATE INDEX clearance_ind_town_total ON {table} (year, town_id, total)")


def drop_town_total_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX clearance_ind_town_total")


class Migration(migrations.Migration):

    dependencies = [
        ('clearance', '0010_evaluation_town_link'),
    ]

    operations = [
        migrations.AlterField(
            model_name='indicatorrow',
            name='town',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clearance.town', verbose_name='town'),
        ),
        migrations.RunPython(town_total_index, drop_town_total_index),
    ]
