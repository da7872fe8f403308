"""Opens many connections to timmyd's socket and holds them, for the abuse tests.

Run as another uid (setpriv ... python3 connection_hog.py ...). Modes:
  idle SOCKET COUNT OUT          connect and send nothing
  events SOCKET COUNT OUT JOB TOKEN
                                 one event stream (GET /api/bootstrap/JOB/events) per connection
Writes one JSON line to OUT once every connection is set up:
  {"held": n, "refused": n, "failed": n, "answers": {first line: count}}
then keeps every connection open until it is killed (at most 120 s).
"""
import json
import os
import select
import socket
import sys
import time


def first_line(conn, timeout):
    conn.settimeout(timeout)
    data = b""
    try:
        while b"\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, OSError):
        pass
    return data


def main():
    mode, path, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    held, refused, failed, answers, conns = 0, 0, 0, {}, []
    for _ in range(count):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(path)
        except OSError:
            failed += 1
            conn.close()
            continue
        conns.append(conn)
        if mode == "events":
            job, token = sys.argv[5], sys.argv[6]
            conn.sendall(
                f"GET /api/bootstrap/{job}/events HTTP/1.1\r\nHost: timmyd\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
            data = first_line(conn, 5)
            while b"event: status" not in data and data.startswith(b"HTTP/1.1 200"):
                more = first_line(conn, 5)
                if not more:
                    break
                data += more
            line = data.split(b"\r\n")[0].split(b"\n")[0].decode(errors="replace")[:80]
            answers[line] = answers.get(line, 0) + 1
            if b"event: status" in data:
                held += 1
            else:
                refused += 1
    if mode == "idle":
        # A connection the daemon refused has its one error line waiting; an accepted one has nothing.
        time.sleep(0.5)
        waiting = set()
        for start in range(0, len(conns), 256):
            readable, _, _ = select.select(conns[start:start + 256], [], [], 0)
            waiting.update(readable)
        for conn in conns:
            if conn not in waiting:
                held += 1
                continue
            refused += 1
            line = first_line(conn, 1).split(b"\n")[0].decode(errors="replace")[:120]
            answers[line] = answers.get(line, 0) + 1
    with open(out + ".tmp", "w") as handle:
        json.dump({"held": held, "refused": refused, "failed": failed, "answers": answers}, handle)
    os.rename(out + ".tmp", out)
    time.sleep(120)


main()
