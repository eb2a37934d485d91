"""The battle board's cards, each built in one pass with its numbers formatted once.

Why: the board shows up to thirty cards in each of its eight columns. Through the template language each card was an
include with a dozen variable lookups, two blocktranslates and floatformat through the locale machinery: about
0.4 ms a card, most of the page's time at province scale. Here a card is one f-string; the markup and the words
are those the template had (tests/views/test_board.py reads the cards as users see them).
"""

from collections.abc import Callable
from datetime import date

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from ..formatting import number_formatter
from ..models import Site
from .one_pass import html_text
from .ranking import town_url_maker


def card_maker(*, show_town: bool) -> Callable[[Site], SafeString]:
    """Return site -> its card (from selectors.board_cards: town, parent, progress figures, overdue, open items),
    with its town's name when SHOW_TOWN (the city's board)."""
    area = number_formatter(-2, grouped=True)
    site_url = town_url_maker("clearance:site_detail")
    mu, deadline_word, late = (conditional_escape(gettext(word)) for word in ("mu", "Deadline", "Deadline passed"))

    def card(site: Site) -> SafeString:
        url = site_url(site.pk)
        place = f"{html_text(site.town.name)} · " if show_town else ""
        place += f"{area(site.area_mu)} {mu}"
        if site.parent is not None:
            place += " · " + conditional_escape(gettext("in %(area)s") % {"area": site.parent.name})
        lines = [f'<p class="small text-secondary mb-1">{place}</p>']
        if site.enterprise_count:
            progress = gettext("%(total)s enterprises · %(signed)s signed · %(vacated)s vacated") % {
                "total": site.enterprise_count, "signed": site.signed_count, "vacated": site.vacated_count}
            lines.append(f'<p class="small mb-1" data-progress>{conditional_escape(progress)}</p>')
        if site.has_parcels:
            parcels = gettext("Parcels inside: %(done)s of %(total)s vacated, %(area)s mu") % {
                "done": site.parcels_vacated_count, "total": site.parcel_count, "area": area(site.vacated_area_mu)}
            lines.append(f'<p class="small mb-1" data-parcels-vacated="{site.parcels_vacated_count}">'
                         f'{conditional_escape(parcels)}</p>')
        if site.open_register_count:
            items = ngettext("%(count)s open dispute or hazard", "%(count)s open disputes or hazards",
                             site.open_register_count) % {"count": site.open_register_count}
            lines.append(f'<p class="small mb-1" data-register-open="{site.open_register_count}"><a class="badge '
                         f'text-bg-warning text-decoration-none" href="{url}#register">{conditional_escape(items)}</a></p>')
        if site.deadline:
            lines.append(_deadline(site.deadline, site.is_overdue, word=deadline_word, late=late))
        overdue = " board-card-overdue" if site.is_overdue else ""
        return mark_safe(
            f'<article class="card board-card mb-2{overdue}" data-site="{site.pk}"{" data-overdue" if overdue else ""}>'
            f'<div class="card-body p-2"><h3 class="h6 mb-1 text-break-cjk"><a href="{url}">'
            f'{html_text(site.name)}</a></h3>{"".join(lines)}</div></article>'
        )

    return card


def _deadline(day: date, overdue: bool, *, word: str, late: str) -> str:
    badge = f'<span class="badge text-bg-danger ms-1">{late}</span>' if overdue else ""
    return (f'<p class="small mb-0"><span class="visually-hidden">{word}</span>'
            f'<time datetime="{day.isoformat()}" title="{word}">{day.isoformat()}</time>{badge}</p>')
