"""A Rasa replica that dies mid-turn: it answers ``/status``, then takes a turn's request and closes without answering."""

from __future__ import annotations

import json
import socket
import threading

from testkit.services import free_port

STATUS_BODY = json.dumps({"model_id": "fake-model", "model_file": "models/fake.tar.gz"}).encode()


class DyingRasa:
    """A raw socket server: the first turn it reads kills it (connection closed, listening socket closed)."""

    def __init__(self) -> None:
        """Listen on a free port at once."""
        self.port = free_port()
        self.turns: list[dict[str, object]] = []
        self.dead = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Close everything (idempotent)."""
        self.dead.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self.dead.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        self._listener.close()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            self._exchange(conn)

    def _exchange(self, conn: socket.socket) -> None:
        while not self.dead.is_set():
            head, body = _read_request(conn)
            if head is None or self.dead.is_set():
                return
            if head.startswith(b"GET /status"):
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(STATUS_BODY)}\r\n\r\n".encode()
                    + STATUS_BODY
                )
                continue
            # The whole turn was received: Rasa may be running it now. Then the process "dies".
            self.turns.append(json.loads(body))
            self.dead.set()
            conn.shutdown(socket.SHUT_RDWR)
            return


def _read_request(conn: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = conn.recv(65536)
        except OSError:
            return None, b""
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, rest[:length]
