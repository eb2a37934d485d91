"""Ledger pages: admins upload, preview and confirm; everyone signed in downloads the template and exports."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from clearance import selectors
from clearance.ledger import (
    ENTERPRISE_COLUMNS,
    SITE_COLUMNS,
    ledger_import,
    ledger_sheets,
    ledger_workbook,
    read_ledger,
    read_workbook,
)
from clearance.models import (
    BackgroundJob, Enterprise, Event, JobFile, Photo, Project, ProjectEvent, RegisterItem, ReportingPeriod, Site,
)

from tests.errors import form_error_codes
from tests.ledger.test_import import enterprise_row, row_counts, site_row, write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

IMPORT_URL = reverse("clearance:ledger_import")


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("ledger-admin", "a@example.org", "pw-admin-1")


def good_ledger(tmp_path) -> Path:
    return write_xlsx(
        tmp_path,
        [site_row(name="六店区域", area="360.50"), site_row(parent="六店区域", vacated="2022-04-01")],
        [enterprise_row(closed="2022-03-28"), enterprise_row(name="某针织厂", closed="2022-03-25")],
    )


def upload(path: Path, name: str = "../../客户 台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, path.read_bytes())


def check_ledger(client, data: dict):
    """Upload DATA and return the job's page, where the check (run at once by the tests' task backend) ended."""
    return client.post(IMPORT_URL, data, follow=True)


def confirm(client, job: BackgroundJob | None = None):
    """Confirm the import of JOB (the latest job by default) and return the job's page after it."""
    job = job or BackgroundJob.objects.latest("pk")
    return client.post(job.get_absolute_url(), {"confirm": "1"}, follow=True)


