"""The monthly bulletin as a Word document: A4, the page's sections and tables, safe with any name typed."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from docx import Document

from clearance.reports.docx import article_as_docx

AUGUST = {"year": 2022, "month": 8}


@pytest.fixture
def leader_client(client, demo_db):
    client.force_login(get_user_model().objects.get(username="leader"))
    return client


def as_document(response) -> Document:
    return Document(io.BytesIO(response.content))


def table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_demo_bulletin_downloads_as_an_a4_word_document_with_the_page_s_figures(leader_client):
    response = leader_client.get(reverse("clearance:bulletin_docx"), AUGUST)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "2022-08.docx" in response["Content-Disposition"]
    document = as_document(response)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    paragraphs = [paragraph.text for paragraph in document.paragraphs if paragraph.text]
    assert paragraphs[0] == "平湖市“腾笼换鸟”工作通报"
    assert "（2022年1—8月）" in paragraphs[1]
    assert any("数据截至2022年8月31日" in text and "66.7%" in text for text in paragraphs)
    # Every section of the page, in the page's order.
    page = leader_client.get(reverse("clearance:bulletin"), AUGUST).content.decode()
    headings = [" ".join(re.sub(r"<[^>]+>", "", heading).split()) for heading in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
    assert len(headings) >= 3
    assert [text for text in paragraphs if text in headings] == headings
    city = table_rows(document.tables[0])
    assert city[0][:4] == ["指标", "完成", "目标", "完成率"]
    assert city[1] == ["高耗低效企业整治销号", "190 家", "190 家", "100.0%", "+33.3 个百分点", "绿灯"]
    assert city[2][1:4] == ["3,163.00 亩", "2,500.00 亩", "126.5%"]
    # The towns' table keeps its two header rows, the metric's name spanning its two columns.
    towns = table_rows(document.tables[1])
    assert towns[0][2] == towns[0][3] and "高耗低效企业整治销号" in towns[0][2]
    assert len(towns) == 2 + 8
    counties = table_rows(document.tables[2])
    pinghu = next(row for row in counties if row[0] == "平湖市")
    assert pinghu[1:4] == ["190", "100.0%", "1"]


def test_the_page_offers_the_word_document_of_the_period_shown(leader_client):
    page = leader_client.get(reverse("clearance:bulletin"), AUGUST).content.decode()
    assert 'href="/bulletin.docx?year=2022&amp;month=8" data-docx' in page


def test_a_bad_period_is_a_400_page_not_a_document(leader_client):
    response = leader_client.get(reverse("clearance:bulletin_docx"), {"year": "1999", "month": "8"})
    assert response.status_code == 400
    assert "docx" not in response.get("Content-Disposition", "")


def test_text_xml_cannot_hold_is_dropped_and_spans_and_hidden_parts_are_respected(db):
    # `db`: on SQLite the in-memory test database must be open before the module's demo is loaded.
    page = """<html><body><article data-bulletin>
      <h1>通报\x07标题</h1><div class="d-print-none"><p>打印按钮</p></div>
      <section><h2>一、表格</h2><table><thead><tr><th rowspan="2">名称</th><th colspan="2">指标</th></tr>
      <tr><th>完成</th><th>目标</th></tr></thead>
      <tbody><tr><td>=HYPERLINK("x")\x00</td><td>1</td><td>2<span class="visually-hidden-focusable">隐</span></td></tr></tbody></table>
      <canvas>图</canvas><p>说明<br>第二行</p></section></article></body></html>"""
    document = Document(io.BytesIO(article_as_docx(page, selector="data-bulletin", title="标题\x01")))
    texts = [paragraph.text for paragraph in document.paragraphs if paragraph.text]
    assert texts == ["通报标题", "一、表格", "说明 第二行"]
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    # A Word table holds text, never a formula: the name shows exactly as typed (less the NUL).
    assert rows == [["名称", "指标", "指标"], ["名称", "完成", "目标"], ['=HYPERLINK("x")', "1", "2"]]
    assert document.core_properties.title == "标题"
    assert round(document.sections[0].page_width.mm) == 210
