"""Loopback parts tests start: a base for the HTTP servers that play an endpoint, and a TCP forwarder
whose connections a test can cut (a database server going away mid-batch). 127.0.0.1, free ports, threads."""

from __future__ import annotations

import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackServer:
    """Serve a handler class on loopback while the ``with`` block runs."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class TcpProxy:
    """A TCP forwarder on loopback to ``host:port`` (a database server) that a test can :meth:`cut`: every
    connection open through it is reset at once, as when a server restarts or a network drops, while it
    keeps accepting new ones. Threads, one pair per connection."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.accepted = 0
        self.cut_connections = 0  # connections that were open when cut
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self.accepted += 1
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        self._drop([src, dst], reset=False)

    def _drop(self, sockets: list[socket.socket], reset: bool) -> None:
        for s in sockets:
            try:
                if reset:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
                s.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv() on it
            except OSError:
                pass
            s.close()
        with self._lock:
            self._open = [s for s in self._open if s not in sockets]

    def cut(self) -> int:
        """Reset every open connection (both ends); returns how many client connections there were."""
        with self._lock:
            sockets = list(self._open)
        self._drop(sockets, reset=True)
        self.cut_connections += len(sockets) // 2
        return len(sockets) // 2
