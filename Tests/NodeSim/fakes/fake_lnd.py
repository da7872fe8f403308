#!/usr/bin/env python3
"""A fake LND REST API (HTTPS on 127.0.0.1:8080) for the simulated droplet.

Started by the stand-in `docker compose up -d lnd`. Like LND it writes its
self-signed `tls.cert` into its data folder (the compose file's bind mount of
/root/.lnd) and, after `initwallet`, `admin.macaroon` under
data/chain/bitcoin/mainnet/. Every request is checked against LND's own REST
spec (lnd-rest-spec.json, trimmed from lightningnetwork/lnd's swagger files);
an unknown path, a wrong method, an unknown field or a bad value is answered
4xx and recorded as a violation, which fails the run. So is a second
initwallet, and a wallet password file that would not unlock the wallet after
a reboot."""

import argparse
import base64
import binascii
import hashlib
import json
import os
import secrets
import ssl
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simlib  # noqa: E402

STATE_FILE = "lnd-state.json"
# aezeed words come from the BIP39 English list; any 24 distinct words do for a fake.
WORDS = ("abandon ability able about above absent absorb abstract absurd abuse access accident account accuse "
         "achieve acid acoustic acquire across act action actor actress actual adapt add addict address").split()


class SpecError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Spec:
    """The subset of Swagger 2.0 that LND's REST files use for these calls."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        self.paths = document["paths"]
        self.definitions = document["definitions"]

    def operation(self, method, path):
        item = self.paths.get(path)
        if item is None:
            raise SpecError(404, f"{path} is not in LND's REST API")
        operation = item.get(method.lower())
        if operation is None:
            raise SpecError(405, f"{method} {path} is not in LND's REST API (allowed: {', '.join(sorted(item)).upper()})")
        return operation

    def check_request(self, operation, query, body):
        parameters = operation.get("parameters", [])
        allowed_query = {p["name"]: p for p in parameters if p["in"] == "query"}
        for name, values in query.items():
            if name not in allowed_query:
                raise SpecError(400, f"unknown query parameter {name!r}")
            for value in values:
                self.check_value(allowed_query[name], value, name)
        body_parameter = next((p for p in parameters if p["in"] == "body"), None)
        if body_parameter is None:
            if body:
                raise SpecError(400, "this call takes no body")
            return None
        if not body:
            raise SpecError(400, "a JSON body is required")
        try:
            document = json.loads(body)
        except ValueError as error:
            raise SpecError(400, f"the body is not JSON: {error}") from None
        self.check_value(body_parameter["schema"], document, "body")
        return document

    def resolve(self, schema):
        while "$ref" in schema:
            schema = self.definitions[schema["$ref"].split("/")[-1]]
        return schema

    def check_value(self, schema, value, where):
        schema = self.resolve(schema)
        kind = schema.get("type")
        if "enum" in schema:
            if value not in schema["enum"]:
                raise SpecError(400, f"{where}: {value!r} is not one of {schema['enum']}")
            return
        if kind == "object":
            if not isinstance(value, dict):
                raise SpecError(400, f"{where} must be an object")
            properties = schema.get("properties", {})
            for key, item in value.items():
                if key not in properties:
                    raise SpecError(400, f"{where}: unknown field {key!r}")
                self.check_value(properties[key], item, f"{where}.{key}")
        elif kind == "array":
            if not isinstance(value, list):
                raise SpecError(400, f"{where} must be an array")
            for index, item in enumerate(value):
                self.check_value(schema.get("items", {}), item, f"{where}[{index}]")
        elif kind == "string":
            fmt = schema.get("format")
            if fmt in ("int64", "uint64"):
                # grpc-gateway takes 64-bit integers as strings or numbers.
                if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
                    raise SpecError(400, f"{where} must be a 64-bit integer")
                return
            if not isinstance(value, str):
                raise SpecError(400, f"{where} must be a string")
            if fmt == "byte":
                decode_bytes(value, where)
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(400, f"{where} must be an integer")
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise SpecError(400, f"{where} must be true or false")


def decode_bytes(text, where):
    """A proto `bytes` field over REST: base64, standard or URL-safe, as grpc-gateway accepts."""
    try:
        padded = text + "=" * (-len(text) % 4)
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise SpecError(400, f"{where} is not base64") from None


class FakeLND:
    def __init__(self, lnd_dir, spec):
        self.lnd_dir = lnd_dir
        self.spec = spec
        self.lock = threading.Lock()
        self.state = simlib.read_state(STATE_FILE, {"wallet": False, "initwallet": 0, "genseed": 0})
        self.pending_seed = None
        self.wallet_state = "NON_EXISTING"
        if self.state["wallet"]:
            self.wallet_state = "SERVER_ACTIVE" if self.unlocks_from_password_file() else "LOCKED"

    def container_path(self, path):
        """A path as LND inside its container sees it (/root/.lnd/...), on this side of the bind mount."""
        prefix = "/root/.lnd"
        if path == prefix or path.startswith(prefix + "/"):
            return self.lnd_dir + path[len(prefix):]
        return None

    def config_value(self, name):
        try:
            with open(os.path.join(self.lnd_dir, "lnd.conf"), encoding="utf-8") as handle:
                for line in handle:
                    key, _, value = line.strip().partition("=")
                    if key.strip() == name:
                        return value.strip()
        except FileNotFoundError:
            return None
        return None

    def unlocks_from_password_file(self):
        """What LND does at start with an existing wallet: unlock it from `wallet-unlock-password-file`."""
        configured = self.config_value("wallet-unlock-password-file")
        if not configured:
            simlib.record_violation("lnd", "lnd.conf has no wallet-unlock-password-file: the wallet stays locked after a restart")
            return False
        path = self.container_path(configured)
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except (OSError, TypeError):
            simlib.record_violation("lnd", f"wallet-unlock-password-file {configured} does not exist in LND's folder")
            return False
        # LND trims trailing whitespace from the file's content.
        if hashlib.sha256(content.rstrip()).hexdigest() != self.state.get("passwordSHA256"):
            simlib.record_violation("lnd", "the wallet password file does not hold the password the wallet was made with")
            return False
        return True

    def handle(self, method, raw_path, body):
        """(status, reply object) for one request."""
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        operation = self.spec.operation(method, parts.path)
        document = self.spec.check_request(operation, query, body)
        with self.lock:
            if parts.path == "/v1/state":
                return 200, {"state": self.wallet_state}
            if parts.path == "/v1/genseed":
                return self.genseed(query)
            if parts.path == "/v1/initwallet":
                return self.initwallet(document)
        raise SpecError(404, f"{parts.path}: not served by the fake")

    def genseed(self, query):
        self.state["genseed"] += 1
        simlib.write_state(STATE_FILE, self.state)
        if simlib.fail_step() == "lnd":
            # The forced failure: LND refuses to make a seed, as when its wallet unlocker is not up.
            return 500, {"code": 2, "message": "forced failure (--fail-step lnd)", "details": []}
        if self.state["wallet"]:
            raise SpecError(409, "genseed after the wallet exists: wallet already exists")
        if "aezeed_passphrase" in query:
            raise SpecError(400, "the node must not set an aezeed passphrase the buyer does not know")
        self.pending_seed = secrets.SystemRandom().sample(WORDS, 24)
        return 200, {"cipher_seed_mnemonic": self.pending_seed, "enciphered_seed": base64.b64encode(os.urandom(33)).decode()}

    def initwallet(self, request):
        self.state["initwallet"] += 1
        simlib.write_state(STATE_FILE, self.state)
        if self.state["wallet"]:
            raise SpecError(409, "a second initwallet: wallet already exists")
        password = decode_bytes(request.get("wallet_password", ""), "wallet_password")
        if len(password) < 8:
            raise SpecError(400, f"wallet_password is {len(password)} bytes; LND needs at least 8")
        mnemonic = request.get("cipher_seed_mnemonic")
        if mnemonic is None or len(mnemonic) != 24:
            raise SpecError(400, "cipher_seed_mnemonic must be the 24 words")
        if self.pending_seed is None or mnemonic != self.pending_seed:
            raise SpecError(400, "cipher_seed_mnemonic is not the seed /v1/genseed just returned")
        if request.get("stateless_init"):
            raise SpecError(400, "stateless_init would leave no admin.macaroon for LNbits")
        self.state.update(wallet=True, passwordSHA256=hashlib.sha256(password).hexdigest(), seed=mnemonic)
        simlib.write_state(STATE_FILE, self.state)
        macaroon_dir = os.path.join(self.lnd_dir, "data/chain/bitcoin/mainnet")
        os.makedirs(macaroon_dir, exist_ok=True)
        macaroon = b"\x02\x01\x03lnd" + os.urandom(64)
        with open(os.path.join(macaroon_dir, "admin.macaroon"), "wb") as handle:
            handle.write(macaroon)
        os.chmod(os.path.join(macaroon_dir, "admin.macaroon"), 0o600)
        self.wallet_state = "RPC_ACTIVE"
        # LND's RPC server comes up a moment after the wallet is made.
        threading.Timer(0.5, self.become_active).start()
        return 200, {"admin_macaroon": base64.b64encode(macaroon).decode()}

    def become_active(self):
        with self.lock:
            self.wallet_state = "SERVER_ACTIVE"


def make_handler(lnd):
    def respond(method, path, headers, body):
        try:
            status, reply = lnd.handle(method, path, body)
        except SpecError as error:
            status, reply = error.status, {"code": 3, "message": str(error), "details": []}
            simlib.record_violation("lnd", str(error), method=method, path=path)
        return status, reply, None

    return simlib.json_handler("lnd-rest", respond)


def install_tls(lnd, tls_dir):
    """LND makes its certificate and key on first start (at tlscertpath and tlskeypath,
    by default tls.cert and tls.key in its folder) and keeps them."""
    for name, option in (("tls.cert", "tlscertpath"), ("tls.key", "tlskeypath")):
        configured = lnd.config_value(option) or f"/root/.lnd/{name}"
        target = lnd.container_path(configured)
        if target is None:
            simlib.record_violation("lnd", f"{option}={configured} is outside LND's data folder (lost when the container goes)")
            continue
        if not os.path.isdir(os.path.dirname(target)):
            simlib.record_violation("lnd", f"{option}={configured}: its folder does not exist")
            continue
        if not os.path.exists(target):
            with open(os.path.join(tls_dir, name), "rb") as source, open(target + ".tmp", "wb") as handle:
                handle.write(source.read())
            os.chmod(target + ".tmp", 0o600 if name == "tls.key" else 0o644)
            os.replace(target + ".tmp", target)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lnd-dir", required=True)
    parser.add_argument("--tls-dir", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--port", type=int, default=8080)
    arguments = parser.parse_args()
    lnd = FakeLND(arguments.lnd_dir, Spec(arguments.spec))
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), make_handler(lnd))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(arguments.tls_dir, "tls.cert"), os.path.join(arguments.tls_dir, "tls.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    # Like LND, the certificate appears a little after the container starts.
    time.sleep(0.3)
    install_tls(lnd, arguments.tls_dir)
    server.serve_forever()


if __name__ == "__main__":
    main()
