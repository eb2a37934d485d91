"""Every chart of the pages that chart, drawn by our ECharts build: on a desk and on a phone, as the reader scrolls
to it, with its legend and axes, with no network beyond the tracker's server, and on paper."""

import re
from urllib.parse import urlparse

import pytest

from clearance.models import Town

from .conftest import PHONE, login, scroll_through, shot
from .test_dashboard import DASHBOARD_CHARTS, collect_errors

pytestmark = pytest.mark.browser

TOWN_CHARTS = 3
# The mark static/js/dashboard.js sets once the charts in view at load are drawn (the browser bench times it).
DRAWN_MARK = "charts-drawn"
# Functions, not expressions: Playwright polls an expression with eval, which the pages' policy forbids.
DRAWN_AT_LOAD = f"() => performance.getEntriesByName('{DRAWN_MARK}', 'mark').length === 1"

# What each chart box shows: its kind, whether ECharts drew in it, and if so the option's legend, axes and
# series, whether the category axis lists what the page's JSON holds, and the share of the canvas's pixels painted.
CHART_STATE = """
(elements) => elements.map((element) => {
  const chart = echarts.getInstanceByDom(element);
  const box = element.getBoundingClientRect();
  // Within the 200 px dashboard.js draws ahead of the screen.
  const near = box.bottom > -200 && box.top < window.innerHeight + 200;
  if (!chart) return { kind: element.dataset.chart, drawn: false, near };
  const option = chart.getOption();
  const data = JSON.parse(document.getElementById(element.dataset.chartSource).textContent);
  const categories = element.dataset.chart === "towns" || element.dataset.chart === "classes" ? data.towns : data.months;
  const axes = [...option.xAxis, ...option.yAxis];
  const categoryAxis = axes.find((axis) => axis.type === "category");
  const legend = chart.getModel().getComponent("legend");
  const canvas = element.querySelector("canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) painted += pixels[alpha] > 0 ? 1 : 0;
  return {
    kind: element.dataset.chart,
    drawn: true,
    near,
    legend: legend ? legend.getData().map((item) => item.get("name")) : [],
    series: option.series.map((series) => series.name),
    axes: [option.xAxis.length, option.yAxis.length, axes.map((axis) => axis.type).sort().join(",")],
    categoriesAsData: JSON.stringify(categoryAxis.data) === JSON.stringify(categories),
    painted: painted / (canvas.width * canvas.height),
    animated: option.animation,
  };
})
"""


def chart_states(page) -> list:
    return page.locator("[data-chart]").evaluate_all(CHART_STATE)


def charts_in_html(html: str) -> int:
    return len(re.findall(r'<div [^>]*data-chart="', html))


def assert_drawn(state, where: str) -> None:
    """STATE (from CHART_STATE) is a chart drawn with its legend, one category and one value axis, and ink."""
    kind = state["kind"]
    assert state["drawn"], f"{where}: {kind} chart not drawn"
    assert state["legend"] and state["legend"] == state["series"], f"{where}: {kind} legend {state['legend']}"
    assert state["axes"] == [1, 1, "category,value"], f"{where}: {kind} axes {state['axes']}"
    assert state["categoriesAsData"], f"{where}: {kind} shows other categories than the page's data"
    # Axes, labels, legend and bars: a few per cent of the box at least (a blank canvas is 0).
    assert state["painted"] > 0.01, f"{where}: {kind} canvas is blank ({state['painted']:.4f} painted)"


@pytest.fixture(params=["desktop", "phone"])
def offline_page(request, browser, browser_context_args, live_server):
    """A page on a desk (1280×720) or a phone, every request to a host other than the live server aborted."""
    phone = request.param == "phone"
    context = browser.new_context(**{**browser_context_args, **(PHONE if phone else {})})
    page = context.new_page()
    server = urlparse(live_server.url).netloc
    page.elsewhere = []

    def only_the_server(route):
        if urlparse(route.request.url).netloc == server:
            route.continue_()
        else:
            page.elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.viewport_name = request.param
    yield page
    context.close()


def test_every_chart_draws_as_the_reader_scrolls_to_it_with_no_network(offline_page, live_server, demo):
    page = offline_page
    errors = collect_errors(page)
    caoqiao = Town.objects.get(name="曹桥街道")
    login(page, live_server, "leader")

    for name, path, expected in [("dashboard", "/", DASHBOARD_CHARTS), ("town", f"/towns/{caoqiao.pk}/", TOWN_CHARTS)]:
        where = f"{name} on a {page.viewport_name}"
        # Counted in what the server sends, so a chart the page loses on the way is missed.
        assert charts_in_html(page.request.get(f"{live_server.url}{path}").text()) == expected, where
        page.goto(f"{live_server.url}{path}")
        page.wait_for_function(DRAWN_AT_LOAD)

        scroll_through(page)

        states = chart_states(page)
        assert len(states) == expected, where
        for state in states:
            assert_drawn(state, where)
        shot(page, f"charts_{name}_{page.viewport_name}")

    assert page.elsewhere == []
    assert errors == []


def test_charts_in_view_draw_at_once_the_rest_when_scrolled_to_or_printed(page, live_server, demo):
    errors = collect_errors(page)
    login(page, live_server, "leader")

    # Opened at the township chart (a new document, not a jump within the one signing in landed on): it is in
    # view at load, the charts at the bottom are not.
    page.goto(f"{live_server.url}/?year=2022&month=8#towns-chart-heading")
    page.wait_for_function(DRAWN_AT_LOAD)
    # The browser scrolls to the heading smoothly (Bootstrap's scroll-behavior): once there, what is near is drawn.
    page.wait_for_function("() => Math.abs(document.getElementById('towns-chart-heading').getBoundingClientRect().top) < 2")
    page.wait_for_function(
        f"() => ({CHART_STATE})([...document.querySelectorAll('[data-chart]')]).every((state) => state.drawn === state.near)"
    )
    before_scrolling = chart_states(page)
    assert_drawn(next(state for state in before_scrolling if state["kind"] == "towns"), "the township chart at load")
    assert [state["kind"] for state in before_scrolling if not state["drawn"]] == ["economy", "classes"]

    # Printing draws every chart not drawn yet, whole (no animation caught halfway).
    page.pdf(format="A4")
    states = chart_states(page)
    for state in states:
        assert_drawn(state, "printed")
    assert {state["animated"] for state, before in zip(states, before_scrolling) if not before["drawn"]} == {False}

    # A narrower window: the drawn charts take their boxes' new width.
    page.set_viewport_size({"width": 700, "height": 900})
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every((element) => echarts.getInstanceByDom(element).getWidth() === element.clientWidth)"
    )
    assert errors == []
