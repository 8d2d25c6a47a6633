"""A test-only HTTP proxy that loses or holds answers: the request reaches the server, the answer the
browser never or only when the test says so.

Each request gets a connection of its own to the server (``Connection: close`` is set on the way
through), so a connection carries one request and its answer; websocket upgrades pass untouched.
``drop_answers(method, path, count)`` makes the next ``count`` such requests lose their answer: the
proxy reads the whole answer (the server has committed by then) and closes the browser's connection
without sending a byte of it. ``hold_answers(method, path)`` makes the next such request a slow one:
the proxy reads the whole answer, then keeps it until the test releases it (and drops it then, if
both were asked).
"""

import contextlib
import re
import socket
import threading
from dataclasses import dataclass, field

from tests.servers import free_port

HEAD_END = b"\r\n\r\n"


@dataclass
class HeldAnswer:
    """An answer the proxy keeps from the browser: ``arrived`` once the server has answered; ``release()`` sends it."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_until_arrived(self, timeout: float = 10.0) -> None:
        assert self.arrived.wait(timeout), "the server did not answer the held request"

    def release(self) -> None:
        self.released.set()


@dataclass
class Passed:
    method: str
    path: str
    answer_dropped: bool
    answer: bytes = b""


class DroppingProxy:
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.passed: list[Passed] = []
        self._drops: dict[tuple[str, str], int] = {}
        self._holds: dict[tuple[str, str], list[HeldAnswer]] = {}
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_answers(self, method: str, path: str, count: int = 1) -> None:
        with self._lock:
            self._drops[(method, path)] = count

    def hold_answers(self, method: str, path: str) -> HeldAnswer:
        """Keep the answer to the next ``method path`` request until ``release()`` (at most 30 s)."""
        held = HeldAnswer()
        with self._lock:
            self._holds.setdefault((method, path), []).append(held)
        return held

    def requests(self, method: str, path: str) -> list[Passed]:
        with self._lock:
            return [passed for passed in self.passed if (passed.method, passed.path) == (method, path)]

    def close(self) -> None:
        self._stopped = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        try:
            head, rest = self._read_head(client)
            if head is None:
                return
            method, path = head.split(b" ", 2)[:2]
            method, path = method.decode(), path.decode().split("?")[0]
            if not re.search(rb"^upgrade:\s*websocket", head, re.IGNORECASE | re.MULTILINE):
                head = re.sub(rb"(?im)^connection:[^\r\n]*\r\n", b"", head + b"\r\n")[:-2]
                head += b"\r\nConnection: close"
            with self._lock:
                drop = self._drops.get((method, path), 0) > 0
                if drop:
                    self._drops[(method, path)] -= 1
                holds = self._holds.get((method, path))
                held = holds.pop(0) if holds else None
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            upstream.sendall(head + HEAD_END + rest)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            answer = self._pipe(upstream, None if drop or held else client)
            if held:
                held.arrived.set()
                held.released.wait(30)
                if not drop:  # held, then lost
                    client.sendall(answer)
            with self._lock:
                self.passed.append(Passed(method, path, drop, answer if drop else b""))
        except OSError:
            pass
        finally:
            # Shut down first: a close alone leaves the connection open while the other thread still reads it.
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()
            if upstream is not None:
                upstream.close()

    @staticmethod
    def _read_head(client: socket.socket) -> tuple[bytes | None, bytes]:
        data = b""
        while HEAD_END not in data:
            chunk = client.recv(65536)
            if not chunk:
                return None, b""
            data += chunk
        head, rest = data.split(HEAD_END, 1)
        return head, rest

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket | None) -> bytes:
        """Copy ``source`` to ``target`` until it closes; with no target, keep what came (a lost answer)."""
        kept = b""
        try:
            while chunk := source.recv(65536):
                if target is None:
                    kept += chunk
                else:
                    target.sendall(chunk)
        except OSError:
            pass
        finally:
            if target is not None:
                with contextlib.suppress(OSError):
                    target.shutdown(socket.SHUT_WR)
        return kept
