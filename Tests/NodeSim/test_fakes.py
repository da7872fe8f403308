"""Self-test of the simulated droplet's fakes (no root needed):
python3 -m unittest discover -s Tests/NodeSim"""

import atexit
import base64
import json
import os
import shutil
import sys
import tempfile
import unittest

SIM_DIR = tempfile.mkdtemp(prefix="node-sim-selftest-")
atexit.register(shutil.rmtree, SIM_DIR, True)
os.environ["NODE_SIM_DIR"] = SIM_DIR
os.makedirs(os.path.join(SIM_DIR, "out"))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fakes"))

import fake_lnbits  # noqa: E402
import fake_lnd  # noqa: E402
import simlib  # noqa: E402


def violations():
    try:
        with open(simlib.VIOLATIONS_LOG, encoding="utf-8") as handle:
            return [json.loads(line)["reason"] for line in handle]
    except FileNotFoundError:
        return []


class FreshState(unittest.TestCase):
    def setUp(self):
        for name in os.listdir(simlib.OUT_DIR):
            os.remove(os.path.join(simlib.OUT_DIR, name))
        self.lnd_dir = tempfile.mkdtemp(dir=SIM_DIR)
        with open(os.path.join(self.lnd_dir, "lnd.conf"), "w", encoding="utf-8") as handle:
            handle.write("[Application Options]\nwallet-unlock-password-file=/root/.lnd/wallet-password\n")
        self.spec = fake_lnd.Spec(os.path.join(HERE, "lnd-rest-spec.json"))


class FakeLNDTests(FreshState):
    def call(self, lnd, method, path, body=None):
        return lnd.handle(method, path, json.dumps(body).encode() if body is not None else b"")

    def make_wallet(self, lnd, password=b"correct horse"):
        _, seed = self.call(lnd, "GET", "/v1/genseed")
        request = {"wallet_password": base64.b64encode(password).decode(), "cipher_seed_mnemonic": seed["cipher_seed_mnemonic"]}
        return self.call(lnd, "POST", "/v1/initwallet", request)

    def test_paths_methods_and_fields_outside_the_spec_are_refused(self):
        lnd = fake_lnd.FakeLND(self.lnd_dir, self.spec)
        for method, path, body, status in [
            ("GET", "/v1/getinfo", None, 404),
            ("POST", "/v1/genseed", None, 405),
            ("GET", "/v1/genseed?passphrase=x", None, 400),
            ("POST", "/v1/initwallet", {"wallet_password": "c2VjcmV0cGFzcw==", "walletPassword": "x"}, 400),
            ("POST", "/v1/initwallet", {"wallet_password": "not base64!"}, 400),
            ("POST", "/v1/initwallet", None, 400),
        ]:
            with self.subTest(path=path, body=body):
                with self.assertRaises(fake_lnd.SpecError) as caught:
                    self.call(lnd, method, path, body)
                self.assertEqual(caught.exception.status, status)

    def test_a_wallet_is_made_once_from_the_seed_genseed_gave(self):
        lnd = fake_lnd.FakeLND(self.lnd_dir, self.spec)
        self.assertEqual(self.call(lnd, "GET", "/v1/state"), (200, {"state": "NON_EXISTING"}))
        _, seed = self.call(lnd, "GET", "/v1/genseed")
        self.assertEqual(len(seed["cipher_seed_mnemonic"]), 24)
        short = {"wallet_password": base64.b64encode(b"short").decode(), "cipher_seed_mnemonic": seed["cipher_seed_mnemonic"]}
        with self.assertRaises(fake_lnd.SpecError):
            self.call(lnd, "POST", "/v1/initwallet", short)
        other = {"wallet_password": base64.b64encode(b"long enough").decode(), "cipher_seed_mnemonic": ["abandon"] * 24}
        with self.assertRaises(fake_lnd.SpecError):
            self.call(lnd, "POST", "/v1/initwallet", other)
        status, reply = self.make_wallet(lnd)
        self.assertEqual(status, 200)
        self.assertTrue(os.path.exists(os.path.join(self.lnd_dir, "data/chain/bitcoin/mainnet/admin.macaroon")))
        self.assertEqual(self.call(lnd, "GET", "/v1/state")[1]["state"], "RPC_ACTIVE")
        with self.assertRaises(fake_lnd.SpecError) as caught:
            self.make_wallet(lnd)
        self.assertEqual(caught.exception.status, 409)

    def test_after_a_restart_the_wallet_unlocks_only_from_the_right_password_file(self):
        lnd = fake_lnd.FakeLND(self.lnd_dir, self.spec)
        self.make_wallet(lnd, b"correct horse")
        with open(os.path.join(self.lnd_dir, "wallet-password"), "w", encoding="utf-8") as handle:
            handle.write("correct horse\n")
        self.assertEqual(fake_lnd.FakeLND(self.lnd_dir, self.spec).wallet_state, "SERVER_ACTIVE")
        self.assertEqual(violations(), [])
        with open(os.path.join(self.lnd_dir, "wallet-password"), "w", encoding="utf-8") as handle:
            handle.write("something else")
        self.assertEqual(fake_lnd.FakeLND(self.lnd_dir, self.spec).wallet_state, "LOCKED")
        self.assertTrue(any("password file" in v for v in violations()))


class FakeLNbitsTests(FreshState):
    def lnbits(self, token="tok-123"):
        env = {"LNBITS_ADMIN_UI": "true", "LNBITS_BACKEND_WALLET_CLASS": "LndRestWallet",
               "LND_REST_ENDPOINT": "https://lnd:8080/", "LND_REST_CERT": "/lnd/tls.cert", "LND_REST_MACAROON": ""}
        if token:
            env["FIRST_INSTALL_TOKEN"] = token
        return fake_lnbits.FakeLNbits(env, "")

    def put(self, lnbits, body):
        status, reply, _ = lnbits.handle("PUT", "/api/v1/auth/first_install", json.dumps(body).encode())
        return status, reply

    def test_first_install_needs_the_token_and_happens_once(self):
        lnbits = self.lnbits()
        login = {"username": "admin", "password": "p4ssw0rd-long", "password_repeat": "p4ssw0rd-long"}
        self.assertEqual(self.put(lnbits, login), (401, {"detail": "Missing first_install_token."}))
        self.assertEqual(self.put(lnbits, {**login, "first_install_token": "nope"}), (401, {"detail": "Invalid first_install_token."}))
        self.assertEqual(self.put(lnbits, {**login, "password": "short", "first_install_token": "tok-123"})[0], 422)
        self.assertEqual(self.put(lnbits, {**login, "first_install_token": "tok-123"})[0], 200)
        self.assertEqual(self.put(lnbits, {**login, "first_install_token": "tok-123"})[0], 403)
        self.assertEqual(lnbits.handle("GET", "/api/v1/health", b"")[0], 200)

    def test_before_first_install_every_page_redirects_there(self):
        status, _, location = self.lnbits(token=None).handle("GET", "/wallet", b"")
        self.assertEqual((status, location), (307, "/first_install"))

    def test_lnbits_started_before_lnds_macaroon_is_a_violation(self):
        self.lnbits()
        self.assertTrue(any("before LND wrote its admin macaroon" in v for v in violations()))


if __name__ == "__main__":
    unittest.main()
