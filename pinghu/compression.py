"""Pages, tables and JSON sent compressed: on a slow mobile network the dashboard's HTML is most of a repeat visit."""

from django.middleware.gzip import GZipMiddleware

# What compresses well. Photos, spreadsheets and Word documents are compressed already.
COMPRESSIBLE_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml")


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, with its BREACH mitigation (random bytes in each compressed response), for text only:
    compressing a streamed photo or an .xlsx would cost the worker time and save nothing."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(COMPRESSIBLE_TYPES):
            return response
        return super().process_response(request, response)
