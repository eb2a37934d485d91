"""Leave half of each page of the indicator rows free (PostgreSQL), so that scoring rewrites a row on its own page.

Scoring a year rewrites its rows' scores; a new row version that fits on the row's page and changes no indexed
column is a HOT update, with no new index entries. Packed pages (the default fillfactor of 100) move every
rewritten row to another page and add an entry to each of the table's five indexes: measured at 100,000 rows,
most of the time of a recompute.
"""

from django.db import migrations

FILLFACTOR = 50


def set_fillfactor(apps, schema_editor, value=FILLFACTOR):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("clearance", "IndicatorRow")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")


def reset_fillfactor(apps, schema_editor):
    set_fillfactor(apps, schema_editor, value=100)


class Migration(migrations.Migration):
    dependencies = [("clearance", "0008_evaluation")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
