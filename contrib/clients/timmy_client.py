#!/usr/bin/env python3
"""A small client for timmyd's Unix socket (newline-delimited JSON-RPC 2.0), stdlib only.

    from timmy_client import TimmyClient
    with TimmyClient() as timmy:                     # /run/timmyd/timmyd.sock, or TIMMY_SOCKET
        job = timmy.call("bootstrap.create", {"label": "my app"})
        creds = {"jobId": job["jobId"], "accessToken": job["accessToken"]}
        for status in timmy.watch(**creds):          # the status now, then each change
            print(status["state"], status.get("phase"))
        key = timmy.call("bootstrap.claimKey", creds)

A failed call raises TimmyError with .code, .message and .reason (data.reason, a stable
word such as "bad_token"). Keep the access token secret: it is the buyer's only proof.
`rpc.discover` on the socket describes every method; `python3 timmy_client.py methods`
lists the ones this client knows (the project's tests check the two agree).
"""

import json
import os
import socket
import sys

DEFAULT_SOCKET = "/run/timmyd/timmyd.sock"

# Every method timmyd serves, with the role it needs.
METHODS = {
    "rpc.discover": "client",
    "daemon.info": "client",
    "bootstrap.create": "client",
    "bootstrap.status": "client",
    "bootstrap.watch": "client",
    "bootstrap.claimKey": "client",
    "bootstrap.confirmKey": "client",
    "bootstrap.cancel": "client",
    "bootstrap.refund": "client",
    "admin.jobs.list": "admin",
    "admin.jobs.get": "admin",
    "admin.jobs.refund": "admin",
    "admin.jobs.retry": "admin",
    "admin.jobs.destroy": "admin",
    "admin.stats": "admin",
    "admin.payments.simulate": "admin",
    "admin.userData.render": "admin",
    "admin.reconcile": "admin",
    "admin.backup": "admin",
}

# States a watch ends at (no automatic way out).
SETTLED_STATES = {"ready", "failed", "expired", "cancelled", "refunded", "destroyed"}


class TimmyError(Exception):
    """A JSON-RPC error reply."""

    def __init__(self, error):
        self.code = error.get("code")
        self.message = error.get("message", "")
        self.data = error.get("data") or {}
        self.reason = self.data.get("reason")
        super().__init__(f"{self.message} ({self.reason})" if self.reason else self.message)


class TimmyClient:
    """One connection; calls in turn. Notifications that arrive during a call are kept."""

    def __init__(self, socket_path=None, timeout=60.0):
        self.socket_path = socket_path or os.environ.get("TIMMY_SOCKET") or DEFAULT_SOCKET
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(timeout)
        self._socket.connect(self.socket_path)
        self._reader = self._socket.makefile("rb")
        self._next_id = 1
        self._notifications = []

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def close(self):
        self._reader.close()
        self._socket.close()

    def call(self, method, params=None):
        """Calls `method` (params by name, a dict) and returns its result."""
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r} (see rpc.discover)")
        request_id = self._next_id
        self._next_id += 1
        request = {"jsonrpc": "2.0", "method": method, "id": request_id}
        if params is not None:
            request["params"] = params
        self._socket.sendall(json.dumps(request, separators=(",", ":")).encode() + b"\n")
        while True:
            message = self._read()
            if message is None:
                raise ConnectionError("timmyd closed the connection before answering")
            if "method" in message and "id" not in message:
                self._notifications.append((message["method"], message.get("params")))
            elif message.get("id") in (request_id, None):
                if "error" in message:
                    raise TimmyError(message["error"])
                return message["result"]

    def notifications(self):
        """Yields (method, params) for each notification until the daemon closes the connection."""
        while True:
            if self._notifications:
                yield self._notifications.pop(0)
                continue
            message = self._read()
            if message is None:
                return
            if "method" in message and "id" not in message:
                yield message["method"], message.get("params")

    def watch(self, jobId, accessToken):
        """Yields the job's status now, then after each change, until a settled state."""
        status = self.call("bootstrap.watch", {"jobId": jobId, "accessToken": accessToken})
        yield status
        if _settled(status):
            return
        for method, params in self.notifications():
            if method == "bootstrap.changed":
                yield params
                if _settled(params):
                    return

    def _read(self):
        line = self._reader.readline()
        return json.loads(line) if line else None


def _settled(status):
    # A ready node that reports its setup is watched until that setup completes or a step
    # fails; one that does not report (setup.reported false) is done when ready.
    if status.get("state") != "ready":
        return status.get("state") in SETTLED_STATES
    setup = (status.get("node") or {}).get("setup") or {}
    if not setup.get("reported"):
        return True
    return setup.get("state") == "failed" or (setup.get("step") == "complete" and setup.get("state") == "done")


def main(arguments):
    if arguments[:1] == ["methods"]:
        print("\n".join(sorted(METHODS)))
        return 0
    if len(arguments) >= 1 and arguments[0] == "call":
        params = json.loads(arguments[2]) if len(arguments) > 2 else None
        with TimmyClient() as timmy:
            try:
                print(json.dumps(timmy.call(arguments[1], params), indent=2))
            except TimmyError as error:
                print(f"error {error.code}: {error}", file=sys.stderr)
                return 1
        return 0
    print("usage: timmy_client.py methods | call METHOD [PARAMS_JSON]   (socket: TIMMY_SOCKET)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
