"""A minimal OTLP/HTTP trace receiver on 127.0.0.1: it keeps every request body exactly as it arrived and
decodes it with the official protobuf classes (``opentelemetry-proto``)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


@dataclass
class Received:
    url: str
    bodies: list[bytes] = field(default_factory=list)
    """Every payload as it went over the wire (before decompression)."""

    def requests(self) -> list[ExportTraceServiceRequest]:
        out = []
        for body in self.bodies:
            raw = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
            out.append(ExportTraceServiceRequest.FromString(raw))
        return out


@contextmanager
def otlp_receiver() -> Iterator[Received]:
    """Serve ``POST /v1/traces`` on a free port of 127.0.0.1 until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                received.bodies.append(body)
                status, reply = 200, ExportTraceServiceResponse().SerializeToString()
            else:
                status, reply = 404, b""
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received = Received(f"http://127.0.0.1:{server.server_address[1]}/v1/traces")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def plain(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as the Python value the SDK was given (arrays as tuples, as it keeps them)."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(plain(v) for v in value.array_value.values)
    return getattr(value, kind)
