"""A page's printable article as a Word document (.docx, A4), the way offices circulate a 通报.

Why from the rendered page: the bulletin is one template; building the document from its HTML means the
Word file says exactly what the page says, sections added to the page included, and no figure or rule is
written twice. Headings, paragraphs and tables (with their merged header cells) are carried over; what the
page hides from print (`d-print-none`), charts and forms are left out.
"""

import io
import re

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import html

# The office fonts of a 通报: the title in 小标宋-like 黑体, the body in 仿宋; Latin text in Times New Roman.
TITLE_FONT, HEADING_FONT, BODY_FONT, LATIN_FONT = "黑体", "黑体", "仿宋", "Times New Roman"
SKIPPED_TAGS = {"script", "style", "canvas", "form", "button", "input", "select", "svg", "noscript", "template"}
# XML 1.0 refuses these characters; a name typed with one must not stop the whole document.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """TEXT with its runs of white space made one space and the characters XML cannot hold removed."""
    return _XML_INVALID.sub("", " ".join(text.split()))


def _hidden(element) -> bool:
    classes = (element.get("class") or "").split()
    return (
        not isinstance(element.tag, str)
        or element.tag in SKIPPED_TAGS
        or "d-print-none" in classes
        or "d-none" in classes
        or "visually-hidden-focusable" in classes
        or element.get("hidden") is not None
        or element.get("aria-hidden") == "true"
    )


def _text(element) -> str:
    """The visible text of ELEMENT, hidden parts left out, a line break kept as a space."""
    parts = []

    def walk(node):
        if _hidden(node):
            if isinstance(node.tag, str) and node.tail:
                parts.append(node.tail)
            return
        if node.tag == "br":
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if node.tail and node is not element:
            parts.append(node.tail)

    walk(element)
    return clean_text("".join(parts))


def _set_fonts(run, east_asian: str, size: float, *, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def _paragraph(document, text: str, *, font: str = BODY_FONT, size: float = 12, bold: bool = False,
               centred: bool = False):
    paragraph = document.add_paragraph()
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_fonts(paragraph.add_run(text), font, size, bold=bold)
    return paragraph


def _grid(table_element) -> tuple[list[list[tuple[str, bool, int, int] | None]], int]:
    """Lay TABLE_ELEMENT's cells on a grid: each origin cell as (text, is_header, rows, columns), spans as None."""
    rows = [row for row in table_element.iter("tr") if not _hidden(row)]
    grid: dict[tuple[int, int], object] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            if not isinstance(cell.tag, str) or cell.tag not in ("td", "th") or _hidden(cell):
                continue
            while (r, c) in grid:
                c += 1
            rowspan = max(1, min(int(cell.get("rowspan") or 1), len(rows) - r))
            colspan = max(1, min(int(cell.get("colspan") or 1), 50))
            grid[(r, c)] = (_text(cell), cell.tag == "th", rowspan, colspan)
            for dr in range(rowspan):
                for dc in range(colspan):
                    if (dr, dc) != (0, 0):
                        grid[(r + dr, c + dc)] = None
            c += colspan
            width = max(width, c)
    return [[grid.get((r, c)) for c in range(width)] for r in range(len(rows))], width


def _table(document, table_element, *, header_rows: int) -> None:
    cells, width = _grid(table_element)
    if not cells or not width:
        return
    table = document.add_table(rows=len(cells), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(cells):
        for c, origin in enumerate(row):
            if origin is None:
                continue
            text, is_header, rowspan, colspan = origin
            target = table.cell(r, c)
            if rowspan > 1 or colspan > 1:
                target = target.merge(table.cell(r + rowspan - 1, c + colspan - 1))
            paragraph = target.paragraphs[0]
            if r < header_rows:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_fonts(paragraph.add_run(text), BODY_FONT, 10.5, bold=is_header and r < header_rows)
    document.add_paragraph()


def _a4(document) -> None:
    for section in document.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(25)
        section.left_margin = section.right_margin = Mm(20)


def _walk(document, element) -> None:
    """Carry ELEMENT's headings, paragraphs and tables over to DOCUMENT, in the page's order."""
    for child in element:
        if _hidden(child):
            continue
        tag = child.tag
        if tag == "h1":
            _paragraph(document, _text(child), font=TITLE_FONT, size=18, bold=True, centred=True)
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            _paragraph(document, _text(child), font=HEADING_FONT, size=14 if tag == "h2" else 12, bold=True)
        elif tag == "table":
            _table(document, child, header_rows=sum(1 for head in child.iter("thead") for _ in head.iter("tr")))
        elif tag in ("p", "li", "caption", "dt", "dd"):
            if text := _text(child):
                _paragraph(document, text, centred=element.tag == "header")
        else:
            _walk(document, child)


def article_as_docx(page_html: str, *, selector: str, title: str) -> bytes:
    """Return the element of PAGE_HTML matching the CSS attribute SELECTOR (e.g. "data-bulletin") as a .docx on A4."""
    root = html.fromstring(_XML_INVALID.sub("", page_html))
    found = root.xpath(f"//*[@{selector}]")
    document = Document()
    document.core_properties.title = clean_text(title)
    _a4(document)
    if found:
        _walk(document, found[0])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