def media_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def preview_counts(html: str) -> dict[str, tuple[int, int, int]]:
    """Return the preview table as {kind: (created, changed, left alone)}."""
    table = html.split('data-table="ledger-preview"')[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">(.*?)</th>.*?data-created>(\d+)<.*?data-changed>(\d+)<.*?data-unchanged>(\d+)<', table, re.S)
    return {kind: (int(created), int(changed), int(unchanged)) for kind, created, changed, unchanged in rows}


def xlsx_rows(content: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet: list(workbook[sheet].iter_rows(values_only=True)) for sheet in workbook.sheetnames}


def test_ledger_import_page_offers_the_upload_form_and_the_template(client, admin_user, ledger_towns):
    client.force_login(admin_user)

    html = client.get(IMPORT_URL).content.decode()

    assert html.count("data-ledger-upload") == 1
    assert reverse("clearance:ledger_template") in html
    assert f'<option value="{ledger_towns[0].pk}">曹桥街道</option>' in html


def test_ledger_upload_previews_without_writing_and_keeps_the_file_in_the_database_only(client, admin_user, tmp_path,
                                                                                       ledger_towns):
    client.force_login(admin_user)
    before = row_counts()

    response = check_ledger(client, {"workbook": upload(good_ledger(tmp_path))})

    html = response.content.decode()
    job = BackgroundJob.objects.get()
    assert response.redirect_chain == [(job.get_absolute_url(), 302)]
    assert "data-ledger-confirm" in html
    assert row_counts() == before
    assert (job.status, job.created_by) == ("previewed", admin_user)
    assert list(JobFile.objects.values_list("name", flat=True)) == ["ledger.xlsx"]
    assert media_files() == []
    assert preview_counts(html) == {"地块": (2, 0, 0), "企业": (2, 0, 0), "进度记录": (7, 0, 0)}


def test_ledger_confirm_imports_attributed_to_the_admin_and_discards_the_file(client, admin_user, tmp_path, ledger_towns):
    client.force_login(admin_user)
    check_ledger(client, {"workbook": upload(good_ledger(tmp_path))})

    response = confirm(client)

    job = BackgroundJob.objects.get()
    assert response.redirect_chain == [(job.get_absolute_url(), 302)]
    assert re.findall(r"<li data-result-line>(.*?)</li>", response.content.decode()) == [
        "地块：新增 2，更新 0，未变 0", "企业：新增 2，更新 0，未变 0", "进度记录：新增 7，更新 0，未变 0",
    ]
    assert sorted(Enterprise.objects.values_list("name", flat=True)) == sorted(["某贸易公司", "某针织厂"])
    assert Site.objects.count() == 2
    histories = [record.history_user for record in Enterprise.history.all()]
    assert histories == [admin_user, admin_user]
    assert set(Event.objects.values_list("recorded_by", flat=True)) == {admin_user.pk}
    assert (job.status, JobFile.objects.count()) == ("succeeded", 0)


def test_ledger_with_a_bad_row_shows_the_error_table_in_chinese_and_writes_nothing(client, admin_user, tmp_path, ledger_towns):
    client.force_login(admin_user)
    bad = write_xlsx(tmp_path, [site_row(area="-3")], [enterprise_row(town="乍浦镇")])
    before = row_counts()

    response = check_ledger(client, {"workbook": upload(bad)})

    html = response.content.decode()
    assert response.status_code == 200
    assert "data-ledger-confirm" not in html
    rows = html.split('data-table="ledger-errors"')[1].split("</table>")[0].split("data-problem>")[1:]
    cells = [[cell.split(">", 1)[1].split("</td")[0] for cell in row.split("<td")[1:]] for row in rows]
    assert cells == [
        ["地块", "2", "面积(亩)", "面积必须是大于 0 的亩数。"],
        ["企业", "2", "镇街道", "未知的镇街道“乍浦镇”。"],
    ]
    assert row_counts() == before
    assert "台账未导入：发现 2 处问题。" in html
    assert (BackgroundJob.objects.get().status, JobFile.objects.count()) == ("failed", 0)


def test_ledger_upload_of_the_two_csv_files_is_previewed(client, admin_user, ledger_towns):
    client.force_login(admin_user)
    sites_csv = "\ufeff" + ",".join(SITE_COLUMNS) + "\n" + "六店区域,曹桥街道,360.5,,,\n"
    enterprises_csv = ",".join(ENTERPRISE_COLUMNS) + "\n" + "某贸易公司,,曹桥街道,六店区域,,,,,2022-03-01,,\n"

    response = check_ledger(client, {
        "sites_csv": SimpleUploadedFile("a.csv", sites_csv.encode()),
        "enterprises_csv": SimpleUploadedFile("b.csv", enterprises_csv.encode()),
    })

    assert "data-ledger-confirm" in response.content.decode()
    assert sorted(JobFile.objects.values_list("name", flat=True)) == ["企业.csv", "地块.csv"]
    confirm(client)
    assert list(Enterprise.objects.values_list("name", "site__name")) == [("某贸易公司", "六店区域")]


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, "请选择 .xlsx 工作簿，或同时选择 地块.csv 和 企业.csv。"),
        ({"sites_csv": "x"}, "请选择 .xlsx 工作簿，或同时选择 地块.csv 和 企业.csv。"),
    ],
)
def test_ledger_upload_without_the_files_is_refused(client, admin_user, ledger_towns, files, message):
    client.force_login(admin_user)
    data = {name: SimpleUploadedFile("x.csv", content.encode()) for name, content in files.items()}

    response = client.post(IMPORT_URL, data)

    html = response.content.decode()
    assert "data-ledger-confirm" not in html
    assert message in html
    assert form_error_codes(response.context["form"]) == {"__all__": ["ledger_missing"]}


def test_ledger_confirmed_twice_imports_once_and_the_second_confirmation_is_refused(client, admin_user, tmp_path,
                                                                                  ledger_towns):
    client.force_login(admin_user)
    check_ledger(client, {"workbook": upload(good_ledger(tmp_path))})
    confirm(client)
    counts = row_counts()

    again = confirm(client)

    assert row_counts() == counts
    assert "这份上传的文件已不在等待导入（已导入、已失败或已删除），请重新上传。" in again.content.decode()
    assert BackgroundJob.objects.get().status == "succeeded"


def test_ledger_confirm_of_a_failed_check_imports_nothing(client, admin_user, tmp_path, ledger_towns):
    client.force_login(admin_user)
    check_ledger(client, {"workbook": upload(write_xlsx(tmp_path, [site_row(area="-3")], []))})
    before = row_counts()

    response = confirm(client)

    assert "这份上传的文件已不在等待导入" in response.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize("role", ["leader", "official"])
def test_ledger_import_is_refused_to_leaders_and_officials(client, request, tmp_path, ledger_towns, role):
    client.force_login(request.getfixturevalue(role))
    before = row_counts()

    response = check_ledger(client, {"workbook": upload(good_ledger(tmp_path))})

    assert response.status_code == 403
    assert row_counts() == before
    assert (BackgroundJob.objects.count(), JobFile.objects.count()) == (0, 0)


