"""An HTTP client for the benchmark: a signed-in visitor of the served site, and the responses it times."""

import http.client
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from .config import DEMO_PASSWORD, HOST, SERVER_TIMEOUT_SECONDS, BenchError


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    wall_ms: float

    def server_timing(self) -> dict[str, float]:
        """Return the durations of the Server-Timing header, in ms, by name (app, db)."""
        timings = {}
        for part in (self.headers.get("Server-Timing") or "").split(","):
            name, _separator, duration = part.strip().partition(";dur=")
            if duration:
                timings[name] = float(duration)
        return timings

    @property
    def query_count(self) -> int | None:
        count = self.headers.get("X-Query-Count")
        return None if count is None else int(count)


class HttpClient:
    """A signed-in visitor: keeps cookies, one connection per request (gunicorn's sync workers close them)."""

    def __init__(self, port: int, timeout: float = SERVER_TIMEOUT_SECONDS + 30):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, files: list[tuple[str, str, bytes]] | None = None,
                headers: dict | None = None) -> Response:
        """Send METHOD PATH; a FORM goes with the CSRF token, as multipart/form-data when FILES (field, name, content) come too."""
        all_headers = {"Accept-Language": "zh-hans", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            fields = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            if files:
                body, all_headers["Content-Type"] = multipart_body(fields, files)
            else:
                body = urlencode(fields).encode()
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            start = time.perf_counter()
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            content = response.read()
            wall_ms = (time.perf_counter() - start) * 1000
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Response(response.status, response.headers, content, wall_ms)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict, **kwargs) -> Response:
        return self.request("POST", path, form=form, **kwargs)

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        """Sign in through the login page, as a browser does (CSRF cookie first)."""
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {"username": username, "password": password, "next": "/"})
        if response.status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"signing in as {username} failed (HTTP {response.status})")


def multipart_body(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """Return a multipart/form-data body of FIELDS and FILES (field, file name, content), and its Content-Type."""
    boundary = f"----soak{secrets.token_hex(12)}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, filename, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
