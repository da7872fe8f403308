#!/usr/bin/env python3
"""Per-call round trip to timmyd over one persistent Unix-socket connection.

    rpc_roundtrip.py SOCKET N

Times N calls of `daemon.info` and N of `bootstrap.create` (each creates a job:
point it at a throwaway stub daemon, as contrib/bench/bench.sh does), one call in
flight at a time. Next to them, the same client loop against a line echo server
this script runs in a thread: what the socket and the Python client cost alone,
so the ratio is roughly the daemon's share. Standard library only.
"""

import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

WARMUP = 20  # calls not timed: lets caches and lazily built state settle first
MAX_N = 100_000  # a bound, so a typo cannot keep a daemon busy for hours


def request(method, call_id, params=None):
    message = {"jsonrpc": "2.0", "id": call_id, "method": method}
    if params is not None:
        message["params"] = params
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def time_calls(path, n, make_line, check=None):
    """Microseconds per call: send one line, read one line back, n times."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(path)
        except OSError as error:
            sys.exit(f"rpc_roundtrip: cannot connect to {path}: {error.strerror}")
        reader = sock.makefile("rb")
        samples = []
        for i in range(WARMUP + n):
            line = make_line(i + 1)
            start = time.perf_counter_ns()
            sock.sendall(line)
            reply = reader.readline()
            elapsed = time.perf_counter_ns() - start
            if not reply:
                sys.exit(f"rpc_roundtrip: {path} closed the connection")
            if check:
                check(reply)
            if i >= WARMUP:
                samples.append(elapsed / 1000)
        return samples


def info(call_id):
    return request("daemon.info", call_id)


def create(call_id):
    return request("bootstrap.create", call_id, {"label": f"bench {call_id}"})


def must_succeed(reply):
    message = json.loads(reply)
    if "result" not in message:
        sys.exit(f"rpc_roundtrip: the daemon answered with an error: {message.get('error')}")


def echo_server(listener):
    """Echoes each line back on the one connection it accepts."""
    connection, _ = listener.accept()
    with connection, connection.makefile("rb") as reader:
        for line in reader:
            connection.sendall(line)


def summary(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or not 1 <= int(sys.argv[2]) <= MAX_N:
        sys.exit(f"usage: rpc_roundtrip.py SOCKET N   (N from 1 to {MAX_N})")
    path, n = sys.argv[1], int(sys.argv[2])
    if not os.path.exists(path):
        sys.exit(f"rpc_roundtrip: no socket at {path}")

    with tempfile.TemporaryDirectory() as folder:
        echo_path = os.path.join(folder, "echo.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(echo_path)
            listener.listen(1)
            threading.Thread(target=echo_server, args=(listener,), daemon=True).start()
            # The echo gets the daemon.info request, so both move the same bytes out.
            rows = [("echo baseline", time_calls(echo_path, n, info))]

    rows.append(("daemon.info", time_calls(path, n, info, must_succeed)))
    rows.append(("bootstrap.create", time_calls(path, n, create, must_succeed)))

    baseline, _ = summary(rows[0][1])
    print(f"{n} calls each over one connection, after {WARMUP} warm-up calls")
    print(f"{'':18}{'median µs':>11}{'p90 µs':>10}{'× echo':>9}")
    for name, samples in rows:
        median, p90 = summary(samples)
        print(f"{name:18}{median:11.1f}{p90:10.1f}{median / baseline:9.1f}")


if __name__ == "__main__":
    main()
