"""The crashes and wrong acceptances the fuzz tests found, each with its minimal failing value: a clear refusal now."""

import csv
import io
import zipfile
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from clearance.choices import Stage
from clearance.ledger import ENTERPRISE_COLUMNS, SITE_COLUMNS, LedgerError, read_ledger
from clearance.models import Event, Site

from tests.errors import form_error_codes
from tests.fuzz_helpers import fingerprint
from tests.ledger.test_import import enterprise_row, site_row, write_xlsx

pytestmark = pytest.mark.django_db

CONTROL_MESSAGE = "请删除文字中的控制字符（如 NUL）。"


def strict_client(user) -> Client:
    """A signed-in client that re-raises a view's exception, so a regression fails with its traceback."""
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def field_errors(response) -> dict[str, list[str]]:
    return {name: [str(message) for message in messages] for name, messages in response.context["form"].errors.items()}


# Pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["新\x00地块", "新\x01地块", "\x1b[31m地块"])
def test_site_name_with_a_control_character_is_refused(world, name):
    # "\x01" was saved, and then the ledger and workspace exports failed: no workbook can hold it.
    client = strict_client(world.official)
    before = fingerprint()

    response = client.post(reverse("clearance:site_create", args=[world.town.pk]), {"name": name, "area_mu": "3"})

    assert response.status_code == 200
    assert field_errors(response) == {"name": [CONTROL_MESSAGE]}
    assert form_error_codes(response.context["form"]) == {"name": ["control_characters"]}
    assert fingerprint() == before


def test_event_note_with_a_control_character_is_refused_but_tabs_and_new_lines_are_kept(world):
    client = strict_client(world.official)
    url = reverse("clearance:enterprise_event_create", args=[world.enterprise.pk])

    refused = client.post(url, {"stage": Stage.SURVEYED, "occurred_on": "2022-01-05", "note": "拆\x08除"})
    kept = client.post(url, {"stage": Stage.SURVEYED, "occurred_on": "2022-01-05", "note": "第一行\r\n第二行\t完"})

    assert field_errors(refused) == {"note": [CONTROL_MESSAGE]}
    assert form_error_codes(refused.context["form"]) == {"note": ["control_characters"]}
    assert kept.status_code == 302
    assert Event.objects.get(enterprise=world.enterprise, stage=Stage.SURVEYED).note == "第一行\r\n第二行\t完"


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31"])
def test_event_dated_before_2000_is_refused(world, day):
    # 0001-01-01 was recorded; the ledger import already refused dates before 2000.
    client = strict_client(world.official)
    before = fingerprint()

    response = client.post(
        reverse("clearance:enterprise_event_create", args=[world.enterprise.pk]),
        {"stage": Stage.SURVEYED, "occurred_on": day},
    )

    assert field_errors(response) == {"occurred_on": ["日期早于 2000 年。"]}
    assert form_error_codes(response.context["form"]) == {"occurred_on": ["min_value"]}
    assert fingerprint() == before


def test_event_correction_to_before_2000_is_refused(world):
    client = strict_client(world.official)

    response = client.post(
        reverse("clearance:event_update", args=[world.event.pk]), {"version": "1", "occurred_on": "0022-03-01"}
    )

    assert field_errors(response) == {"occurred_on": ["日期早于 2000 年。"]}
    assert form_error_codes(response.context["form"]) == {"occurred_on": ["min_value"]}
    assert Event.objects.get(pk=world.event.pk).occurred_on == date(2022, 3, 1)


@pytest.mark.parametrize(
    ("name", "kwargs", "query"),
    [
        ("clearance:site_create", {"town_pk": "town"}, {"parent": "²"}),
        ("clearance:ledger_export", {}, {"town": "²"}),
        ("clearance:pairings", {}, {"head": "٣"}),
    ],
)
def test_an_id_of_non_ascii_digits_in_the_query_string_is_no_crash(world, name, kwargs, query):
    # "²".isdigit() is true, but int("²") raises: these were 500s.
    client = strict_client(world.admin)
    url = reverse(name, kwargs={key: getattr(world, attr).pk for key, attr in kwargs.items()})

    response = client.get(url, query)

    expected = {"clearance:site_create": 200, "clearance:ledger_export": 400, "clearance:pairings": 404}[name]
    assert response.status_code == expected
    if name == "clearance:site_create":
        assert response.context["form"].initial.get("parent") is None
    if name == "clearance:ledger_export":
        assert response.content.decode() == "未知的镇街道。"


# Admin ----------------------------------------------------------------------------------------


