"""Serve uploaded photos through Django's storage API, from disk or object storage, to signed-in users only."""

import mimetypes

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.static import serve

# What /media/ serves: the folders Photo.image and Photo.thumbnail store under (clearance.models.photo_upload_to).
# Anything else that lands in MEDIA_ROOT — a ledger an older version kept there between preview and confirmation,
# a file an operator copied in — is never served.
SERVED_FOLDERS = ("photos/",)


def media_serve(request: HttpRequest, path: str):
    """Return the stored photo PATH (LoginRequiredMiddleware has already turned anonymous visitors away)."""
    if not path.startswith(SERVED_FOLDERS) or ".." in path.split("/"):
        raise Http404(path)
    if isinstance(default_storage, FileSystemStorage):
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    # The storage checks the name: one climbing out of its location is refused (SuspiciousOperation, a 400).
    if path.endswith("/") or not default_storage.exists(path):
        raise Http404(path)
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(path, "rb"), content_type=content_type)
    # Stored names are random and never reused, so a browser may keep a photo; shared caches may not.
    response["Cache-Control"] = "private, max-age=86400"
    return response