def test_ledger_template_download_holds_only_the_headers_in_the_data_sheets_and_the_examples_apart(client, leader):
    client.force_login(leader)

    response = client.get(reverse("clearance:ledger_template"))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = xlsx_rows(response.content)
    assert list(rows) == ["地块", "企业", "说明", "列表"]
    assert rows["地块"] == [SITE_COLUMNS]
    assert rows["企业"] == [ENTERPRISE_COLUMNS]
    guide = [row for row in rows["说明"] if row[:1] in (("示例地块",), ("示例企业",))]
    assert [row[:2] for row in guide] == [("示例地块", "曹桥街道"), ("示例企业", None)]


def preview_towns(html: str) -> dict[str, list[tuple[str, str, list[str]]]]:
    """Return the preview's listing: per town, (sheet, name, [what changes]) of each row created or changed."""
    towns = {}
    for town, section in re.findall(r'<section class="mb-3" data-ledger-town="(.*?)">(.*?)</section>', html, re.S):
        rows = re.findall(r'<tr data-change="\w+">\s*<td>(.*?)</td>\s*<th scope="row" data-name>(.*?)</th>(.*?)</tr>',
                          section, re.S)
        towns[town] = [(sheet, name, re.findall(r"<li data-field>(.*?)</li>", rest)) for sheet, name, rest in rows]
    return towns


def downloaded_template(client) -> bytes:
    return client.get(reverse("clearance:ledger_template")).content


def test_the_template_downloaded_and_uploaded_unchanged_creates_nothing(client, admin_user, ledger_towns):
    client.force_login(admin_user)
    before = row_counts()

    preview = check_ledger(client, {"workbook": SimpleUploadedFile("模板.xlsx", downloaded_template(client))})
    confirmed = confirm(client)

    html = preview.content.decode()
    assert preview_counts(html) == {"地块": (0, 0, 0), "企业": (0, 0, 0), "进度记录": (0, 0, 0)}
    assert preview_towns(html) == {}
    assert "台账中没有数据行，导入不会改变任何数据。" in html
    assert confirmed.redirect_chain[-1][1] == 302
    assert row_counts() == before


def test_the_template_with_two_rows_filled_in_creates_exactly_those_and_the_preview_lists_them(client, admin_user, ledger_towns,
                                                                                                 tmp_path):
    client.force_login(admin_user)
    workbook = load_workbook(io.BytesIO(downloaded_template(client)))
    workbook["地块"].append(["新仓地块", "林埭镇", 12.5, None, "工业", "2022/8/15"])
    workbook["企业"].append(["某纺织厂", None, "曹桥街道", "六店区域", "高耗低效", "关停淘汰", 100, 40, "2022年3月1日", None, None])
    workbook["地块"].append(["六店区域", "曹桥街道", 360.5])
    filled = tmp_path / "填好的模板.xlsx"
    workbook.save(filled)

    preview = check_ledger(client, {"workbook": upload(filled)})
    confirm(client)

    assert preview_towns(preview.content.decode()) == {
        "曹桥街道": [
            ("地块", "六店区域", ["面积(亩)：360.50"]),
            ("企业", "某纺织厂", ["所在地块：六店区域", "企业类型：高耗低效", "处置方式：关停淘汰", "年用能(吨标煤)：100.00",
                                 "腾出用能(吨标煤)：40.00", "签约日期：2022-03-01"]),
        ],
        "林埭镇": [("地块", "新仓地块", ["面积(亩)：12.50", "土地性质：工业", "腾退日期：2022-08-15"])],
    }
    assert sorted(Site.objects.values_list("name", flat=True)) == ["六店区域", "新仓地块"]
    assert list(Enterprise.objects.values_list("name", flat=True)) == ["某纺织厂"]


def test_the_old_template_with_its_example_rows_and_two_rows_added_creates_only_the_two(client, admin_user, ledger_towns,
                                                                                          tmp_path):
    from tests.ledger.test_import import OLD_TEMPLATE_ENTERPRISE, OLD_TEMPLATE_SITE

    client.force_login(admin_user)
    services_site = site_row(name="六店区域", area="360.50")
    old = write_xlsx(tmp_path, [OLD_TEMPLATE_SITE, services_site], [OLD_TEMPLATE_ENTERPRISE, enterprise_row(site="六店区域")])

    html = check_ledger(client, {"workbook": upload(old)}).content.decode()
    confirm(client)

    assert [name for _sheet, name, _changes in preview_towns(html)["曹桥街道"]] == ["六店区域", "某贸易公司"]
    assert "模板示例行，未导入：地块 第 2 行、企业 第 2 行" in html
    assert list(Site.objects.values_list("name", flat=True)) == ["六店区域"]
    assert list(Enterprise.objects.values_list("name", flat=True)) == ["某贸易公司"]


