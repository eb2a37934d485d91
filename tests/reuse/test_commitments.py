"""履约, worked on paper: met, missed, unverified, and not yet due."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from clearance import services
from clearance.choices import CommitmentState
from clearance.derived import commitments as derived_commitments
from clearance.models import IndicatorRow, Project
from clearance.services import evaluation
from clearance.selectors.reuse import CITY_COMMITMENTS, due_projects, reuse_summary
from tests.evaluation.builders import below
from tests.reuse.builders import project, vacated_site
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


def operator(town, name, rows):
    """An evaluated enterprise with a 规下 row per (year, land, tax)."""
    row = None
    for year, land, tax in rows:
        row = below(town, name, year=year, land=land, tax=tax, power="100")
    return row.enterprise


@pytest.fixture
def commitments():
    """Four projects committed to 3 万元/亩 at full production."""
    town = TownFactory(name="履约镇")
    site = vacated_site(town, "履约地块", "100", date(2021, 1, 1))

    def committed(name, full_production_on, rows, tax="3"):
        runs = operator(town, f"{name}公司", rows) if rows is not None else None
        return project(town, name, investment="1000", tax=tax, full_production_on=full_production_on,
                       operator=runs, land=[(site, "10")])

    return {
        "town": town,
        # 2022: 30 万元 over 10 亩 = 3.0, reaching 3 exactly. The 2020 row is before 达产: it does not count.
        "met": committed("达标项目", date(2021, 12, 31), [(2020, "10", "1"), (2022, "10", "30")]),
        # 2022: 29.99 over 10 亩 falls short; 2020's 50 is before 达产.
        "missed": committed("未达标项目", date(2022, 6, 30), [(2020, "10", "50"), (2022, "10", "29.99")]),
        # Only 2021 evaluated, before its 达产 year 2022: nothing to judge by yet.
        "unverified": committed("待核验项目", date(2022, 6, 30), [(2021, "10", "99")]),
        "no_operator": committed("无运营企业项目", date(2022, 1, 31), None),
        # Due only from 2023.
        "later": committed("未到期项目", date(2023, 1, 31), [(2022, "10", "1")]),
    }


def test_each_commitment_state_by_hand(commitments):
    states = dict(due_projects(period_end=date(2022, 12, 31)).values_list("name", "commitment"))
    assert states == {
        "达标项目": CommitmentState.MET,
        "未达标项目": CommitmentState.MISSED,
        "待核验项目": CommitmentState.UNVERIFIED,
        "无运营企业项目": CommitmentState.UNVERIFIED,
    }


def test_a_later_evaluation_reaching_the_commitment_keeps_it(commitments):
    below(commitments["town"], "未达标项目公司", year=2023, land="10", tax="31", power="100")
    states = dict(due_projects(period_end=date(2023, 12, 31)).values_list("name", "commitment"))
    assert states["未达标项目"] == CommitmentState.MET
    # Due now, but 2023 is not evaluated for it and 2022 is before its 达产 year: nothing to judge by.
    assert states["未到期项目"] == CommitmentState.UNVERIFIED


def test_the_counts_per_period(commitments):
    summary = reuse_summary(year=2022, month=3)
    # Due by 31 March 2022: 达标 (2021-12-31) and 无运营企业 (2022-01-31).
    assert summary.city.commitments == {"due": 2, "met": 1, "missed": 0, "unverified": 1}
    summary = reuse_summary(year=2022, month=8)
    assert summary.city.commitments == {"due": 4, "met": 1, "missed": 1, "unverified": 2}
    town = next(scope for scope in summary.towns if scope.pk == commitments["town"].pk)
    assert town.commitments == summary.city.commitments


@pytest.mark.parametrize(("month", "expected"), [
    (8, {"due": 4, "met": 1, "missed": 1, "unverified": 2}),
    (3, {"due": 2, "met": 1, "missed": 0, "unverified": 1}),
])
def test_a_page_counting_the_city_s_or_one_town_s_commitments_alone_gets_the_same_counts(commitments, month, expected):
    other = TownFactory(name="别镇")
    town = commitments["town"]

    city_only = reuse_summary(year=2022, month=month, commitments_of=CITY_COMMITMENTS)
    town_only = reuse_summary(year=2022, month=month, commitments_of=town.pk)
    other_only = reuse_summary(year=2022, month=month, commitments_of=other.pk)

    assert city_only.city.commitments == expected
    assert next(scope for scope in town_only.towns if scope.pk == town.pk).commitments == expected
    assert next(scope for scope in other_only.towns if scope.pk == other.pk).commitments == {
        "due": 0, "met": 0, "missed": 0, "unverified": 0}
    # What was not counted is None, never a zero that reads as a count.
    assert all(scope.commitments is None for scope in city_only.towns)
    assert town_only.city.commitments is None and other_only.city.commitments is None
    assert [scope.pk for scope in town_only.towns if scope.commitments is not None] == [town.pk]


def test_the_city_s_commitments_alone_are_zeros_before_any_is_due(commitments):
    summary = reuse_summary(year=2021, month=1, commitments_of=CITY_COMMITMENTS)

    assert summary.city.commitments == {"due": 0, "met": 0, "missed": 0, "unverified": 0}


def test_a_committed_value_with_more_decimals_than_the_figures_is_compared_exactly(commitments):
    """3.01 万元/亩 over 10 亩 needs 30.10; 30.09 falls short, where a rounded 亩均税收 would not tell."""
    town = commitments["town"]
    site = vacated_site(town, "精确地块", "10", date(2021, 1, 1))
    runs = operator(town, "精确公司", [(2022, "10", "30.09")])
    project(town, "精确项目", investment="1", tax=Decimal("3.01"), full_production_on=date(2022, 1, 1),
            operator=runs, land=[(site, "10")])
    assert due_projects(period_end=date(2022, 12, 31)).get(name="精确项目").commitment == CommitmentState.MISSED


def test_the_stored_state_follows_every_write_and_verify_rollups_repairs_it(commitments, django_user_model):
    """Project.commitment is kept by the services (derived.commitments); each write below changes a state."""
    admin = django_user_model.objects.create_superuser("boss", password="x")
    missed = commitments["missed"]
    row = IndicatorRow.objects.get(enterprise=missed.operator, year=2022)
    # The operator's 2022 row corrected to 30 万元: the commitment is met.
    evaluation.indicator_row_update(row=row, expected_version=row.version, user=admin, tax_wan=Decimal("30"))
    assert Project.objects.get(pk=missed.pk).commitment == CommitmentState.MET
    # The commitment raised to 3.5 万元/亩: missed again.
    missed.refresh_from_db()
    services.project_update(project=missed, expected_version=missed.version, user=admin,
                            committed_tax_per_mu_wan=Decimal("3.5"))
    assert Project.objects.get(pk=missed.pk).commitment == CommitmentState.MISSED
    # The row deleted: nothing of its 达产 year or later to judge by.
    row.refresh_from_db()
    evaluation.indicator_row_delete(row=row, expected_version=row.version, user=admin)
    assert Project.objects.get(pk=missed.pk).commitment == CommitmentState.UNVERIFIED
    assert derived_commitments.differences() == []

    Project.objects.filter(pk=commitments["met"].pk).update(commitment=CommitmentState.MISSED)  # as a bug would
    with pytest.raises(Exception, match="1 in the projects' commitments"):
        call_command("verify_rollups", stdout=io.StringIO())
    call_command("verify_rollups", "--repair", stdout=io.StringIO())
    assert Project.objects.get(pk=commitments["met"].pk).commitment == CommitmentState.MET
