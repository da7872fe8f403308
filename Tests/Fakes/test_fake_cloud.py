"""Self-test of the fake cloud: python3 -m unittest discover -s Tests/Fakes

Starts fake_cloud.py as a child process, as the Swift tests do, and talks HTTP
to it. Every check compares against a value the fake could get wrong.
"""

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import json_schema_subset
from json_schema_subset import UnsupportedKeyword, Validator

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_cloud.py")
REPOSITORY = os.path.dirname(os.path.dirname(HERE))
OPS = os.environ.get("DO_OPS_JSON") or os.path.join(REPOSITORY, "..", "shared", "do-api", "do-ops.json")
DO_TOKEN = "dop_v1_" + "0123456789abcdef" * 4
TS_KEY = "tskey-api-test"
JSON = {"Content-Type": "application/json"}

# Made with ssh-keygen; fingerprints from `ssh-keygen -l -E md5`.
ED25519_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfE9i77d3MGs7HEkOVKa0PZph77575lI5v0aTgXY96d test"
ED25519_MD5 = "01:b5:dc:da:e7:9c:02:eb:8e:f5:c6:a1:f4:b9:57:6d"
RSA_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDES8ML9nAY3h+jmycwjo9phBe1IKL+qgwBdZYvkd50pOowM46taJ1CcWbtVbsgDhTv"
           "607zkscEwICuHyFUPcmDqweNVmcp0R+gSEfKD0Y+FEpemfi1eKsh9kcmdLgGd6H9gYKsjjFqnyYn3P0NfVMjtw6tGDGwRLuXmcMUBCkIfw== r")
RSA_MD5 = "7c:b6:4b:f7:53:a9:dd:b4:22:9f:a4:74:90:dc:41:e7"


def random_ed25519_key():
    blob = b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + os.urandom(32)
    return "ssh-ed25519 " + base64.b64encode(blob).decode() + " random"


def ops_missing_reason():
    if os.path.exists(OPS):
        return None
    if os.environ.get("CI") == "true":  # as the Swift harness decides
        raise RuntimeError(f"do-ops.json not found at {OPS} (set DO_OPS_JSON)")
    return f"do-ops.json not found at {OPS}; set DO_OPS_JSON to run these tests"


