"""S3-compatible object storage for photos, kept private behind the app's sign-in (imported only when configured)."""

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """Private objects whose URLs lead to the app's /media/ view rather than to the object store.

    The view (pinghu.media.media_serve) checks the sign-in on every request and streams the object, so the
    object store need not be reachable from officials' phones, no signed link that works without signing in
    ever appears in a page, and the content security policy keeps images to the site's own origin.
    """

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        return f"{settings.MEDIA_URL}{filepath_to_uri(name)}"
