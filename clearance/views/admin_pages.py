"""Pages of the reference data admins keep, read by every signed-in role: the pairing board (联挂)."""

from django.http import Http404
from django.views.generic import TemplateView

from .. import selectors
from ..models import BureauHead


class PairingBoardView(TemplateView):
    """Every town with its paired head, bureau, task force and since when, and the history of its pairings.

    With ?head=<id>, the history of one head's pairings across towns.
    """

    http_method_names = ["get", "head", "options"]
    template_name = "clearance/pairing_board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        head_id = self.request.GET.get("head")
        if head_id is not None:
            valid = head_id.isascii() and head_id.isdigit()  # "²".isdigit() is true, but no id
            head = BureauHead.objects.select_related("bureau").filter(pk=head_id).first() if valid else None
            if head is None:
                raise Http404("No such bureau head.")
            context.update(head=head, head_pairings=selectors.head_pairings(head=head))
        else:
            rows = selectors.pairing_board()
            context.update(rows=rows, has_history=any(row.ended for row in rows))
        return context