class FakeProcess:
    """The fake as a child process, stopped by closing its stdin."""

    def __init__(self):
        self.directory = tempfile.TemporaryDirectory()
        port_file = os.path.join(self.directory.name, "port")
        self.process = subprocess.Popen(
            [sys.executable, FAKE, "--ops", OPS, "--port-file", port_file], stdin=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("the fake did not write its port file")
            time.sleep(0.02)
        with open(port_file) as handle:
            self.port = int(handle.read())

    def stop(self):
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()  # leave no orphan behind, then fail
            self.process.wait()
            raise
        finally:
            self.directory.cleanup()


class Answer:
    def __init__(self, response, elapsed):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        raw = response.read()
        self.raw = raw
        self.json = json.loads(raw) if raw else None
        self.elapsed = elapsed


@unittest.skipIf(ops_missing_reason(), ops_missing_reason())
class FakeCloudTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProcess()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.assertEqual(self.call("POST", "/_fake/reset", auth=None).status, 200)

    def call(self, method, path, body=None, auth="do", headers=None, raw_body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=15)
        all_headers = dict(headers or {})
        if auth == "do":
            all_headers["Authorization"] = f"Bearer {DO_TOKEN}"
        elif auth == "tailscale":
            all_headers["Authorization"] = f"Bearer {TS_KEY}"
        elif auth is not None:
            all_headers["Authorization"] = auth
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        started = time.monotonic()
        try:
            connection.request(method, path, body=data, headers=all_headers)
            return Answer(connection.getresponse(), time.monotonic() - started)
        finally:
            connection.close()

    def state(self):
        return self.call("GET", "/_fake/state", auth=None).json

    def violations(self):
        return self.state()["violations"]

    def set_faults(self, *rules):
        answer = self.call("POST", "/_fake/faults", {"rules": list(rules)}, auth=None)
        self.assertEqual(answer.status, 200, answer.json)

    def create_key(self, public_key=None, name="timmy-key"):
        return self.call("POST", "/v2/account/keys", {"name": name, "public_key": public_key or random_ed25519_key()})

    def create_volume(self, name="timmy-vol", region="nyc3", **extra):
        return self.call("POST", "/v2/volumes", {"name": name, "size_gigabytes": 10, "region": region, **extra})

    def droplet_body(self, **overrides):
        body = {"name": "timmy-abcd1234", "region": "nyc3", "size": "s-2vcpu-4gb", "image": "debian-12-x64",
                "tags": ["timmy-job-abcd1234"], "user_data": "#!/bin/bash\necho hi\n"}
        body.update(overrides)
        return body

    def create_droplet(self, **overrides):
        return self.call("POST", "/v2/droplets", self.droplet_body(**overrides))

    def assertRejected(self, answer, status, reason_fragment=None):
        """A rejection with the DigitalOcean error body, recorded as a violation."""
        self.assertEqual(answer.status, status, answer.json)
        self.assertEqual(set(answer.json), {"id", "message", "request_id"})
        violations = self.violations()
        self.assertEqual(len(violations), 1, violations)
        if reason_fragment:
            self.assertIn(reason_fragment, violations[0]["reason"])
        self.call("POST", "/_fake/reset", auth=None)


class AuthTests(FakeCloudTestCase):
    def test_missing_or_wrong_bearer_is_401_and_not_a_violation(self):
        for auth in (None, "Bearer dop_v1_wrong", f"Basic {DO_TOKEN}"):
            answer = self.call("GET", "/v2/droplets", auth=auth)
            self.assertEqual(answer.status, 401)
            self.assertEqual(answer.json["id"], "unauthorized")
            self.assertEqual(answer.json["message"], "Unable to authenticate you")
        self.assertEqual(self.violations(), [])
        self.assertEqual(self.call("GET", "/v2/droplets").status, 200)

    def test_tailscale_wants_its_own_key(self):
        self.assertEqual(self.call("GET", "/api/v2/tailnet/-/keys/k1", auth="do").status, 401)
        self.assertEqual(self.call("GET", "/api/v2/tailnet/-/keys/k1", auth="tailscale").status, 404)
        basic = "Basic " + base64.b64encode(f"{TS_KEY}:".encode()).decode()
        self.assertEqual(self.call("GET", "/api/v2/tailnet/-/keys/k1", auth=basic).status, 404)


class SSHKeyTests(FakeCloudTestCase):
    def test_create_get_list_delete(self):
        created = self.create_key(ED25519_KEY, name="buyer key")
        self.assertEqual(created.status, 201)
        key = created.json["ssh_key"]
        self.assertEqual(key["fingerprint"], ED25519_MD5)
        self.assertEqual((key["name"], key["public_key"]), ("buyer key", ED25519_KEY))
        self.assertIsInstance(key["id"], int)
        self.assertEqual(self.create_key(RSA_KEY).json["ssh_key"]["fingerprint"], RSA_MD5)
        for identifier in (key["id"], ED25519_MD5):
            got = self.call("GET", f"/v2/account/keys/{identifier}")
            self.assertEqual((got.status, got.json["ssh_key"]), (200, key))
        self.assertEqual(self.call("DELETE", f"/v2/account/keys/{ED25519_MD5}").status, 204)
        self.assertEqual(self.call("GET", f"/v2/account/keys/{key['id']}").status, 404)
        self.assertEqual([k["fingerprint"] for k in self.state()["sshKeys"]], [RSA_MD5])
        self.assertEqual(self.violations(), [])

    def test_list_pages(self):
        for _ in range(3):
            self.create_key()
        first = self.call("GET", "/v2/account/keys?per_page=2")
        self.assertEqual((len(first.json["ssh_keys"]), first.json["meta"]["total"]), (2, 3))
        next_url = first.json["links"]["pages"]["next"]
        self.assertTrue(next_url.startswith(f"http://127.0.0.1:{self.fake.port}/v2/account/keys?"), next_url)
        second = self.call("GET", next_url.split(str(self.fake.port), 1)[1])
        self.assertEqual(len(second.json["ssh_keys"]), 1)
        self.assertNotIn("next", second.json["links"]["pages"])
        self.assertEqual(self.call("GET", "/v2/account/keys").json["links"], {})

    def test_duplicate_public_key_is_422_but_no_violation(self):
        self.create_key(ED25519_KEY)
        again = self.create_key(ED25519_KEY, name="other")
        self.assertEqual(again.status, 422)
        self.assertEqual(again.json["id"], "unprocessable_entity")
        self.assertEqual(again.json["message"], "SSH Key is already in use on your account")
        self.assertEqual(self.violations(), [])

    def test_invalid_bodies_are_violations(self):
        self.assertRejected(self.create_key("ssh-ed25519 not-base64!"), 422, "Key invalid")
        self.assertRejected(self.create_key(ED25519_KEY.replace("ssh-ed25519", "ssh-rsa")), 422, "Key invalid")
        self.assertRejected(self.call("POST", "/v2/account/keys", {"name": "k"}), 422, "public_key")
        self.assertRejected(self.call("POST", "/v2/account/keys", {"name": "k", "public_key": ED25519_KEY,
                                                                   "publicKey": "x"}), 422, "publicKey")
        self.assertRejected(self.call("POST", "/v2/account/keys", raw_body=b"{", headers=JSON), 400)
        self.assertRejected(self.call("POST", "/v2/account/keys", raw_body=json.dumps(
            {"name": "k", "public_key": ED25519_KEY}).encode(), headers={"Content-Type": "text/plain"}), 400)


class VolumeTests(FakeCloudTestCase):
    def test_create_list_get_delete(self):
        created = self.create_volume(filesystem_type="ext4", filesystem_label="timmydata", tags=["timmy-job-x"])
        self.assertEqual(created.status, 201, created.json)
        volume = created.json["volume"]
        self.assertRegex(volume["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertEqual((volume["region"]["slug"], volume["droplet_ids"], volume["size_gigabytes"]), ("nyc3", [], 10))
        self.create_volume(name="timmy-vol", region="ams3")
        found = self.call("GET", "/v2/volumes?name=timmy-vol&region=nyc3")
        self.assertEqual([v["id"] for v in found.json["volumes"]], [volume["id"]])
        self.assertEqual(self.call("GET", "/v2/volumes").json["meta"]["total"], 2)
        self.assertEqual(self.call("GET", f"/v2/volumes/{volume['id']}").json["volume"], volume)
        self.assertEqual(self.call("DELETE", f"/v2/volumes/{volume['id']}").status, 204)
        self.assertEqual(self.call("GET", f"/v2/volumes/{volume['id']}").status, 404)
        self.assertEqual(self.call("DELETE", "/v2/volumes?name=timmy-vol&region=ams3").status, 204)
        self.assertEqual(self.state()["volumes"], [])
        self.assertEqual(self.violations(), [])

    def test_same_name_same_region_is_409(self):
        self.create_volume()
        again = self.create_volume()
        self.assertEqual((again.status, again.json["id"]), (409, "conflict"))
        self.assertEqual(self.violations(), [])

    def test_rule_violations(self):
        self.assertRejected(self.create_volume(name="Timmy-vol"), 422, "name")
        self.assertRejected(self.create_volume(name="timmy_vol"), 422, "name")
        self.assertRejected(self.create_volume(name="t" * 65), 422, "name")
        self.assertRejected(self.create_volume(region="mars1"), 422)
        self.assertRejected(self.create_volume(filesystem_label="data"), 422, "filesystem_type")
        self.assertRejected(self.create_volume(filesystem_type="xfs", filesystem_label="a" * 13), 422)
        self.assertRejected(self.create_volume(filesystem_type="btrfs"), 422)
        self.assertRejected(self.call("POST", "/v2/volumes", {"name": "v", "size_gigabytes": 0, "region": "nyc3"}), 422)
        self.assertRejected(self.call("GET", "/v2/volumes?region=nowhere"), 400)
        self.assertRejected(self.call("DELETE", "/v2/volumes?name=v"), 400)


class DropletTests(FakeCloudTestCase):
    def test_create_activate_list_delete(self):
        key = self.create_key(ED25519_KEY).json["ssh_key"]
        volume = self.create_volume().json["volume"]
        created = self.create_droplet(ssh_keys=[key["id"]], volumes=[volume["id"]])
        self.assertEqual(created.status, 202, created.json)
        droplet = created.json["droplet"]
        self.assertEqual((droplet["status"], droplet["networks"]["v4"]), ("new", []))
        self.assertEqual(droplet["volume_ids"], [volume["id"]])
        self.assertEqual(created.json["links"]["actions"][0]["rel"], "create")
        self.assertEqual(self.state()["volumes"][0]["droplet_ids"], [droplet["id"]])

        path = f"/v2/droplets/{droplet['id']}"
        self.assertEqual(self.call("GET", path).json["droplet"]["status"], "new")
        active = self.call("GET", path).json["droplet"]
        self.assertEqual(active["status"], "active")
        public = [n["ip_address"] for n in active["networks"]["v4"] if n["type"] == "public"]
        private = [n["ip_address"] for n in active["networks"]["v4"] if n["type"] == "private"]
        self.assertEqual(len(private), 1)
        self.assertRegex(public[0], r"^203\.0\.113\.\d+$")

        other = self.create_droplet(name="timmy-other", tags=["timmy-job-other"]).json["droplet"]
        self.call("GET", f"/v2/droplets/{other['id']}")
        other_active = self.call("GET", f"/v2/droplets/{other['id']}").json["droplet"]
        other_public = [n["ip_address"] for n in other_active["networks"]["v4"] if n["type"] == "public"]
        self.assertNotEqual(other_public, public)

        tagged = self.call("GET", "/v2/droplets?tag_name=timmy-job-abcd1234").json
        self.assertEqual(([d["id"] for d in tagged["droplets"]], tagged["meta"]["total"]), ([droplet["id"]], 1))
        named = self.call("GET", "/v2/droplets?name=timmy-other").json["droplets"]
        self.assertEqual([d["id"] for d in named], [other["id"]])
        paged = self.call("GET", "/v2/droplets?per_page=1&page=2").json
        self.assertEqual(([d["id"] for d in paged["droplets"]], paged["meta"]["total"]), ([other["id"]], 2))
        self.assertIn("prev", paged["links"]["pages"])

        in_state = {d["id"]: d for d in self.state()["droplets"]}
        self.assertEqual(in_state[droplet["id"]]["_createRequest"]["user_data"], "#!/bin/bash\necho hi\n")

        attached = self.call("DELETE", f"/v2/volumes/{volume['id']}")
        self.assertEqual((attached.status, attached.json["id"]), (409, "conflict"))
        self.assertEqual(self.call("DELETE", path).status, 204)
        self.assertEqual(self.call("GET", path).status, 404)
        self.assertEqual(self.state()["volumes"][0]["droplet_ids"], [])
        self.assertEqual(self.call("DELETE", f"/v2/volumes/{volume['id']}").status, 204)
        self.assertEqual(self.violations(), [])

    def test_fingerprint_reference_and_ipv6(self):
        self.create_key(ED25519_KEY)
        created = self.create_droplet(ssh_keys=[ED25519_MD5], ipv6=True)
        self.assertEqual(created.status, 202, created.json)
        self.call("POST", "/_fake/config", {"activeAfterPolls": 1}, auth=None)
        droplet = self.call("GET", f"/v2/droplets/{created.json['droplet']['id']}").json["droplet"]
        self.assertEqual(droplet["status"], "active")
        self.assertEqual(len(droplet["networks"]["v6"]), 1)

    def test_never_active(self):
        self.call("POST", "/_fake/config", {"neverActive": True}, auth=None)
        droplet_id = self.create_droplet().json["droplet"]["id"]
        for _ in range(5):
            droplet = self.call("GET", f"/v2/droplets/{droplet_id}").json["droplet"]
        self.assertEqual((droplet["status"], droplet["networks"]["v4"]), ("new", []))

    def test_schema_rejections(self):
        self.assertRejected(self.create_droplet(name="timmy_abcd"), 422, "name")
        self.assertRejected(self.create_droplet(name="timmy-abcd\n"), 422, "name")
        self.assertRejected(self.create_droplet(name="a" * 256), 422, "name")
        self.assertRejected(self.create_droplet(user_data="#" * (64 * 1024 + 1)), 422, "64 KiB")
        self.assertRejected(self.create_droplet(user_data="é" * (32 * 1024 + 1)), 422, "64 KiB")
        self.assertRejected(self.create_droplet(userdata="#!/bin/sh\n"), 422, "userdata")
        body = self.droplet_body()
        del body["size"]
        self.assertRejected(self.call("POST", "/v2/droplets", body), 422, "size")
        self.assertRejected(self.create_droplet(image=True), 422, "image")
        self.assertRejected(self.create_droplet(tags=["bad tag"]), 422, "tag")
        self.assertRejected(self.create_droplet(names=["a", "b"]), 422)
        self.assertEqual(self.create_droplet(user_data="#" * (64 * 1024)).status, 202)

    def test_references_must_exist_and_fit(self):
        self.assertRejected(self.create_droplet(ssh_keys=[123]), 422, "ssh_keys")
        self.assertRejected(self.create_droplet(ssh_keys=[ED25519_MD5]), 422, "ssh_keys")
        self.assertRejected(self.create_droplet(volumes=["3b1b5f36-0000-4000-8000-000000000000"]), 422, "volume")
        far = self.create_volume(region="ams3").json["volume"]
        self.assertRejected(self.create_droplet(volumes=[far["id"]]), 422, "ams3")
        near = self.create_volume(name="near").json["volume"]
        self.assertEqual(self.create_droplet(volumes=[near["id"]]).status, 202)
        self.assertRejected(self.create_droplet(name="second", volumes=[near["id"]]), 422, "attached")

    def test_query_rules(self):
        self.assertRejected(self.call("GET", "/v2/droplets?tag_name=a&name=b"), 400, "tag_name")
        self.assertRejected(self.call("GET", "/v2/droplets?tag=a"), 400, "tag")
        self.assertRejected(self.call("GET", "/v2/droplets?per_page=201"), 400, "per_page")
        self.assertRejected(self.call("GET", "/v2/droplets?page=x"), 400, "page")
        self.assertRejected(self.call("GET", "/v2/droplets/1/actions"), 404)
        self.assertEqual(self.call("GET", "/v2/droplets/999").status, 404)
        self.assertEqual(self.violations(), [])


class FaultTests(FakeCloudTestCase):
    def test_429_with_retry_after_then_normal(self):
        self.set_faults({"method": "POST", "path": "^/v2/droplets$", "status": 429, "retryAfter": 3, "count": 2})
        self.assertEqual(self.call("GET", "/v2/droplets").status, 200)  # other method: untouched
        for _ in range(2):
            limited = self.create_droplet()
            self.assertEqual(limited.status, 429)
            self.assertEqual(limited.headers.get("retry-after"), "3")
            self.assertEqual(limited.json["id"], "too_many_requests")
        self.assertEqual(self.create_droplet().status, 202)
        self.assertEqual(len(self.state()["droplets"]), 1)
        self.assertEqual(self.state()["faults"], [])

    def test_429_without_retry_after_exhausts_the_rate_limit(self):
        self.set_faults({"path": "^/v2/account/keys$", "status": 429})
        limited = self.create_key()
        self.assertEqual(limited.status, 429)
        self.assertNotIn("retry-after", limited.headers)
        self.assertEqual(limited.headers["ratelimit-remaining"], "0")
        self.assertLessEqual(abs(int(limited.headers["ratelimit-reset"]) - (time.time() + 1)), 2)
        normal = self.create_key()
        self.assertEqual(normal.status, 201)
        self.assertGreater(int(normal.headers["ratelimit-remaining"]), 4000)
        self.assertGreater(int(normal.headers["ratelimit-reset"]), time.time() + 600)

    def test_rate_limit_remaining_counts_down(self):
        first = int(self.call("GET", "/v2/droplets").headers["ratelimit-remaining"])
        second = int(self.call("GET", "/v2/droplets").headers["ratelimit-remaining"])
        self.assertEqual(second, first - 1)
        self.assertEqual(self.call("GET", "/v2/droplets").headers["ratelimit-limit"], "5000")

    def test_500_count(self):
        self.set_faults({"path": "^/v2/volumes$", "status": 500, "count": 2})
        for _ in range(2):
            failed = self.create_volume()
            self.assertEqual((failed.status, failed.json["id"]), (500, "server_error"))
        self.assertEqual(self.state()["volumes"], [])
        self.assertEqual(self.create_volume().status, 201)

    def test_delay(self):
        self.set_faults({"path": "^/v2/droplets$", "delaySeconds": 1})
        slow = self.call("GET", "/v2/droplets")
        self.assertEqual(slow.status, 200)
        self.assertGreaterEqual(slow.elapsed, 1.0)
        self.assertLess(self.call("GET", "/v2/droplets").elapsed, 0.9)

    def test_delay_stalls_only_its_request_and_parallel_creates_get_distinct_ids(self):
        self.set_faults({"path": "^/v2/volumes$", "delaySeconds": 3})
        slow = threading.Thread(target=self.call, args=("GET", "/v2/volumes"))
        slow.start()
        time.sleep(0.2)
        answers = []
        workers = [threading.Thread(target=lambda n=n: answers.append(self.create_droplet(name=f"d{n}")))
                   for n in range(16)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.assertLess(time.monotonic() - started, 2.0)  # not queued behind the 3 s delay
        slow.join()
        self.assertEqual(sorted(a.status for a in answers), [202] * 16)
        self.assertEqual(len({a.json["droplet"]["id"] for a in answers}), 16)

    def test_drop_before_apply_creates_nothing(self):
        self.set_faults({"path": "^/v2/droplets$", "dropConnection": True})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.create_droplet()
        state = self.state()
        self.assertEqual(state["droplets"], [])
        self.assertEqual(state["requests"][-1]["status"], 0)

    def test_after_apply_drop_creates_then_loses_the_answer(self):
        self.set_faults({"method": "POST", "path": "^/v2/droplets$", "status": 201, "afterApply": True,
                         "dropConnection": True})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.create_droplet()
        droplets = self.call("GET", "/v2/droplets?tag_name=timmy-job-abcd1234").json["droplets"]
        self.assertEqual([d["name"] for d in droplets], ["timmy-abcd1234"])

    def test_after_apply_status(self):
        self.set_faults({"path": "^/v2/account/keys$", "status": 500, "afterApply": True})
        self.assertEqual(self.create_key(ED25519_KEY).status, 500)
        self.assertEqual(self.call("GET", f"/v2/account/keys/{ED25519_MD5}").status, 200)

    def test_tailscale_fault_body(self):
        self.set_faults({"path": "/keys$", "status": 429, "retryAfter": 1})
        limited = self.call("POST", "/api/v2/tailnet/-/keys", {"capabilities": {"devices": {"create": {}}}},
                            auth="tailscale")
        self.assertEqual((limited.status, set(limited.json)), (429, {"message"}))
        self.assertEqual(limited.headers.get("retry-after"), "1")

    def test_bad_rules_are_refused(self):
        for rules in ([{"status": 500}], [{"path": "x"}], [{"path": "x", "status": 500, "cnt": 1}],
                      [{"path": "x", "status": 500, "count": "2"}], [{"path": "(", "status": 500}],
                      [{"path": "x", "dropConnection": "yes"}], [{"path": "x", "delaySeconds": 1, "afterApply": True}]):
            self.assertEqual(self.call("POST", "/_fake/faults", {"rules": rules}, auth=None).status, 400, rules)
        self.assertEqual(self.state()["faults"], [])


class TailscaleTests(FakeCloudTestCase):
    BODY = {"capabilities": {"devices": {"create": {"reusable": False, "ephemeral": False, "preauthorized": True,
                                                    "tags": ["tag:timmy-node"]}}},
            "expirySeconds": 3600, "description": "timmy job abcd1234"}

    def create(self, body, tailnet="-"):
        return self.call("POST", f"/api/v2/tailnet/{tailnet}/keys", body, auth="tailscale")

    def test_create_get_revoke(self):
        created = self.create(self.BODY)
        self.assertEqual(created.status, 200, created.json)
        self.assertTrue(created.json["key"].startswith("tskey-auth-"))
        self.assertEqual(created.json["capabilities"], self.BODY["capabilities"])
        key_id = created.json["id"]
        got = self.call("GET", f"/api/v2/tailnet/-/keys/{key_id}", auth="tailscale")
        self.assertEqual((got.status, got.json["id"]), (200, key_id))
        self.assertNotIn("key", got.json)
        self.assertEqual(self.call("GET", f"/api/v2/tailnet/other/keys/{key_id}", auth="tailscale").status, 404)
        revoked = self.call("DELETE", f"/api/v2/tailnet/-/keys/{key_id}", auth="tailscale")
        self.assertEqual(revoked.status, 200)
        [record] = self.state()["tailscaleKeys"]
        self.assertEqual((record["id"], record["revoked"], record["tags"]), (key_id, True, ["tag:timmy-node"]))
        self.assertEqual(record["key"], created.json["key"])
        self.assertTrue(self.call("GET", f"/api/v2/tailnet/-/keys/{key_id}", auth="tailscale").json["invalid"])
        self.assertEqual(self.violations(), [])

    def test_list_shows_live_keys_of_the_tailnet(self):
        kept = self.create(self.BODY).json["id"]
        revoked = self.create(self.BODY).json["id"]
        self.create(self.BODY, tailnet="example.com")
        self.call("DELETE", f"/api/v2/tailnet/-/keys/{revoked}", auth="tailscale")
        listed = self.call("GET", "/api/v2/tailnet/-/keys", auth="tailscale")
        self.assertEqual([k["id"] for k in listed.json["keys"]], [kept])
        self.assertNotIn("key", listed.json["keys"][0])

    def test_invalid_bodies(self):
        def with_create(**create):
            return {"capabilities": {"devices": {"create": create}}}
        for body, fragment in (
                ({**self.BODY, "description": "x" * 51}, "description"),
                ({**self.BODY, "description": "timmy_job"}, "description"),
                (with_create(tags=["timmy"]), "tags"),
                (with_create(reusable="no"), "reusable"),
                (with_create(preauthorised=True), "preauthorised"),
                ({**self.BODY, "expiry": 60}, "expiry"),
                ({"description": "x"}, "capabilities")):
            answer = self.create(body)
            self.assertEqual((answer.status, set(answer.json)), (400, {"message"}), body)
            [violation] = self.violations()
            self.assertIn(fragment, violation["reason"])
            self.call("POST", "/_fake/reset", auth=None)


class ControlTests(FakeCloudTestCase):
    def test_reset_and_request_log(self):
        self.create_key()
        self.call("GET", "/v2/droplets?tag=x")
        state = self.state()
        self.assertEqual([(r["method"], r["path"], r["status"]) for r in state["requests"]],
                         [("POST", "/v2/account/keys", 201), ("GET", "/v2/droplets", 400)])
        self.assertEqual(len(state["violations"]), 1)
        self.call("POST", "/_fake/reset", auth=None)
        state = self.state()
        for name in ("droplets", "volumes", "sshKeys", "tailscaleKeys", "violations", "requests", "faults"):
            self.assertEqual(state[name], [], name)

    def test_config_is_checked(self):
        self.assertEqual(self.call("POST", "/_fake/config", {"activeAfter": 1}, auth=None).status, 400)
        self.assertEqual(self.call("POST", "/_fake/config", {"activeAfterPolls": -1}, auth=None).status, 400)
        answer = self.call("POST", "/_fake/config", {"activeAfterPolls": 4}, auth=None)
        self.assertEqual(answer.json, {"activeAfterPolls": 4, "neverActive": False})


@unittest.skipIf(ops_missing_reason(), ops_missing_reason())
class LifetimeTests(unittest.TestCase):
    def test_exits_when_stdin_closes(self):
        fake = FakeProcess()
        started = time.monotonic()
        self.assertEqual(fake.stop(), 0)
        self.assertLess(time.monotonic() - started, 5)


    def test_exits_on_sigterm_even_if_started_with_it_blocked(self):
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            fake = FakeProcess()  # inherits the blocked mask, as under the Swift test runner
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        fake.process.terminate()
        try:
            self.assertEqual(fake.process.wait(timeout=5), 0)
        finally:
            fake.stop()


class ValidatorTests(unittest.TestCase):
    def test_unimplemented_keywords_fail_loudly(self):
        for schema in ({"type": "string", "format": "uuid", "minProperties": 1},
                       {"properties": {"a": {"patternProperties": {}}}},
                       {"anyOf": [{"type": "strin"}]}):
            with self.assertRaises(UnsupportedKeyword):
                Validator(schema)

    def test_do_ops_schemas_load(self):
        if not os.path.exists(OPS):
            self.skipTest("no do-ops.json")
        with open(OPS) as handle:
            for name, schema in json.load(handle)["request_validation_schemas"].items():
                json_schema_subset.check_schema(schema)

    def test_keywords(self):
        schema = {"type": "object", "required": ["n"], "additionalProperties": False,
                  "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 3},
                                 "s": {"type": "string", "pattern": "^a+$", "maxLength": 3},
                                 "l": {"type": ["array", "null"], "items": {"enum": [1, "x"]}, "maxItems": 2},
                                 "o": {"oneOf": [{"type": "integer"}, {"type": "number"}]}}}
        validator = Validator(schema)
        self.assertEqual(validator.validate({"n": 2, "s": "aa", "l": [1, "x"], "o": 1.5}), [])
        self.assertEqual(validator.validate({"n": 2, "l": None}), [])
        for bad in ({}, {"n": True}, {"n": 0}, {"n": 4}, {"n": 1, "s": "aaaa"}, {"n": 1, "s": "aa\n"},
                    {"n": 1, "l": [True]}, {"n": 1, "l": [1, 1, 1]}, {"n": 1, "o": 2}, {"n": 1, "z": 1}):
            self.assertNotEqual(validator.validate(bad), [], bad)

    def test_forbid_unknown_properties_applies_inside_any_of(self):
        validator = Validator({"anyOf": [{"type": "object", "properties": {"a": {}}}]},
                              forbid_unknown_properties=True)
        self.assertEqual(validator.validate({"a": 1}), [])
        self.assertNotEqual(validator.validate({"a": 1, "b": 2}), [])


if __name__ == "__main__":
    unittest.main()
