"""The evaluation's stored status kept in step by every write path: the clearance twin, the class of the year before,
the rows' town, the towns' figures. Each is checked against its definition (derived.evaluation_links.differences and
derived.evaluation_rollup.differences, fresh lookups)."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from clearance import services
from clearance.choices import SizeClass
from clearance.derived import evaluation_links, evaluation_rollup
from clearance.models import EvaluatedEnterprise, EvaluationTownFigure, IndicatorRow
from clearance.selectors.evaluation import classes_by_town, town_classes
from clearance.services import evaluation
from clearance.validators import credit_code_check_character
from tests.evaluation.test_import import line, run_import, write_xlsx
from tests.factories import EnterpriseFactory, SiteFactory, TownFactory
from tests.ledger.test_import import enterprise_row, site_row
from tests.ledger.test_import import write_xlsx as write_ledger

pytestmark = pytest.mark.django_db

CODE = "91330482MA2B8XXXX" + credit_code_check_character("91330482MA2B8XXXX")


def twin_of(evaluated: EvaluatedEnterprise):
    evaluated.refresh_from_db()
    return evaluated.clearance_enterprise


def test_the_services_keep_the_twin_as_either_ledger_changes(db, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="x")
    town, other = TownFactory(name="广陈镇"), TownFactory(name="新埭镇")
    site = SiteFactory(town=town)
    evaluated = evaluation.evaluated_enterprise_upsert(town=town, name="某纺织厂")
    assert twin_of(evaluated) is None
    # The clearance ledger gains it by name, then it is renamed away, then given the code of the evaluated one.
    enterprise = EnterpriseFactory(site=site, town=town, name="某纺织厂")
    assert twin_of(evaluated) == enterprise
    enterprise = services.enterprise_update(enterprise=enterprise, expected_version=enterprise.version, user=admin,
                                            name="某纺织科技公司")
    assert twin_of(evaluated) is None
    evaluated = evaluation.evaluated_enterprise_update(enterprise=evaluated, expected_version=evaluated.version,
                                                       user=admin, credit_code=CODE)
    enterprise = services.enterprise_update(enterprise=enterprise, expected_version=enterprise.version, user=admin,
                                            credit_code=CODE)
    assert twin_of(evaluated) == enterprise  # by code, whatever the names
    # The evaluated enterprise moves town: by code it is still the same one, and its rows move with it.
    row = evaluation.indicator_row_upsert(enterprise=evaluated, year=2022, size=SizeClass.BELOW, land_mu=Decimal("3"))
    evaluated = evaluation.evaluated_enterprise_update(enterprise=evaluated, expected_version=evaluated.version,
                                                       user=admin, town=other)
    row.refresh_from_db()
    assert row.town == other and twin_of(evaluated) == enterprise and row.in_clearance
    # The towns' figures moved with the row: the enterprise (graded D, alone in its class) is 新埭镇's now.
    assert town_classes(2022, town).counts["D"] == 0 and town_classes(2022, other).counts["D"] == 1
    assert town_classes(2022, other).land_in_clearance_mu["D"] == Decimal("3")
    services.enterprise_delete(enterprise=enterprise, expected_version=enterprise.version, user=admin)
    assert twin_of(evaluated) is None
    row.refresh_from_db()
    assert not row.in_clearance
    # Out of clearance again: its land is no longer in clearance, and it is a candidate.
    assert town_classes(2022, other).land_in_clearance_mu["D"] == 0 and town_classes(2022, other).candidates == 1
    assert evaluation_links.differences() == [] and evaluation_rollup.differences() == []


def test_both_imports_keep_the_twin_whichever_comes_first(tmp_path, ledger_towns):
    # The evaluation first, then the ledger: the ledger's enterprises are joined by name and by code.
    status, _out, err = run_import(write_xlsx(tmp_path, [line(name="某贸易公司"), line(name="评价名", code=CODE)]))
    assert status == 0, err
    ledger = write_ledger(tmp_path, [site_row()], [enterprise_row(), enterprise_row(name="台账名", code=CODE)])
    call_command("import_ledger", str(ledger), stdout=io.StringIO(), stderr=io.StringIO())
    twins = dict(EvaluatedEnterprise.objects.values_list("name", "clearance_enterprise__name"))
    assert twins == {"某贸易公司": "某贸易公司", "评价名": "台账名"}
    # A new evaluated enterprise, then the ledger gains it through the pages' service: joined at once.
    status, _out, err = run_import(write_xlsx(tmp_path, [line(name="某针织厂", year=2023)]))
    assert status == 0, err
    assert twin_of(EvaluatedEnterprise.objects.get(name="某针织厂")) is None
    knitting = EnterpriseFactory(site=SiteFactory(town=ledger_towns[0], name="另一地块"), town=ledger_towns[0], name="某针织厂")
    assert twin_of(EvaluatedEnterprise.objects.get(name="某针织厂")) == knitting
    assert evaluation_links.differences() == [] and evaluation_rollup.differences() == []


def test_the_class_of_the_year_before_follows_a_rescoring_of_that_year(db):
    town = TownFactory(name="新仓镇")
    rows = {}
    for name, tax in (("甲", "10"), ("乙", "1")):
        enterprise = evaluation.evaluated_enterprise_upsert(town=town, name=name)
        for year in (2021, 2022):
            rows[name, year] = evaluation.indicator_row_upsert(
                enterprise=enterprise, year=year, size=SizeClass.BELOW, land_mu=Decimal("1"), tax_wan=Decimal(tax),
                power_10k_kwh=Decimal("1"))
    for key, row in rows.items():
        row.refresh_from_db()
    # Two graded: 甲 position 1 of 2 (0.5 → B), 乙 2 of 2 (1.0 → D), both years; 2022 rows carry 2021's class.
    assert rows["乙", 2022].previous_grade == "D" and rows["甲", 2022].previous_grade == "B"
    assert rows["乙", 2021].previous_grade == ""
    # 2021 corrected so that 乙 leads: the 2022 rows' class of the year before changes with it.
    evaluation.indicator_row_update(row=rows["乙", 2021], expected_version=rows["乙", 2021].version, user=None,
                                    tax_wan=Decimal("100"))
    assert IndicatorRow.objects.get(pk=rows["乙", 2022].pk).previous_grade == "B"
    assert IndicatorRow.objects.get(pk=rows["甲", 2022].pk).previous_grade == "D"


def test_verify_rollups_finds_and_repairs_a_broken_link(db):
    town = TownFactory(name="林埭镇")
    enterprise = EnterpriseFactory(site=SiteFactory(town=town), town=town, name="某厂")
    evaluated = evaluation.evaluated_enterprise_upsert(town=town, name="某厂")
    EvaluatedEnterprise.objects.filter(pk=evaluated.pk).update(clearance_enterprise=None)  # as a bug would leave it
    out = io.StringIO()
    with pytest.raises(Exception, match="1 in the evaluation's links"):
        call_command("verify_rollups", stdout=out)
    call_command("verify_rollups", "--repair", stdout=io.StringIO())
    assert twin_of(evaluated) == enterprise


def test_verify_rollups_finds_and_repairs_a_towns_evaluation_figure(db):
    town = TownFactory(name="当湖街道")
    evaluated = evaluation.evaluated_enterprise_upsert(town=town, name="某化纤厂")
    evaluation.indicator_row_upsert(enterprise=evaluated, year=2022, size=SizeClass.BELOW, land_mu=Decimal("4"),
                                    tax_wan=Decimal("8"))
    city, towns = classes_by_town(2022)[2022]
    assert [each.town for each in towns] == [town] and city.tax_per_mu == Decimal("2")
    EvaluationTownFigure.objects.filter(town=town, year=2022).update(tax=Decimal("80"))  # as a bug would leave it
    with pytest.raises(Exception, match="1 in the towns' evaluation figures"):
        call_command("verify_rollups", stdout=io.StringIO())
    call_command("verify_rollups", "--repair", stdout=io.StringIO())
    assert classes_by_town(2022)[2022][0].tax_per_mu == Decimal("2") and evaluation_rollup.differences() == []