def test_the_preview_lists_each_change_old_to_new_town_by_town(client, admin_user, ledger_towns, tmp_path):
    client.force_login(admin_user)
    ledger_import(sheets=read_ledger(good_ledger(tmp_path)), user=admin_user)
    lindai = [site_row(name="林埭地块", town="林埭镇", area="8")]
    corrected = write_xlsx(
        tmp_path,
        [site_row(name="六店区域", area="360.50"), site_row(parent="六店区域", area="21", vacated="2022-04-02"), *lindai],
        [enterprise_row(closed="2022-03-29", disposal="关停淘汰", types="高耗低效"), enterprise_row(name="某针织厂", closed="2022-03-25")],
    )

    html = check_ledger(client, {"workbook": upload(corrected)}).content.decode()

    assert preview_towns(html) == {
        "曹桥街道": [
            ("地块", "原胜利钢厂地块", ["面积(亩)：20.43 → 21.00", "腾退日期：2022-04-01 → 2022-04-02"]),
            ("企业", "某贸易公司", ["处置方式：腾退收回 → 关停淘汰", "企业类型：高耗低效、租赁企业 → 高耗低效",
                                 "销号日期：2022-03-28 → 2022-03-29"]),
        ],
        "林埭镇": [("地块", "林埭地块", ["面积(亩)：8.00", "土地性质：工业"])],
    }
    sections = re.findall(r'data-ledger-town="(.*?)">\s*<h2 class="h6">.*?<small[^>]*>(.*?)</small>', html, re.S)
    assert [(town, " ".join(counts.split())) for town, counts in sections] == [
        ("曹桥街道", "新增 0 · 更新 2 · 不变 2"), ("林埭镇", "新增 1 · 更新 0 · 不变 0"),
    ]


@pytest.mark.parametrize("count", [3, 230])
def test_the_preview_runs_a_fixed_number_of_queries_and_lists_200_rows_per_town(client, admin_user, ledger_towns, tmp_path,
                                                                               django_assert_num_queries, count):
    client.force_login(admin_user)
    sites = [site_row(name=f"地块{number:03d}", area="5") for number in range(count)]
    file = write_xlsx(tmp_path, sites, [])
    client.get(IMPORT_URL)  # the session and the user, loaded once

    # … and the closed reporting months, whose dates a ledger may not change (one query); with the job's
    # bookkeeping (prune, create, enqueue, start, its files, the outcome) and the job's page after the redirect.
    with django_assert_num_queries(32):
        html = check_ledger(client, {"workbook": upload(file)}).content.decode()

    listed = preview_towns(html)["曹桥街道"]
    assert len(listed) == min(count, 200)
    assert listed[0] == ("地块", "地块000", ["面积(亩)：5.00", "土地性质：工业"])
    assert re.findall(r"<p [^>]*data-more>(.*?)</p>", html) == (["及其他 30 项"] if count == 230 else [])


@pytest.fixture
def two_town_ledger(tmp_path, ledger_towns, admin_user):
    call_command(
        "import_ledger",
        str(write_xlsx(
            tmp_path,
            [site_row(), site_row(name="林埭示例地块", town="林埭镇", area="8")],
            [enterprise_row(), enterprise_row(name="林埭示例企业", town="林埭镇", site="林埭示例地块")],
        )),
        stdout=io.StringIO(),
    )
    return ledger_towns


@pytest.mark.parametrize("role", ["leader", "official", "admin_user"])
def test_ledger_export_is_the_whole_ledger_for_every_role(client, request, two_town_ledger, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("clearance:ledger_export"))

    rows = xlsx_rows(response.content)
    assert [row[0] for row in rows["地块"][1:]] == ["原胜利钢厂地块", "林埭示例地块"]
    assert [row[0] for row in rows["企业"][1:]] == ["某贸易公司", "林埭示例企业"]
    assert rows["企业"][1][6] == 120  # numbers stay numbers


