"""A fake FHIR server and JWKS host on loopback (127.0.0.1, ephemeral port), recording every request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


class FakeServer:
    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes  # path (with query) -> JSON body, or a callable(path) -> (status, body)
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append((self.path, dict(self.headers)))
                body = outer.routes.get(self.path.split("?")[0])
                status = 200
                if callable(body):
                    status, body = body(self.path)
                if body is None:
                    status, body = 404, {"resourceType": "OperationOutcome"}
                data = orjson.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@contextmanager
def serve(routes: dict[str, Any]) -> Iterator[FakeServer]:
    srv = FakeServer(routes)
    t = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
