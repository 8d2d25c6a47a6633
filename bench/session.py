"""Log the bench cashier in through ``/login/`` and build the headers every request sends."""

import secrets
import string
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.http_client import HttpConnection


class LoginFailed(Exception):
    pass


@dataclass(frozen=True)
class Session:
    host: str
    port: int
    session_id: str
    csrf_token: str

    def headers(self, content_type: str = "application/json", *, extra: str = "") -> bytes:
        """Cookies set by hand (no cookie jar; they are ``Secure`` in production) and the CSRF proof.

        ``X-Forwarded-Proto: https`` makes Django see the request as HTTPS, as behind the
        production proxy; a matching ``Origin`` then satisfies the CSRF origin check.
        """
        return (
            f"Cookie: sessionid={self.session_id}; csrftoken={self.csrf_token}\r\n"
            f"X-CSRFToken: {self.csrf_token}\r\n"
            f"Origin: https://{self.host}:{self.port}\r\n"
            "X-Forwarded-Proto: https\r\n"
            f"Content-Type: {content_type}\r\n"
            f"{extra}"
        ).encode()


async def log_in(host: str, port: int, *, username: str, password: str) -> Session:
    """POST the login form with our own CSRF token; Django answers 302 and sets ``sessionid``."""
    # A CSRF secret is 32 letters/digits; sent as cookie and form field it passes the check
    # without first GETting the login page.
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    body = urlencode({"csrfmiddlewaretoken": csrf, "username": username, "password": password, "next": "/"})
    connection = HttpConnection(host, port, timeout=30)
    try:
        response = await connection.request(
            "POST",
            "/login/",
            headers=(
                f"Cookie: csrftoken={csrf}\r\n"
                f"Origin: https://{host}:{port}\r\n"
                "X-Forwarded-Proto: https\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
            ).encode(),
            body=body.encode(),
        )
    finally:
        connection.close()
    cookies = response.cookies()
    if response.status != 302 or "sessionid" not in cookies:
        raise LoginFailed(f"POST /login/ answered {response.status}: {response.body[:300]!r}")
    # Logging in rotates the CSRF token.
    return Session(host, port, cookies["sessionid"], cookies.get("csrftoken", csrf))
