"""An OSRM table service of our own for the tests: real HTTP on a real port, distances from a
rule the test gives, and ways to misbehave (a status, a body, a delay)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Point = tuple[float, float]  # (latitude, longitude)
RoadRule = Callable[[Point, Point], float | None]  # (store, customer) -> km, None: no road


class FakeOsrm:
    def __init__(self, road_km: RoadRule, *, status: int = 200, body: bytes | None = None,
                 delay_s: float = 0.0):
        self.road_km = road_km
        self.status, self.body, self.delay_s = status, body, delay_s
        self.requests: list[str] = []  # the path of each table request, without its query
        self.queries: list[str] = []  # the query of each, as sent
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def heal(self) -> None:
        """Answer properly from now on."""
        self.status, self.body, self.delay_s = 200, None, 0.0

    def __enter__(self) -> FakeOsrm:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def table(self, path: str, query: str) -> bytes:
        parts = path.split("/")  # ..., "table", "v1", profile, coordinates
        coordinates = parts[parts.index("table") + 3]
        points = [tuple(float(v) for v in p.split(",")) for p in coordinates.split(";")]
        points = [(lat, lng) for lng, lat in points]
        params = parse_qs(query)
        assert params["destinations"] == ["0"] and params["annotations"] == ["distance"]
        sources = [int(i) for i in params["sources"][0].split(";")]
        rows = []
        for i in sources:
            km = self.road_km(points[i], points[0])
            rows.append([None if km is None else km * 1000])
        return json.dumps({"code": "Ok", "distances": rows}).encode()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                url = urlsplit(self.path)
                fake.requests.append(url.path)
                fake.queries.append(url.query)
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                body = fake.body if fake.body is not None else fake.table(url.path, url.query)
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler
