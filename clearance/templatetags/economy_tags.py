"""Template filters of the economy's pages; none of them touches the database."""

from django import template

from ..selectors.economy import plain

register = template.Library()


@register.filter
def plain_number(value):
    """Show a stored figure without the trailing zeros its column keeps: 6.50 → 6.5, 30.00 → 30."""
    return plain(value) if hasattr(value, "quantize") else value
