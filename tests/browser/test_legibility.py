"""What Lighthouse's accessibility and best-practice audits found, kept fixed: text that reads against its background
(WCAG AA, 4.5:1) in the navigation bar on a desk and on the battle board, and no text under 12 px on a phone's board."""

from playwright.sync_api import expect

from tests.browser.conftest import login

# The contrast of each visible element of SELECTOR's text against the background it is drawn on (WCAG 2's formula;
# a translucent colour blended over the first opaque background among its ancestors).
CONTRASTS = """(selector) => {
  function rgba(text) {
    const parts = text.match(/[\\d.]+/g).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  }
  function over(top, bottom) {
    return {r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
            b: top.b * top.a + bottom.b * (1 - top.a), a: 1};
  }
  function background(element) {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour.a > 0) { layers.push(colour); }
      if (colour.a === 1) { break; }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), {r: 255, g: 255, b: 255, a: 1});
  }
  function luminance(colour) {
    const [r, g, b] = [colour.r, colour.g, colour.b].map((value) => {
      const channel = value / 255;
      return channel <= 0.03928 ? channel / 12.92 : Math.pow((channel + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  return Array.from(document.querySelectorAll(selector))
    .filter((element) => element.getClientRects().length && element.textContent.trim())
    .map((element) => {
      const behind = background(element);
      const text = over(rgba(getComputedStyle(element).color), behind);
      const [light, dark] = [luminance(text), luminance(behind)].sort((a, b) => b - a);
      return {text: element.textContent.trim().slice(0, 30), ratio: Math.round((light + 0.05) / (dark + 0.05) * 100) / 100};
    });
}"""

# Every visible piece of text inside SELECTOR whose font is smaller than 12 px, with its size.
SMALL_TEXT = """(selector) => {
  const small = [];
  for (const box of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (!node.textContent.trim() || !element.getClientRects().length || element.closest(".visually-hidden")) {
        continue;
      }
      const size = parseFloat(getComputedStyle(element).fontSize);
      if (size < 12) { small.push(node.textContent.trim().slice(0, 30) + " " + size + "px"); }
    }
  }
  return small;
}"""


def test_every_entry_of_the_navigation_bar_reads_against_it_on_a_desk(page, live_server, demo):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server, "leader")
    expect(page.locator("#main-nav")).to_be_visible()

    entries = page.evaluate(CONTRASTS, "nav.navbar a, nav.navbar button, nav.navbar .navbar-text")

    assert len(entries) >= 10
    assert [entry for entry in entries if entry["ratio"] < 4.5] == []


def test_the_phone_board_reads_at_12_px_and_more_and_its_links_against_the_columns(phone_page, live_server, demo):
    login(phone_page, live_server, "leader")
    phone_page.goto(f"{live_server.url}/board/")
    expect(phone_page.locator("[data-board-column]")).to_have_count(8)

    links = phone_page.evaluate(CONTRASTS, "[data-board-column] a")

    # The demo's busiest column has more cards than it shows: its "and … more" link is among these.
    assert phone_page.locator("[data-column-more]").count() >= 1
    assert [link for link in links if link["ratio"] < 4.5] == []
    assert phone_page.evaluate(SMALL_TEXT, "[data-board-column]") == []
