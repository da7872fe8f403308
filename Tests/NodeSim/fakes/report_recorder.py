#!/usr/bin/env python3
"""Records the node's setup reports (`POST <REPORT_URL>` with `Authorization:
Bearer <REPORT_TOKEN>` and `{"step","state","message"}`) on a loopback port of
the simulated droplet's network, one JSON line each. A report with the wrong
path, token or body is answered 4xx and recorded as a violation."""

import argparse
import json
import os
import sys
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simlib  # noqa: E402

STEPS = ["packages", "docker", "tailscale", "firewall", "storage", "images", "bitcoind", "lnd", "lnbits", "complete"]
STATES = ["running", "done", "failed"]
REPORTS_LOG = os.path.join(simlib.OUT_DIR, "reports.jsonl")


def check(path, headers, body, expected_path, expected_token):
    if path != expected_path:
        return 404, f"reported to {path}, not {expected_path}"
    if headers.get("Authorization") != f"Bearer {expected_token}":
        return 401, "missing or wrong Authorization: Bearer token"
    if not (headers.get("Content-Type") or "").startswith("application/json"):
        return 415, "Content-Type is not application/json"
    try:
        report = json.loads(body)
    except ValueError:
        return 400, "the body is not JSON"
    if not isinstance(report, dict) or set(report) - {"step", "state", "message"}:
        return 400, "the body must be an object with step, state and message only"
    if report.get("step") not in STEPS or report.get("state") not in STATES:
        return 400, f"unknown step or state: {report.get('step')!r} {report.get('state')!r}"
    if not isinstance(report.get("message", ""), str):
        return 400, "message must be a string"
    return 204, report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--token", required=True)
    arguments = parser.parse_args()

    def respond(method, path, headers, body):
        if method != "POST":
            simlib.record_violation("reports", f"a {method} to the report URL", path=path)
            return 405, None, None
        status, result = check(urlsplit(path).path, headers, body, arguments.path, arguments.token)
        if status == 204:
            simlib.append_json(REPORTS_LOG, result)
        else:
            simlib.record_violation("reports", result, path=path)
        return status, None, None

    ThreadingHTTPServer(("127.0.0.1", arguments.port), simlib.json_handler("report", respond)).serve_forever()


if __name__ == "__main__":
    main()
