"""The rule checks the models and the importer share (clearance/rules.py): each refusal, its message, its code."""

from datetime import date

import pytest

from clearance.choices import Disposal, Stage
from clearance.rules import (
    after_site_vacated_problem,
    enterprise_event_problem,
    next_stage,
    parent_chain_contains,
    site_vacate_problem,
    stage_dates_problem,
    vacated_site_problem,
)

from tests.errors import error_code_dict, error_codes


def test_stage_dates_problem_refuses_a_stage_dated_before_an_earlier_one():
    problem = stage_dates_problem(Stage.VACATED, date(2022, 3, 1), {Stage.SIGNED: date(2022, 3, 2)})

    assert problem.message_dict == {"occurred_on": ["腾退日期 2022-03-01 早于签约日期 2022-03-02：各节点须按顺序。"]}
    assert error_code_dict(problem) == {"occurred_on": ["dates_out_of_order"]}
    assert stage_dates_problem(Stage.VACATED, date(2022, 3, 2), {Stage.SIGNED: date(2022, 3, 2)}) is None


def test_enterprise_event_problem_checks_prerequisites_before_dates():
    def problem(stage, others, disposal):
        found = enterprise_event_problem(stage, date(2022, 5, 1), others, disposal=disposal, site_vacated_on=None,
                                         site_name="")
        return (found.message_dict, error_code_dict(found)) if found is not None else None

    assert problem(Stage.CLOSED, {Stage.SIGNED: date(2022, 6, 1)}, Disposal.SHUT_DOWN) == (
        {"stage": ["须先记录“腾退”，才能记录“销号”。"]}, {"stage": ["stage_out_of_order"]})
    assert problem(Stage.CLOSED, {Stage.SIGNED: date(2022, 4, 1)}, Disposal.UPGRADE) is None


def test_after_site_vacated_problem_allows_an_enterprise_already_out_by_then():
    def problem(others):
        return after_site_vacated_problem(Stage.CLOSED, date(2022, 5, 2), others, site_vacated_on=date(2022, 5, 1),
                                          site_name="甲地块")

    refused = problem({Stage.SIGNED: date(2022, 4, 1)})

    assert refused.message_dict == {"occurred_on": ["甲地块已于 2022-05-01 腾退，该企业须在此之前腾出。"]}
    assert error_code_dict(refused) == {"occurred_on": ["after_site_vacated"]}
    assert problem({Stage.VACATED: date(2022, 5, 1)}) is None


def test_site_vacate_problem_counts_and_names_the_enterprises_still_there_by_name():
    out_dates = [("丁", None), ("乙", date(2022, 5, 2)), ("甲", date(2022, 5, 1)), ("丙", None), ("戊", None)]

    problem = site_vacate_problem(date(2022, 5, 1), out_dates)

    assert problem.messages == [
        f"地块不能在 2022-05-01 腾退：其上还有 4 家企业（{'、'.join(sorted(['丁', '乙', '丙', '戊'])[:3])}）届时尚未腾退或销号。"]
    assert error_codes(problem) == ["site_not_empty"]
    assert site_vacate_problem(date(2022, 5, 2), [("乙", date(2022, 5, 2))]) is None


def test_vacated_site_problem_refuses_only_a_move_onto_the_site():
    problem = vacated_site_problem(site_vacated=True, stored_site_id=None, site_id=7, site_name="甲")

    assert problem.messages == ["“甲”已记录腾退，不能再添加企业。"]
    assert error_codes(problem) == ["site_vacated"]
    assert vacated_site_problem(site_vacated=True, stored_site_id=7, site_id=7, site_name="甲") is None
    assert vacated_site_problem(site_vacated=False, stored_site_id=None, site_id=7, site_name="甲") is None


def test_parent_chain_contains_finds_a_cycle_and_stops_on_one_elsewhere():
    parents = {"b": "c", "c": "a", "x": "y", "y": "x"}

    assert parent_chain_contains("a", "b", parents.get) is True
    assert parent_chain_contains("a", "x", parents.get) is False


# The next stage to record (the stage form preselects it) ------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "disposal", "expected"),
    [
        ((), "", Stage.SURVEYED),
        ((), Disposal.UPGRADE, Stage.SURVEYED),
        ((Stage.SURVEYED,), Disposal.VACATE, Stage.NEGOTIATING),
        ((Stage.SURVEYED, Stage.NEGOTIATING), Disposal.VACATE, Stage.SIGNED),
        # A ledger often starts at 签约: what comes before it is not asked for again.
        ((Stage.SIGNED,), Disposal.VACATE, Stage.VACATED),
        ((Stage.SIGNED,), "", Stage.VACATED),
        ((Stage.SIGNED,), Disposal.SHUT_DOWN, Stage.VACATED),
        ((Stage.SIGNED,), Disposal.MOVE_TO_PARK, Stage.VACATED),
        # Kept in place: after 签约 comes 销号, never 腾退 or 拆除.
        ((Stage.SIGNED,), Disposal.UPGRADE, Stage.CLOSED),
        ((Stage.SURVEYED, Stage.NEGOTIATING, Stage.SIGNED), Disposal.MERGE, Stage.CLOSED),
        ((Stage.SIGNED, Stage.VACATED), Disposal.UPGRADE, Stage.CLOSED),
        # 洽谈 recorded alone: 签约 next, whatever the disposal.
        ((Stage.NEGOTIATING,), Disposal.UPGRADE, Stage.SIGNED),
        ((Stage.SIGNED, Stage.VACATED), Disposal.VACATE, Stage.DEMOLISHED),
        ((Stage.SIGNED, Stage.VACATED, Stage.DEMOLISHED), Disposal.VACATE, Stage.CLOSED),
        # 销号 without 拆除 (allowed): nothing left to record.
        ((Stage.SIGNED, Stage.VACATED, Stage.CLOSED), Disposal.VACATE, None),
        ((Stage.SIGNED, Stage.CLOSED), Disposal.UPGRADE, None),
    ],
)
def test_next_stage_is_the_least_later_stage_not_recorded_whose_prerequisites_are_met(recorded, disposal, expected):
    assert next_stage([int(stage) for stage in recorded], disposal) == expected


def test_next_stage_is_none_when_no_later_stage_has_its_prerequisites():
    # 销号 recorded under 改造提升, then the disposal changed to 腾退收回: 腾退 would come before it, so nothing is offered.
    assert next_stage([Stage.SIGNED, Stage.CLOSED], Disposal.VACATE) is None
