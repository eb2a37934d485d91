"""{% table_head %} and {% table_body table %}: a table's header cells and body rows built in one pass, for
templates/clearance/includes/_table.html and the rankings' _dashboard_table.html."""

from django import template

from ..tables.one_pass import head_cells
from ..tables.one_pass import table_body as one_pass_table_body

register = template.Library()


@register.simple_tag
def table_body(table):
    """TABLE's body rows built in one pass (clearance.tables.one_pass), or None where the template must render them."""
    return one_pass_table_body(table)


@register.simple_tag(takes_context=True)
def table_head(context, table, aria_sort=False):
    """TABLE's header cells built in one pass (clearance.tables.one_pass.head_cells) for the page's request; None
    where the context has no request (the template then renders them, and says what is missing)."""
    request = context.get("request")
    return None if request is None else head_cells(table, request, aria_sort=aria_sort)