def test_admin_event_filter_by_town_with_non_ascii_digits_lists_every_event(world):
    client = strict_client(world.admin)

    response = client.get(reverse("admin:clearance_event_changelist"), {"town": "²"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == Event.objects.count()


@pytest.mark.parametrize("site", ["1.5", "abc", "²"])
def test_admin_enterprise_form_with_a_site_that_is_no_id_is_shown_again_with_its_error(world, site):
    # The autocomplete widget looked the value up to show it again: a 500.
    client = strict_client(world.admin)
    before = fingerprint()

    response = client.post(
        reverse("admin:clearance_enterprise_add"),
        {"name": "后台企业", "town": str(world.town.pk), "site": site, "annual_energy_tce": "0", "energy_freed_tce": "0",
         "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["site"] == ["选择一个有效的选项： 该选择不在可用的选项中。"]
    assert fingerprint() == before


def test_admin_autocomplete_with_a_nul_in_the_term_answers(world):
    # PostgreSQL refused the query: a 500 as soon as the term held a NUL.
    client = strict_client(world.admin)

    query = {"app_label": "clearance", "model_name": "enterprise", "field_name": "site"}

    response = client.get(reverse("admin:autocomplete"), {**query, "term": "六店\x00"})

    assert response.status_code == 200
    # The site and the parcel inside it (found by its area's name), as for the term without the NUL.
    texts = [result["text"] for result in response.json()["results"]]
    assert texts == ["六店区域", "原胜利钢厂地块"]


def test_admin_date_hierarchy_with_a_year_past_datetime_is_an_incorrect_lookup(world):
    # datetime(99999999999, 1, 1) raises OverflowError, which the admin let through: a 500.
    client = strict_client(world.admin)

    response = client.get(reverse("admin:clearance_site_changelist"), {"deadline__year": "99999999999"})

    assert response.status_code == 302
    assert response.url == reverse("admin:clearance_site_changelist") + "?e=1"


def test_admin_text_with_a_control_character_is_refused(world):
    client = strict_client(world.admin)
    before = fingerprint()

    response = client.post(
        reverse("admin:clearance_site_add"),
        {"name": "后台\x07地块", "town": str(world.town.pk), "area_mu": "3",
         "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0",
         "enterprises-TOTAL_FORMS": "0", "enterprises-INITIAL_FORMS": "0"},
    )

    assert response.context["adminform"].form.errors["name"] == [CONTROL_MESSAGE]
    assert form_error_codes(response.context["adminform"].form) == {"name": ["control_characters"]}
    assert fingerprint() == before


# Ledger import ---------------------------------------------------------------------------------


def csv_folder(tmp_path, sites: list[list], enterprises: list[list]):
    for sheet, header, rows in (("地块", SITE_COLUMNS, sites), ("企业", ENTERPRISE_COLUMNS, enterprises)):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        (tmp_path / f"{sheet}.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return tmp_path


def problems_of(path) -> list[tuple]:
    from clearance.ledger import ledger_import

    with pytest.raises(LedgerError) as refused:
        ledger_import(path=path)
    return [(problem.sheet, problem.row, problem.column, problem.reason) for problem in refused.value.problems]


@pytest.mark.parametrize("area", ["1e28", "9" * 30, "1E+309"])
def test_ledger_number_with_more_digits_than_decimal_precision_is_a_bad_cell(tmp_path, ledger_towns, area):
    # Quantizing it to two decimals raised decimal.InvalidOperation: a 500 on the page, a traceback from the command.
    path = write_xlsx(tmp_path, [site_row(area=area)], [])

    assert problems_of(path) == [("地块", 2, "面积(亩)", "最多两位小数，整数部分少于 12 位。")]
    assert Site.objects.count() == 0


def test_ledger_week_date_is_not_taken_for_a_day(tmp_path, ledger_towns):
    # date.fromisoformat took "2022-W01-1" (ten characters) for 3 January 2022.
    path = write_xlsx(tmp_path, [site_row(vacated="2022-W01-1")], [])

    assert problems_of(path) == [("地块", 2, "腾退日期", "“2022-W01-1”不是日期：请写作 YYYY-MM-DD、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日。")]


@pytest.mark.parametrize("name", ["新\x00地块", "新\x0b地块"])
def test_ledger_cell_with_a_control_character_is_a_bad_cell(tmp_path, ledger_towns, name):
    # NUL reached PostgreSQL (a 500); on SQLite it was stored, and the export then failed.
    folder = csv_folder(tmp_path, [site_row(name=name)], [enterprise_row(site=name, signed="", vacated="")])

    assert problems_of(folder) == [
        ("地块", 2, "地块名称", CONTROL_MESSAGE),
        ("企业", 2, "所在地块", CONTROL_MESSAGE),
    ]
    assert Site.objects.count() == 0


def test_ledger_csv_cell_longer_than_the_csv_module_reads_is_refused(tmp_path, ledger_towns):
    # csv.Error: field larger than field limit (131072), a 500.
    csv_folder(tmp_path, [site_row(name="x" * 200_000)], [])

    with pytest.raises(LedgerError) as refused:
        read_ledger(tmp_path)

    problem = refused.value.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("地块", 2, "")
    assert problem.reason == "地块.csv 无法按 CSV 读取：有单元格超过 131072 个字符，或引号不成对。"


def _workbook_with(tmp_path, change) -> object:
    path = write_xlsx(tmp_path, [site_row()], [])
    source = zipfile.ZipFile(path)
    changed = tmp_path / "changed.xlsx"
    with zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info.filename)))
    return changed


@pytest.mark.parametrize("reference", ["ZZZZZZ99999999", "XFD1048576"])
def test_ledger_with_a_cell_far_out_is_refused_before_it_is_read(tmp_path, ledger_towns, reference):
    # calamine allocates every cell up to the last one: at ZZZZZZ99999999 it aborted the whole process.
    row = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    def move_a_cell(name, data):
        if not name.startswith("xl/worksheets/"):
            return data
        cell = f'<row r="{row}"><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
        return data.replace(b"</sheetData>", cell + b"</sheetData>")

    with pytest.raises(LedgerError) as refused:
        read_ledger(_workbook_with(tmp_path, move_a_cell))

    [problem] = refused.value.problems
    assert problem.sheet == "changed.xlsx"
    assert problem.reason.startswith(f"有工作表用到第 {row} 行")


def test_ledger_workbook_that_unpacks_to_too_much_is_refused(tmp_path, ledger_towns, settings):
    settings.CLEARANCE_LEDGER_MAX_UNPACKED_BYTES = 10_000
    path = _workbook_with(tmp_path, lambda name, data: data + b" " * 20_000 if name.endswith("styles.xml") else data)

    with pytest.raises(LedgerError) as refused:
        read_ledger(path)

    assert [problem.reason for problem in refused.value.problems] == ["工作簿解压后超过 0 MB，请拆分台账。"]


def test_ledger_upload_with_a_nul_is_listed_as_a_problem_on_the_page(tmp_path, ledger_towns):
    admin = get_user_model().objects.create_superuser("nul-admin", "n@example.org", "pw-admin-1")
    client = strict_client(admin)
    folder = csv_folder(tmp_path, [site_row(name="新\x00地块")], [])
    before = fingerprint()

    response = client.post(reverse("clearance:ledger_import"), {
        "sites_csv": SimpleUploadedFile("地块.csv", (folder / "地块.csv").read_bytes()),
        "enterprises_csv": SimpleUploadedFile("企业.csv", (folder / "企业.csv").read_bytes()),
    }, follow=True)

    assert response.status_code == 200
    assert response.context["job"].problems == [{"sheet": "地块", "row": 2, "column": "地块名称", "reason": CONTROL_MESSAGE}]
    assert fingerprint() == before


def test_admin_event_dated_before_2000_is_refused(world):
    client = strict_client(world.admin)

    response = client.post(
        reverse("admin:clearance_event_change", args=[world.event.pk]),
        {"occurred_on": "0022-03-01", "note": "", "expected_version": "1", "photos-TOTAL_FORMS": "0",
         "photos-INITIAL_FORMS": "0"},
    )

    assert response.context["adminform"].form.errors["occurred_on"] == ["日期早于 2000 年。"]
    assert form_error_codes(response.context["adminform"].form) == {"occurred_on": ["min_value"]}
    assert Event.objects.get(pk=world.event.pk).occurred_on == date(2022, 3, 1)


@pytest.mark.parametrize("version", ["", "abc", "0"])
def test_event_deletion_with_a_bad_version_says_why_on_the_page(world, version):
    # The version travels in a hidden field: its error was shown nowhere, the page came back unexplained.
    client = strict_client(world.official)

    response = client.post(reverse("clearance:event_delete", args=[world.event.pk]), {"version": version})

    message = "页面已过期或提交的内容不完整，请刷新页面后重新修改。"
    assert response.status_code == 200
    assert list(response.context["form"].non_field_errors()) == [message]
    assert form_error_codes(response.context["form"])["__all__"] == ["bad_version"]
    assert message in response.content.decode()
    assert Event.objects.filter(pk=world.event.pk).exists()
