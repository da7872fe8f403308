"""What the simulated droplet's stand-ins and fakes share: where the run's
files are, how a call or a violation is recorded, and which step is forced
to fail. Standard library only: it runs on the sim's own python3."""

import json
import os
import time
from http.server import BaseHTTPRequestHandler

# The harness's folder, bind-mounted into the sim; nothing of it stays in the rootfs.
SIM_DIR = os.environ.get("NODE_SIM_DIR", "/node-sim")
OUT_DIR = os.path.join(SIM_DIR, "out")
CALLS_LOG = os.path.join(OUT_DIR, "calls.jsonl")
VIOLATIONS_LOG = os.path.join(OUT_DIR, "violations.jsonl")


def fail_step():
    """The setup step the run forces to fail (`--fail-step`), or ""."""
    try:
        with open(os.path.join(SIM_DIR, "fail-step"), encoding="utf-8") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return ""


def append_json(path, record):
    """One JSON line, appended in a single write so concurrent writers never interleave."""
    line = json.dumps(record, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def record_call(tool, argv, **extra):
    append_json(CALLS_LOG, {"tool": tool, "argv": list(argv), "cwd": os.getcwd(), "time": time.time(), **extra})


def record_violation(source, reason, **extra):
    """Something the script did that the real service would refuse or that breaks the node: fails the run."""
    append_json(VIOLATIONS_LOG, {"source": source, "reason": reason, "time": time.time(), **extra})


def read_state(name, default):
    try:
        with open(os.path.join(OUT_DIR, name), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def write_state(name, value):
    path = os.path.join(OUT_DIR, name)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(value, handle, sort_keys=True)
    os.replace(path + ".tmp", path)


def json_handler(tool, respond):
    """An HTTP/1.1 request handler class for a fake: `respond(method, path, headers, body)`
    returns (status, reply, extra headers); a reply of None is an empty body, bytes are
    sent as plain text, anything else as JSON. Each request is recorded as a call of `tool`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, reply, headers = respond(self.command, self.path, self.headers, body)
            record_call(tool, [self.command, self.path], status=status)
            if isinstance(reply, bytes):
                payload, content_type = reply, "text/plain"
            else:
                payload, content_type = (json.dumps(reply).encode(), "application/json") if reply is not None else (b"", None)
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = serve

    return Handler
