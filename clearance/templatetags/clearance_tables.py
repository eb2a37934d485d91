"""{% table_body table %}: a table's body rows built in one pass, for templates/clearance/includes/_table.html."""

from django import template

from ..tables.one_pass import table_body as one_pass_table_body

register = template.Library()


@register.simple_tag
def table_body(table):
    """TABLE's body rows built in one pass (clearance.tables.one_pass), or None where the template must render them."""
    return one_pass_table_body(table)
