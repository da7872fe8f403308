#!/usr/bin/env python3
"""A fake LNbits (HTTP on 127.0.0.1:5000) for the simulated droplet: the first
install as LNbits >= 1.5 does it (lnbits/core/views/auth_api.py, `first_install`).

- `PUT /api/v1/auth/first_install` `{username, password, password_repeat,
  first_install_token?}`: 2-20 character user name, 8-50 character passwords
  (else 422, as FastAPI answers a failed model check; an unknown field or a
  password_repeat that differs is accepted, as LNbits does, but recorded); with FIRST_INSTALL_TOKEN
  in the environment a missing token is 401 "Missing first_install_token.", a
  wrong one 401 "Invalid first_install_token."; after the first install 403
  "This is not your first install".
- While the first install is pending every other path redirects (307) to
  /first_install, as LNbits' middleware does; `/api/v1/health` answers after.

It also checks what LNbits needs to reach LND: the env file names the LND REST
wallet, the admin macaroon LND wrote (hex) and a certificate path. Refusals the
script caused, and a broken env file, are recorded as violations."""

import argparse
import hashlib
import json
import os
import sys
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simlib  # noqa: E402

STATE_FILE = "lnbits-state.json"


def read_env_file(path):
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[key.strip()] = value
    return values


class FakeLNbits:
    def __init__(self, env, lnd_dir, cert_host_path=None):
        self.env = env
        self.cert_host_path = cert_host_path
        self.token = env.get("FIRST_INSTALL_TOKEN") or None
        admin_ui = env.get("LNBITS_ADMIN_UI", "false").lower() == "true"
        self.state = simlib.read_state(STATE_FILE, {"firstInstall": admin_ui, "username": None, "attempts": 0})
        self.check_lnd_settings(lnd_dir)

    def check_lnd_settings(self, lnd_dir):
        if self.env.get("LNBITS_BACKEND_WALLET_CLASS") != "LndRestWallet":
            simlib.record_violation("lnbits", "LNBITS_BACKEND_WALLET_CLASS is not LndRestWallet")
        if not self.env.get("LND_REST_ENDPOINT", "").startswith("https://"):
            simlib.record_violation("lnbits", "LND_REST_ENDPOINT is not an https URL")
        if not self.env.get("LND_REST_CERT"):
            simlib.record_violation("lnbits", "LND_REST_CERT is not set")
        elif self.cert_host_path is not None:
            # The path inside LNbits' container, through its bind mounts: it must be LND's certificate file.
            if not self.cert_host_path:
                simlib.record_violation("lnbits", f"LND_REST_CERT {self.env['LND_REST_CERT']} is not inside any of LNbits' bind mounts")
            elif not os.path.isfile(self.cert_host_path):
                simlib.record_violation("lnbits", f"LND_REST_CERT {self.env['LND_REST_CERT']} is not a file in LNbits' container")
        macaroon_path = os.path.join(lnd_dir, "data/chain/bitcoin/mainnet/admin.macaroon") if lnd_dir else None
        given = self.env.get("LND_REST_MACAROON", "")
        if macaroon_path and os.path.exists(macaroon_path):
            with open(macaroon_path, "rb") as handle:
                if given.lower() != handle.read().hex():
                    simlib.record_violation("lnbits", "LND_REST_MACAROON is not LND's admin.macaroon in hex")
        else:
            simlib.record_violation("lnbits", "LNbits started before LND wrote its admin macaroon")

    def first_install(self, body):
        self.state["attempts"] += 1
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return 422, {"detail": "the body is not JSON"}
        if not isinstance(data, dict):
            return 422, {"detail": "the body must be an object"}
        known = {"username", "password", "password_repeat", "first_install_token"}
        for key in data:
            if key not in known:
                # LNbits' model ignores it; here it is a misspelt field to fix.
                simlib.record_violation("lnbits", f"first install: unknown field {key!r}")
        problems = []
        for field, low, high in (("username", 2, 20), ("password", 8, 50), ("password_repeat", 8, 50)):
            value = data.get(field)
            if not isinstance(value, str) or not low <= len(value) <= high:
                problems.append(f"{field} must be a string of {low} to {high} characters")
        if problems:
            return 422, {"detail": "; ".join(problems)}
        if data["password"] != data["password_repeat"]:
            # LNbits' first_install does not compare them; a script that sends two different ones has a bug.
            simlib.record_violation("lnbits", "first install: password_repeat differs from password")
        if not self.state["firstInstall"]:
            return 403, {"detail": "This is not your first install"}
        if self.token:
            if not data.get("first_install_token"):
                return 401, {"detail": "Missing first_install_token."}
            if data["first_install_token"] != self.token:
                return 401, {"detail": "Invalid first_install_token."}
        self.state.update(firstInstall=False, username=data["username"],
                          passwordSHA256=hashlib.sha256(data["password"].encode()).hexdigest())
        return 200, {"access_token": "fake-session", "token_type": "bearer"}

    def login(self, body):
        """`POST /api/v1/auth` {username, password}: 200 for the super user's login, else 401."""
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return 422, {"detail": "the body is not JSON"}
        if not isinstance(data, dict) or not isinstance(data.get("username"), str) or not isinstance(data.get("password"), str):
            return 422, {"detail": "username and password are required"}
        if data["username"] == self.state.get("username") and \
                hashlib.sha256(data["password"].encode()).hexdigest() == self.state.get("passwordSHA256"):
            return 200, {"access_token": "fake-session", "token_type": "bearer"}
        return 401, {"detail": "Invalid credentials."}

    def handle(self, method, raw_path, body):
        path = urlsplit(raw_path).path
        if path == "/api/v1/auth/first_install":
            if method != "PUT":
                return 405, {"detail": "Method Not Allowed"}, None
            status, reply = self.first_install(body)
            simlib.write_state(STATE_FILE, self.state)
            if status != 200:
                simlib.record_violation("lnbits", f"first install refused: {status} {reply['detail']}")
            return status, reply, None
        if path == "/api/v1/auth" and method == "POST" and not self.state["firstInstall"]:
            status, reply = self.login(body)
            return status, reply, None
        if self.state["firstInstall"] and path != "/first_install" and not path.startswith("/static"):
            return 307, None, "/first_install"
        if path == "/api/v1/health" and method == "GET":
            return 200, {"server_time": 0, "up_time": "0"}, None
        if path in ("/", "/first_install") and method == "GET":
            return 200, {"page": path}, None
        return 404, {"detail": "Not Found"}, None


def make_handler(lnbits):
    def respond(method, path, headers, body):
        status, reply, location = lnbits.handle(method, path, body)
        return status, reply, {"Location": location} if location else None

    return simlib.json_handler("lnbits-http", respond)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--lnd-dir", default="")
    parser.add_argument("--cert-host-path", default=None)
    parser.add_argument("--port", type=int, default=5000)
    arguments = parser.parse_args()
    lnbits = FakeLNbits(read_env_file(arguments.env_file), arguments.lnd_dir, arguments.cert_host_path)
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), make_handler(lnbits))
    server.serve_forever()


if __name__ == "__main__":
    main()
