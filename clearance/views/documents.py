"""Pages as documents to circulate: the monthly bulletin as a Word file (.docx, A4)."""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from ..reports.docx import article_as_docx
from .dashboard import BulletinView

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class BulletinDocxView(BulletinView):
    """The bulletin of the period as a Word document: the same page, rendered, then carried over section by section."""

    def render_to_response(self, context, **response_kwargs):
        page = render_to_string(self.template_name, context, request=self.request)
        period = context["period"]
        title = _("%(city)s clearance campaign bulletin") % {"city": context["city_name"]}
        content = article_as_docx(page, selector="data-bulletin", title=title)
        response = HttpResponse(content, content_type=DOCX_TYPE)
        filename = f"{title}-{period['year']}-{period['month']:02d}.docx"
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        return response
