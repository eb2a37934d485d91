"""import_ledger and the reporting periods: a row that would change a closed month is refused, naming the month."""

import pytest

from clearance import services
from clearance.models import Event

from tests.ledger.test_import import enterprise_row, row_counts, run_import, site_row, write_xlsx

pytestmark = pytest.mark.django_db


def test_an_imported_date_in_a_closed_month_is_refused_with_its_row(tmp_path, ledger_towns):
    services.period_close(year=2022, month=3, user=None)
    file = write_xlsx(tmp_path, [site_row()], [enterprise_row(vacated="2022-04-02")])
    before = row_counts()

    status, out, err = run_import(file)

    assert status == 1
    assert "企业 第 2 行 签约日期：2022年3月已通报，数据已公布：导入不能更改该月份的日期；请在页面上记录，并填写说明原因。" in err
    assert row_counts() == before


def test_reimporting_a_ledger_with_dates_in_a_month_closed_since_changes_nothing(tmp_path, ledger_towns):
    file = write_xlsx(tmp_path, [site_row()], [enterprise_row()])
    assert run_import(file)[0] == 0
    services.period_close(year=2022, month=3, user=None)
    events = list(Event.objects.values_list("pk", "occurred_on"))

    status, out, err = run_import(file)

    assert (status, err) == (0, "")
    assert list(Event.objects.values_list("pk", "occurred_on")) == events
