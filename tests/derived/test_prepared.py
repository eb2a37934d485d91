"""The statements recording runs on every save are prepared once per PostgreSQL connection, and give the same rows."""

from datetime import date

import pytest
from django.db import connection, transaction

from clearance import services
from clearance.choices import Stage
from clearance.derived import prepared, rollup, site_progress
from clearance.derived.prepared import _numbered

from tests.factories import EnterpriseFactory, SiteFactory


def test_placeholders_are_numbered_in_order_and_a_literal_percent_kept():
    assert _numbered("SELECT %s, name LIKE '%%镇' FROM t WHERE a = %s AND b IN (%s, %s)") == (
        "SELECT $1, name LIKE '%镇' FROM t WHERE a = $2 AND b IN ($3, $4)")


def server_prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
@pytest.mark.django_db
def test_a_statement_is_prepared_once_per_connection_and_survives_a_rolled_back_save():
    site = SiteFactory()
    first, second = EnterpriseFactory(site=site), EnterpriseFactory(site=site)
    connection.prepared_statements = set()  # as a new connection starts
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")

    # A save refused after its statements ran (here: rolled back) leaves them prepared for the next one.
    with transaction.atomic():
        services.event_record(enterprise=first, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
        transaction.set_rollback(True)
    assert {"rollup_new_event_0", "site_progress_enterprise_0", "site_progress_enterprise_1"} <= server_prepared()
    services.event_record(enterprise=second, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)

    assert connection.prepared_statements == server_prepared() & connection.prepared_statements
    assert rollup.differences() == [] and site_progress.differences() == []


@pytest.mark.django_db
def test_the_same_call_runs_plainly_or_prepared_with_the_same_result():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE prepared_probe (n bigint, day date)")
    for n in (1, 2):
        prepared.execute("prepared_probe_insert", "INSERT INTO prepared_probe (n, day) VALUES (%s, %s)",
                         [n, date(2022, 1, n)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT n, day FROM prepared_probe ORDER BY n")
        rows = [(n, day if isinstance(day, date) else date.fromisoformat(day)) for n, day in cursor.fetchall()]
    assert rows == [(1, date(2022, 1, 1)), (2, date(2022, 1, 2))]