def test_ledger_export_filtered_by_town(client, leader, two_town_ledger):
    client.force_login(leader)
    town = two_town_ledger[1]

    response = client.get(reverse("clearance:ledger_export"), {"town": town.pk})

    rows = xlsx_rows(response.content)
    assert [row[0] for row in rows["地块"][1:]] == ["林埭示例地块"]
    assert [row[0] for row in rows["企业"][1:]] == ["林埭示例企业"]
    assert "filename*=utf-8''" in response["Content-Disposition"]


@pytest.mark.parametrize("town", ["abc", "999999"])
def test_ledger_export_of_an_unknown_town_is_a_400(client, leader, two_town_ledger, town):
    client.force_login(leader)

    response = client.get(reverse("clearance:ledger_export"), {"town": town})

    assert (response.status_code, response.content.decode()) == (400, "未知的镇街道。")


def test_export_ledger_command_writes_the_export_filtered_by_town(tmp_path, two_town_ledger):
    whole, one = tmp_path / "all.xlsx", tmp_path / "one.xlsx"

    call_command("export_ledger", str(whole), stdout=io.StringIO())
    call_command("export_ledger", str(one), "--town", "林埭镇", stdout=io.StringIO())

    assert xlsx_rows(whole.read_bytes()) == xlsx_rows(ledger_workbook(ledger_sheets()))
    assert [row[0] for row in xlsx_rows(whole.read_bytes())["企业"][1:]] == ["某贸易公司", "林埭示例企业"]
    assert [row[0] for row in xlsx_rows(one.read_bytes())["企业"][1:]] == ["林埭示例企业"]


def test_export_ledger_command_refuses_an_unknown_town(tmp_path, two_town_ledger):
    with pytest.raises(CommandError):
        call_command("export_ledger", str(tmp_path / "x.xlsx"), "--town", "乍浦镇", stdout=io.StringIO())

    assert not (tmp_path / "x.xlsx").exists()


def _figures_of_2022() -> dict:
    return {
        month: (selectors.city_figures(year=2022, month=month), selectors.town_figures(year=2022, month=month))
        for month in range(1, 13)
    }


def _delete_ledger() -> None:
    # The projects on vacated land (换鸟) are not in the ledger, and their land holds on to the sites.
    ProjectEvent.objects.all().delete()
    Project.objects.all().delete()
    Photo.objects.all().delete()
    Event.objects.all().delete()
    # The register of order is no part of the ledger, and its items hold on to their sites and enterprises.
    RegisterItem.objects.all().delete()
    Enterprise.objects.all().delete()
    # Containing areas are protected while parcels lie inside them: delete from the innermost out.
    while Site.objects.exists():
        Site.objects.filter(children__isnull=True).delete()
    # An empty database has no closed month either: the import refuses rows dated in one.
    ReportingPeriod.objects.all().delete()


def test_demo_ledger_round_trips_through_export_and_import_with_identical_figures(client, admin_user, demo_db):
    before = _figures_of_2022()
    client.force_login(admin_user)
    exported = client.get(reverse("clearance:ledger_export")).content
    site_count, enterprise_count = Site.objects.count(), Enterprise.objects.count()
    site_parents = set(Site.objects.values_list("town__name", "name", "parent__name", "area_mu"))
    site_events = set(Event.objects.filter(site__isnull=False).values_list("site__name", "occurred_on"))
    _delete_ledger()

    report = ledger_import(sheets=read_workbook(io.BytesIO(exported), name="export.xlsx"), user=admin_user)

    assert (report.sites.created, report.enterprises.created) == (site_count, enterprise_count)
    assert set(Site.objects.values_list("town__name", "name", "parent__name", "area_mu")) == site_parents
    assert set(Event.objects.filter(site__isnull=False).values_list("site__name", "occurred_on")) == site_events
    assert site_events != set()
    after = _figures_of_2022()
    assert [month for month in range(1, 13) if after[month] != before[month]] == []
    assert after == before
    assert before[8][0]["enterprises_rectified"] == 190


def test_ledger_upload_of_a_file_that_is_not_a_workbook_is_named_and_discarded(client, admin_user, ledger_towns):
    client.force_login(admin_user)

    html = check_ledger(client, {"workbook": SimpleUploadedFile("台账.xlsx", b"not a workbook")}).content.decode()

    assert "不是 Excel .xlsx 文件。" in html
    assert "data-ledger-confirm" not in html
    assert (JobFile.objects.count(), media_files()) == (0, [])
