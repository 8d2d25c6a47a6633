"""A small HTTP/1.1 keep-alive client on asyncio streams: light enough to share the machine."""

import asyncio
import time
from dataclasses import dataclass


class ConnectionLost(Exception):
    """The server closed the connection before a complete response arrived."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def cookies(self) -> dict[str, str]:
        """The ``name=value`` of each ``Set-Cookie``, attributes dropped."""
        cookies = {}
        for key, value in self.headers:
            if key == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0].strip()
        return cookies


# uvicorn closes a keep-alive connection idle for 5 s; like any HTTP client, open a new one rather
# than send on one the server may be closing at that moment.
IDLE_REUSE_SECONDS = 4.0


class HttpConnection:
    """One keep-alive connection; reconnects by itself after the server closes it."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0
        self.last_used = 0.0

    async def request(self, method: str, path: str, *, headers: bytes = b"", body: bytes = b"") -> Response:
        """Send one request; ``headers`` are ready-made ``Name: value\\r\\n`` lines."""
        if self.writer is not None and (self.reader.at_eof() or time.monotonic() - self.last_used > IDLE_REUSE_SECONDS):
            self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
            self.connects += 1
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n".encode()
            + headers
            + b"\r\n"
        )
        try:
            self.writer.write(head + body)
            response = await asyncio.wait_for(self._read_response(), self.timeout)
        except BaseException:
            self.close()
            raise
        self.last_used = time.monotonic()
        return response

    async def _read_response(self) -> Response:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            raise ConnectionLost("connection closed before the response") from error
        lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        fields = dict(headers)
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = await self.reader.readexactly(int(fields.get("content-length", 0)))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, body)

    async def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def wait_until_serving(host: str, port: int, path: str, *, timeout: float) -> Response:
    """Poll ``path`` until the server answers at all (any status), or give up after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        connection = HttpConnection(host, port, timeout=5)
        try:
            return await connection.request("GET", path)
        except (TimeoutError, OSError, ConnectionLost):
            if loop.time() > deadline:
                raise TimeoutError(f"server on {host}:{port} did not answer {path} within {timeout:.0f} s") from None
            await asyncio.sleep(0.2)
        finally:
            connection.close()
