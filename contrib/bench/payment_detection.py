#!/usr/bin/env python3
"""How long after a payment does timmyd start provisioning, with nobody polling?

Starts a real LNbits (the shared lnbits-up.sh) and a release timmyd against it,
then for each of N jobs: creates the job, opens bootstrap.watch, pays the invoice
with lnbits-pay.sh, and measures from the moment lnbits-pay.sh returned to the
`bootstrap.changed` notification that says `provisioning`. The time lnbits-pay.sh
itself took is printed beside it as the baseline of the same run.

    contrib/bench/payment_detection.py --lnbits-scripts DIR [--count 20] [--poll-ms 1000]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Connection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = b""
        self.next_id = 0

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("timmyd closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params=None):
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        reply = self.line()
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]


def wait_for_socket(path, deadline=20):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            Connection(path).call("daemon.info")
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("timmyd did not start")


def summary(name, values):
    values = sorted(values)
    p90 = values[int(len(values) * 0.9) - 1] if len(values) >= 10 else values[-1]
    return (f"{name:<34} median {statistics.median(values) * 1000:7.0f} ms   p90 {p90 * 1000:7.0f} ms   "
            f"max {values[-1] * 1000:7.0f} ms   (n={len(values)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lnbits-scripts", required=True, help="folder with lnbits-up.sh and lnbits-pay.sh")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--poll-ms", type=int, default=1000, help="PAYMENT_POLL_INTERVAL_MS (default 1000)")
    parser.add_argument("--bin", default=os.path.join(REPO, ".build/release"))
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="timmyd-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    lnbits_dir = os.path.join(work, "lnbits")
    os.mkdir(lnbits_dir)
    port = socket.create_server(("127.0.0.1", 0)).getsockname()[1]
    up = os.path.join(args.lnbits_scripts, "lnbits-up.sh")
    pay = os.path.join(args.lnbits_scripts, "lnbits-pay.sh")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LNBITS_", "PAYER_"))}
    started = subprocess.run([up, lnbits_dir, str(port)], env=env, capture_output=True, text=True, check=True)
    values = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    daemon = None
    try:
        sock = os.path.join(work, "timmyd.sock")
        daemon_env = dict(env, LNBITS_URL=values["LNBITS_URL"], LNBITS_API_KEY=values["LNBITS_INVOICE_KEY"],
                          BOOTSTRAP_FEE_SATS="1000", PAYMENT_POLL_INTERVAL_MS=str(args.poll_ms),
                          STUB_PROVISION_DELAY_MS="60000", LOG_LEVEL="warning")
        log = open(os.path.join(work, "timmyd.log"), "w")
        daemon = subprocess.Popen([os.path.join(args.bin, "timmyd"), "--socket", sock, "--state-dir",
                                   os.path.join(work, "state")], env=daemon_env, stdout=log, stderr=log)
        wait_for_socket(sock)
        pay_env = dict(env, LNBITS_ENV_FILE=os.path.join(lnbits_dir, "lnbits.env"))

        detection, paying = [], []
        for _ in range(args.count):
            job = Connection(sock).call("bootstrap.create")
            watch = Connection(sock)
            first = watch.call("bootstrap.watch", {"jobId": job["jobId"], "accessToken": job["accessToken"]})
            assert first["state"] == "awaiting_payment", first
            began = time.monotonic()
            subprocess.run([pay, job["invoice"]["paymentRequest"]], env=pay_env, capture_output=True, check=True)
            paid = time.monotonic()
            while True:
                message = watch.line()
                if message.get("method") == "bootstrap.changed" and message["params"]["state"] == "provisioning":
                    break
            detection.append(time.monotonic() - paid)
            paying.append(paid - began)
            # Spread the payments over the watcher's round, so the figure is not one phase of it.
            time.sleep((args.poll_ms / 1000) * (len(detection) % 7) / 7)

        print(f"payment detection with PAYMENT_POLL_INTERVAL_MS={args.poll_ms} (LNbits FakeWallet, internal payments)")
        print(summary("lnbits-pay.sh returned → provisioning", detection))
        print(summary("baseline: lnbits-pay.sh itself", paying))
    finally:
        if daemon:
            daemon.terminate()
            daemon.wait()
        subprocess.run([up, "--stop", lnbits_dir], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
