#!/usr/bin/env python3
"""A fake DigitalOcean + Tailscale HTTP API for timmyd's tests.

Standard library only. It validates every request body against the JSON
Schemas in do-ops.json (extracted from DigitalOcean's OpenAPI specification)
plus the rules the specification only states in prose, keeps droplets, volumes,
SSH keys and Tailscale auth keys in memory, and lets a test inject faults and
read everything back through /_fake/. README.md next to this file is the
contract; keep the two in step.
"""

import argparse
import base64
import binascii
import hashlib
import http.server
import json
import math
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from json_schema_subset import Validator  # noqa: E402

DEFAULT_DO_TOKEN = "dop_v1_" + "0123456789abcdef" * 4
DEFAULT_TAILSCALE_KEY = "tskey-api-test"
RATE_LIMIT = 5000
USER_DATA_LIMIT = 64 * 1024
DEFAULT_ACTIVE_AFTER_POLLS = 2

DO_ERROR_IDS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 412: "precondition_failed",
    422: "unprocessable_entity", 429: "too_many_requests", 500: "server_error",
    502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout",
}
DO_ERROR_MESSAGES = {
    429: "API rate limit exceeded.",
    500: "Unexpected server-side error",
}

# Tailscale's create-key body. Tag names: "tag:" then a letter, then letters,
# digits and dashes. Expiry at most 90 days, as the admin console allows.
TAILSCALE_KEY_SCHEMA = {
    "type": "object",
    "properties": {
        "capabilities": {
            "type": "object",
            "properties": {
                "devices": {
                    "type": "object",
                    "properties": {
                        "create": {
                            "type": "object",
                            "properties": {
                                "reusable": {"type": "boolean"},
                                "ephemeral": {"type": "boolean"},
                                "preauthorized": {"type": "boolean"},
                                "tags": {
                                    "type": "array",
                                    "items": {"type": "string", "pattern": "^tag:[a-zA-Z][a-zA-Z0-9-]*$"},
                                },
                            },
                            "additionalProperties": False,
                        }
                    },
                    "required": ["create"],
                    "additionalProperties": False,
                }
            },
            "required": ["devices"],
            "additionalProperties": False,
        },
        "expirySeconds": {"type": "integer", "minimum": 1, "maximum": 90 * 24 * 3600},
        "description": {"type": "string", "maxLength": 50, "pattern": "^[a-zA-Z0-9 -]*$"},
    },
    "required": ["capabilities"],
    "additionalProperties": False,
}

FAULT_RULE_KEYS = {"method", "path", "status", "retryAfter", "count", "delaySeconds", "dropConnection", "afterApply"}
CONFIG_KEYS = {"activeAfterPolls", "neverActive"}


class Rejection(Exception):
    """An error answer. violation=True when the request itself was wrong
    (schema, documented rule, query), so that tests can assert on it."""

    def __init__(self, status, message, violation=False, error_id=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.violation = violation
        self.error_id = error_id or DO_ERROR_IDS.get(status, "error")


class Reply:
    def __init__(self, status, body=None, headers=()):
        self.status = status
        self.body = body
        self.headers = list(headers)


def check_fault_rule_types(rule):
    def is_int(value):
        return isinstance(value, int) and not isinstance(value, bool)
    problems = []
    if not isinstance(rule["path"], str):
        problems.append("path must be a string")
    else:
        try:
            re.compile(rule["path"])
        except re.error as error:
            problems.append(f"path is not a regex: {error}")
    if "method" in rule and not isinstance(rule["method"], str):
        problems.append("method must be a string")
    if "count" in rule and not (is_int(rule["count"]) and rule["count"] >= 1):
        problems.append("count must be an integer >= 1")
    if "status" in rule and not (is_int(rule["status"]) and 100 <= rule["status"] <= 599):
        problems.append("status must be an HTTP status")
    if "retryAfter" in rule and not (is_int(rule["retryAfter"]) and rule["retryAfter"] >= 0):
        problems.append("retryAfter must be an integer >= 0")
    if "delaySeconds" in rule and not (type_is_number(rule["delaySeconds"]) and rule["delaySeconds"] >= 0):
        problems.append("delaySeconds must be a number >= 0")
    for flag in ("dropConnection", "afterApply"):
        if flag in rule and not isinstance(rule[flag], bool):
            problems.append(f"{flag} must be a boolean")
    if problems:
        raise Rejection(400, f"bad rule {rule!r}: " + "; ".join(problems))


def type_is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def now_rfc3339(at=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at if at is not None else time.time()))


def parse_ssh_public_key(text):
    """Returns the MD5 fingerprint DigitalOcean shows (colon-separated hex of
    the decoded key blob), or raises Rejection for what is not an OpenSSH key."""
    parts = text.strip().split()
    invalid = Rejection(422, "Key invalid, key should be of the format `type key [comment]`", violation=True)
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
        raise invalid
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise invalid
    # The blob starts with the key type as an SSH string; it must agree.
    length = int.from_bytes(blob[:4], "big")
    if blob[4:4 + length] != parts[0].encode():
        raise invalid
    return ":".join(f"{byte:02x}" for byte in hashlib.md5(blob).digest())


def region_object(slug):
    return {"slug": slug, "name": slug, "sizes": [], "features": [], "available": True}


class FakeCloud:
    """All state, guarded by one lock (requests are few and small)."""

    def __init__(self, ops, do_token, tailscale_key):
        # Reentrant: a handler that drops the connection records it under the lock.
        self.lock = threading.RLock()
        self.do_token = do_token
        self.tailscale_key = tailscale_key
        schemas = ops["request_validation_schemas"]
        self.validators = {
            name: Validator(schemas[name], forbid_unknown_properties=True)
            for name in ("sshKeys_create", "volumes_create", "droplets_create_single")
        }
        self.tailscale_validator = Validator(TAILSCALE_KEY_SCHEMA)
        # Each definition carries a "source" note from the extraction; it is
        # not a schema keyword.
        self.definitions = {name: {k: v for k, v in value.items() if k != "source"} if isinstance(value, dict) else value
                            for name, value in ops["definitions"].items()}
        self.tag_validator = Validator(self.definitions["tag_name"])
        self.volume_name_validator = Validator(self.definitions["volume_name"])
        self.volume_size_validator = Validator(self.definitions["volume_size_gigabytes"])
        self.regions = set(self.definitions["region_slug_enum_in_spec"])
        self.query_parameters = {
            name: {p["name"]: p["schema"] for p in op.get("parameters", []) if p.get("in") == "query"}
            for name, op in ops["operations"].items()
        }
        # Ids never restart, even after a reset, so a stale id from an earlier
        # test can never name a new resource.
        self.next_key_id = 41000001
        self.next_droplet_id = 51000001
        self.next_address = 10
        self.reset()

    def reset(self):
        self.ssh_keys = {}       # id -> ssh_key object
        self.volumes = {}        # id -> volume object
        self.droplets = {}       # id -> {"object", "polls", "request"}
        self.tailscale_keys = {}  # id -> record
        self.violations = []
        self.requests = []
        self.faults = []
        self.active_after_polls = DEFAULT_ACTIVE_AFTER_POLLS
        self.never_active = False
        self.ratelimit_remaining = RATE_LIMIT
        self.ratelimit_reset = int(time.time()) + 3600

    # ---- faults -------------------------------------------------------

    def set_faults(self, rules):
        if not isinstance(rules, list):
            raise Rejection(400, "rules must be an array")
        checked = []
        for rule in rules:
            if not isinstance(rule, dict) or "path" not in rule:
                raise Rejection(400, f"a rule needs a path: {rule!r}")
            unknown = set(rule) - FAULT_RULE_KEYS
            if unknown:
                raise Rejection(400, f"unknown rule keys {sorted(unknown)}")
            if not any(k in rule for k in ("status", "delaySeconds", "dropConnection")):
                raise Rejection(400, f"a rule needs status, delaySeconds or dropConnection: {rule!r}")
            if rule.get("afterApply") and not ("status" in rule or rule.get("dropConnection")):
                raise Rejection(400, "afterApply needs status or dropConnection")
            check_fault_rule_types(rule)
            entry = dict(rule)
            entry["count"] = rule.get("count", 1)
            entry["regex"] = re.compile(rule["path"])
            checked.append(entry)
        self.faults = checked

    def take_fault(self, method, path):
        """The first rule matching this request, with one use consumed."""
        for rule in self.faults:
            if rule["count"] <= 0:
                continue
            if rule.get("method") and rule["method"].upper() != method:
                continue
            if not rule["regex"].search(path):
                continue
            rule["count"] -= 1
            return rule
        return None

    def remaining_faults(self):
        return [{k: v for k, v in r.items() if k != "regex"} for r in self.faults if r["count"] > 0]

    # ---- rate-limit headers -------------------------------------------

    def ratelimit_headers(self, exhausted=False):
        if exhausted:
            return [("ratelimit-limit", str(RATE_LIMIT)), ("ratelimit-remaining", "0"),
                    ("ratelimit-reset", str(int(time.time()) + 1))]
        self.ratelimit_remaining = max(0, self.ratelimit_remaining - 1)
        return [("ratelimit-limit", str(RATE_LIMIT)), ("ratelimit-remaining", str(self.ratelimit_remaining)),
                ("ratelimit-reset", str(self.ratelimit_reset))]

    # ---- control-API views --------------------------------------------

    def state(self):
        droplets = []
        for record in self.droplets.values():
            droplet = dict(record["object"])
            # Not part of the real API: what the client asked for, so tests can
            # check user_data, keys and volumes the droplet was created with.
            droplet["_createRequest"] = record["request"]
            droplet["_polls"] = record["polls"]
            droplets.append(droplet)
        return {
            "droplets": droplets,
            "volumes": list(self.volumes.values()),
            "sshKeys": list(self.ssh_keys.values()),
            "tailscaleKeys": [self.tailscale_state(r) for r in self.tailscale_keys.values()],
            "violations": list(self.violations),
            "requests": list(self.requests),
            "faults": self.remaining_faults(),
            "config": {"activeAfterPolls": self.active_after_polls, "neverActive": self.never_active},
        }

    @staticmethod
    def tailscale_state(record):
        create = record["capabilities"]["devices"]["create"]
        return {
            "id": record["id"], "key": record["key"], "tailnet": record["tailnet"],
            "revoked": record["revoked"] is not None, "tags": create.get("tags", []),
            "reusable": create.get("reusable", False), "ephemeral": create.get("ephemeral", False),
            "preauthorized": create.get("preauthorized", False),
            "description": record["description"], "expirySeconds": record["expirySeconds"],
        }

    def configure(self, body):
        if not isinstance(body, dict) or set(body) - CONFIG_KEYS:
            raise Rejection(400, f"config keys are {sorted(CONFIG_KEYS)}")
        if "activeAfterPolls" in body:
            value = body["activeAfterPolls"]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise Rejection(400, "activeAfterPolls must be an integer >= 0")
            self.active_after_polls = value
        if "neverActive" in body:
            if not isinstance(body["neverActive"], bool):
                raise Rejection(400, "neverActive must be a boolean")
            self.never_active = body["neverActive"]
        return {"activeAfterPolls": self.active_after_polls, "neverActive": self.never_active}

    # ---- shared checks ------------------------------------------------

    def check_schema(self, name, body):
        errors = self.validators[name].validate(body)
        if errors:
            raise Rejection(422, "request payload validation failed: " + "; ".join(errors), violation=True)

    def check_tags(self, tags):
        for tag in tags or []:
            errors = self.tag_validator.validate(tag)
            if errors:
                raise Rejection(422, f"invalid tag {tag!r}: " + "; ".join(errors), violation=True)

    # ---- SSH keys -----------------------------------------------------

    def find_ssh_key(self, identifier):
        if re.fullmatch(r"[0-9]+", str(identifier)):
            return self.ssh_keys.get(int(identifier))
        return next((k for k in self.ssh_keys.values() if k["fingerprint"] == identifier), None)

    def create_ssh_key(self, request):
        body = request.json_body()
        self.check_schema("sshKeys_create", body)
        if not body["name"].strip():
            raise Rejection(422, "Name can't be blank", violation=True)
        fingerprint = parse_ssh_public_key(body["public_key"])
        if any(k["fingerprint"] == fingerprint for k in self.ssh_keys.values()):
            # A state conflict, not a malformed request: a client may meet it
            # after a lost answer and then look the key up by fingerprint.
            raise Rejection(422, "SSH Key is already in use on your account")
        key = {"id": self.next_key_id, "fingerprint": fingerprint,
               "public_key": body["public_key"], "name": body["name"]}
        self.next_key_id += 1
        self.ssh_keys[key["id"]] = key
        return Reply(201, {"ssh_key": key})

    def list_ssh_keys(self, request):
        return Reply(200, request.page(list(self.ssh_keys.values()), "ssh_keys"))

    def get_ssh_key(self, request):
        return Reply(200, {"ssh_key": self.existing_ssh_key(request.params["key"])})

    def delete_ssh_key(self, request):
        key = self.existing_ssh_key(request.params["key"])
        del self.ssh_keys[key["id"]]
        return Reply(204)

    def existing_ssh_key(self, identifier):
        key = self.find_ssh_key(identifier)
        if key is None:
            raise Rejection(404, "The resource you requested could not be found.")
        return key

    # ---- volumes ------------------------------------------------------

    def create_volume(self, request):
        body = request.json_body()
        self.check_schema("volumes_create", body)
        self.check_volume_rules(body)
        if any(v["name"] == body["name"] and v["region"]["slug"] == body["region"] for v in self.volumes.values()):
            # A state conflict (not a violation): see create_ssh_key.
            raise Rejection(409, "a volume with that name already exists in this region")
        volume = {
            "id": str(uuid.uuid4()),
            "region": region_object(body["region"]),
            "droplet_ids": [],
            "name": body["name"],
            "description": body.get("description", ""),
            "size_gigabytes": int(body["size_gigabytes"]),
            "created_at": now_rfc3339(),
            "filesystem_type": body.get("filesystem_type", ""),
            "filesystem_label": body.get("filesystem_label", ""),
            "tags": body.get("tags") or [],
        }
        self.volumes[volume["id"]] = volume
        return Reply(201, {"volume": volume})

    def check_volume_rules(self, body):
        """What the specification says in prose, beyond the schema."""
        for validator, value, what in ((self.volume_name_validator, body["name"], "name"),
                                       (self.volume_size_validator, body["size_gigabytes"], "size_gigabytes")):
            errors = validator.validate(value)
            if errors:
                raise Rejection(422, f"invalid volume {what}: " + "; ".join(errors), violation=True)
        filesystem = body.get("filesystem_type")
        if filesystem is not None and filesystem not in ("ext4", "xfs"):
            raise Rejection(422, "filesystem_type must be ext4 or xfs", violation=True)
        label = body.get("filesystem_label")
        if label is not None:
            if filesystem is None:
                raise Rejection(422, "filesystem_label may only be used with filesystem_type", violation=True)
            if len(label) > (16 if filesystem == "ext4" else 12):
                raise Rejection(422, f"filesystem_label too long for {filesystem}", violation=True)
        if "snapshot_id" in body:
            raise Rejection(422, "the fake does not implement volumes from snapshots", violation=True)
        self.check_tags(body.get("tags"))

    def list_volumes(self, request):
        name, region = request.query.get("name"), request.query.get("region")
        volumes = [v for v in self.volumes.values()
                   if (name is None or v["name"] == name) and (region is None or v["region"]["slug"] == region)]
        return Reply(200, request.page(volumes, "volumes"))

    def get_volume(self, request):
        return Reply(200, {"volume": self.existing_volume(request.params["id"])})

    def delete_volume(self, request):
        self.remove_volume(self.existing_volume(request.params["id"]))
        return Reply(204)

    def delete_volume_by_name(self, request):
        name, region = request.query.get("name"), request.query.get("region")
        if name is None or region is None:
            raise Rejection(400, "deleting volumes by name needs both name and region", violation=True)
        matches = [v for v in self.volumes.values() if v["name"] == name and v["region"]["slug"] == region]
        if not matches:
            raise Rejection(404, "The resource you requested could not be found.")
        for volume in matches:
            self.remove_volume(volume)
        return Reply(204)

    def remove_volume(self, volume):
        if volume["droplet_ids"]:
            raise Rejection(409, "Volume is currently attached to a Droplet; detach it or delete the Droplet first")
        del self.volumes[volume["id"]]

    def existing_volume(self, volume_id):
        volume = self.volumes.get(volume_id)
        if volume is None:
            raise Rejection(404, "The resource you requested could not be found.")
        return volume

    # ---- droplets -----------------------------------------------------

    def create_droplet(self, request):
        body = request.json_body()
        if isinstance(body, dict) and "names" in body:
            raise Rejection(422, "the fake implements single droplet creation only (name, not names)", violation=True)
        self.check_schema("droplets_create_single", body)
        region = self.droplet_region(body)
        self.check_user_data(body.get("user_data"))
        self.check_tags(body.get("tags"))
        keys = [self.referenced_ssh_key(ref) for ref in body.get("ssh_keys", [])]
        volumes = [self.attachable_volume(ref, region) for ref in body.get("volumes", [])]
        droplet_id = self.next_droplet_id
        self.next_droplet_id += 1
        for volume in volumes:
            volume["droplet_ids"] = [droplet_id]
        droplet = {
            "id": droplet_id,
            "name": body["name"],
            "memory": memory_of(body["size"]),
            "vcpus": vcpus_of(body["size"]),
            "disk": 80,
            "locked": False,
            "status": "new",
            "created_at": now_rfc3339(),
            "features": (["ipv6"] if body.get("ipv6") else []) + (["monitoring"] if body.get("monitoring") else []),
            "backup_ids": [],
            "snapshot_ids": [],
            "image": image_object(body["image"]),
            "size": {"slug": body["size"], "memory": memory_of(body["size"]), "vcpus": vcpus_of(body["size"])},
            "size_slug": body["size"],
            "networks": {"v4": [], "v6": []},
            "region": region_object(region),
            "tags": body.get("tags") or [],
            "volume_ids": [v["id"] for v in volumes],
            "vpc_uuid": body.get("vpc_uuid", "00000000-0000-4000-8000-000000000001"),
        }
        self.droplets[droplet_id] = {"object": droplet, "polls": 0, "request": body,
                                     "ssh_key_ids": [k["id"] for k in keys]}
        action = {"id": droplet_id * 10, "rel": "create",
                  "href": f"{request.base_url}/v2/actions/{droplet_id * 10}"}
        return Reply(202, {"droplet": droplet, "links": {"actions": [action]}})

    def droplet_region(self, body):
        region = body.get("region")
        if region is None:
            if body.get("volumes"):
                raise Rejection(422, "region is required when volumes are attached", violation=True)
            return "nyc3"
        # The region enum lags new regions, so accept any slug shaped like one,
        # and a bare prefix ("nyc") as the API does.
        if re.fullmatch(r"[a-z]{3}[0-9]", region):
            return region
        prefixed = sorted(r for r in self.regions if r.startswith(region)) if re.fullmatch(r"[a-z]{3}", region) else []
        if prefixed:
            return prefixed[-1]
        raise Rejection(422, f"region {region!r} is not available", violation=True)

    @staticmethod
    def check_user_data(user_data):
        if user_data is None:
            return
        size = len(user_data.encode("utf-8"))
        if size > USER_DATA_LIMIT:
            raise Rejection(422, f"user_data is {size} bytes; it may not exceed 64 KiB", violation=True)
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", user_data):
            raise Rejection(422, "user_data must be plain text", violation=True)

    def referenced_ssh_key(self, reference):
        key = self.find_ssh_key(reference)
        if key is None:
            raise Rejection(422, f"ssh_keys: no SSH key {reference!r} on the account", violation=True)
        return key

    def attachable_volume(self, volume_id, region):
        volume = self.volumes.get(volume_id)
        if volume is None:
            raise Rejection(422, f"volumes: no volume {volume_id!r}", violation=True)
        if volume["region"]["slug"] != region:
            raise Rejection(422, f"volume {volume_id} is in {volume['region']['slug']}, not {region}", violation=True)
        if volume["droplet_ids"]:
            raise Rejection(422, f"volume {volume_id} is already attached to a Droplet", violation=True)
        return volume

    def get_droplet(self, request):
        record = self.existing_droplet(request.params["id"])
        record["polls"] += 1
        self.maybe_activate(record)
        return Reply(200, {"droplet": record["object"]})

    def maybe_activate(self, record):
        """The activeAfterPolls-th GET (at least the first) shows the droplet active."""
        droplet = record["object"]
        if droplet["status"] != "new" or self.never_active:
            return
        if record["polls"] < max(1, self.active_after_polls):
            return
        n = self.next_address
        self.next_address += 1
        public = f"203.0.113.{n}" if n < 255 else f"198.51.100.{n - 245}"
        droplet["status"] = "active"
        droplet["networks"] = {
            "v4": [
                {"ip_address": f"10.110.{n // 250}.{n % 250 + 2}", "netmask": "255.255.0.0",
                 "gateway": "10.110.0.1", "type": "private"},
                {"ip_address": public, "netmask": "255.255.255.0",
                 "gateway": public.rsplit(".", 1)[0] + ".1", "type": "public"},
            ],
            "v6": ([{"ip_address": f"2001:db8::{n:x}", "netmask": 64, "gateway": "2001:db8::1", "type": "public"}]
                   if "ipv6" in droplet["features"] else []),
        }

    def list_droplets(self, request):
        tag, name = request.query.get("tag_name"), request.query.get("name")
        if tag is not None and name is not None:
            raise Rejection(400, "tag_name cannot be combined with name", violation=True)
        droplets = [r["object"] for r in self.droplets.values()
                    if (tag is None or tag in r["object"]["tags"]) and (name is None or r["object"]["name"] == name)]
        return Reply(200, request.page(droplets, "droplets"))

    def delete_droplet(self, request):
        self.remove_droplet(self.existing_droplet(request.params["id"]))
        return Reply(204)

    def delete_droplets_by_tag(self, request):
        tag = request.query.get("tag_name")
        if tag is None:
            raise Rejection(400, "deleting droplets needs tag_name", violation=True)
        for record in [r for r in self.droplets.values() if tag in r["object"]["tags"]]:
            self.remove_droplet(record)
        return Reply(204)

    def remove_droplet(self, record):
        for volume_id in record["object"]["volume_ids"]:
            if volume_id in self.volumes:
                self.volumes[volume_id]["droplet_ids"] = []
        del self.droplets[record["object"]["id"]]

    def existing_droplet(self, droplet_id):
        record = self.droplets.get(int(droplet_id))
        if record is None:
            raise Rejection(404, "The resource you requested could not be found.")
        return record

    # ---- Tailscale ----------------------------------------------------

    def create_tailscale_key(self, request):
        body = request.json_body()
        errors = self.tailscale_validator.validate(body)
        if errors:
            raise Rejection(400, "invalid key request: " + "; ".join(errors), violation=True)
        key_id = "k" + secrets.token_hex(6) + "CNTRL"
        created = time.time()
        expiry = body.get("expirySeconds", 90 * 24 * 3600)
        record = {
            "id": key_id,
            "key": f"tskey-auth-{key_id}-{secrets.token_hex(16)}",
            "tailnet": request.params["tailnet"],
            "created": now_rfc3339(created),
            "expires": now_rfc3339(created + expiry),
            "capabilities": body["capabilities"],
            "description": body.get("description", ""),
            "expirySeconds": expiry,
            "revoked": None,
        }
        self.tailscale_keys[key_id] = record
        answer = {k: record[k] for k in ("id", "key", "created", "expires", "capabilities", "description")}
        answer["invalid"] = False
        return Reply(200, answer)

    def get_tailscale_key(self, request):
        return Reply(200, self.public_tailscale_key(self.existing_tailscale_key(request)))

    def list_tailscale_keys(self, request):
        # Like the real API: revoked keys are no longer listed.
        keys = [self.public_tailscale_key(r) for r in self.tailscale_keys.values()
                if r["tailnet"] == request.params["tailnet"] and r["revoked"] is None]
        return Reply(200, {"keys": keys})

    @staticmethod
    def public_tailscale_key(record):
        # The secret is returned only when the key is made.
        answer = {k: record[k] for k in ("id", "created", "expires", "capabilities", "description")}
        answer["invalid"] = record["revoked"] is not None
        if record["revoked"] is not None:
            answer["revoked"] = record["revoked"]
        return answer

    def delete_tailscale_key(self, request):
        record = self.existing_tailscale_key(request)
        if record["revoked"] is None:
            record["revoked"] = now_rfc3339()
        return Reply(200)

    def existing_tailscale_key(self, request):
        record = self.tailscale_keys.get(request.params["key"])
        if record is None or record["tailnet"] != request.params["tailnet"]:
            raise Rejection(404, "not found")
        return record


def memory_of(size_slug):
    match = re.search(r"-(\d+)gb", size_slug)
    return int(match.group(1)) * 1024 if match else 1024


def vcpus_of(size_slug):
    match = re.search(r"-(\d+)vcpu", size_slug)
    return int(match.group(1)) if match else 1


def image_object(image):
    if isinstance(image, int):
        return {"id": image, "slug": None, "name": f"image {image}", "distribution": "Unknown", "public": False}
    return {"id": 100000 + sum(image.encode()) % 100000, "slug": image, "name": image,
            "distribution": image.split("-")[0].capitalize(), "public": True}


# (method, path regex, operation in do-ops.json for query parameters, handler)
DO_ROUTES = [
    ("POST", r"/v2/account/keys", "sshKeys_create", FakeCloud.create_ssh_key),
    ("GET", r"/v2/account/keys", "sshKeys_list", FakeCloud.list_ssh_keys),
    ("GET", r"/v2/account/keys/(?P<key>[^/]+)", "sshKeys_get", FakeCloud.get_ssh_key),
    ("DELETE", r"/v2/account/keys/(?P<key>[^/]+)", "sshKeys_delete", FakeCloud.delete_ssh_key),
    ("POST", r"/v2/volumes", "volumes_create", FakeCloud.create_volume),
    ("GET", r"/v2/volumes", "volumes_list", FakeCloud.list_volumes),
    ("DELETE", r"/v2/volumes", "volumes_delete_byName", FakeCloud.delete_volume_by_name),
    ("GET", r"/v2/volumes/(?P<id>[^/]+)", "volumes_get", FakeCloud.get_volume),
    ("DELETE", r"/v2/volumes/(?P<id>[^/]+)", "volumes_delete", FakeCloud.delete_volume),
    ("POST", r"/v2/droplets", "droplets_create", FakeCloud.create_droplet),
    ("GET", r"/v2/droplets", "droplets_list", FakeCloud.list_droplets),
    ("DELETE", r"/v2/droplets", "droplets_destroy_byTag", FakeCloud.delete_droplets_by_tag),
    ("GET", r"/v2/droplets/(?P<id>[0-9]+)", "droplets_get", FakeCloud.get_droplet),
    ("DELETE", r"/v2/droplets/(?P<id>[0-9]+)", "droplets_destroy", FakeCloud.delete_droplet),
]
TAILSCALE_ROUTES = [
    ("POST", r"/api/v2/tailnet/(?P<tailnet>[^/]+)/keys", None, FakeCloud.create_tailscale_key),
    ("GET", r"/api/v2/tailnet/(?P<tailnet>[^/]+)/keys", None, FakeCloud.list_tailscale_keys),
    ("GET", r"/api/v2/tailnet/(?P<tailnet>[^/]+)/keys/(?P<key>[^/]+)", None, FakeCloud.get_tailscale_key),
    ("DELETE", r"/api/v2/tailnet/(?P<tailnet>[^/]+)/keys/(?P<key>[^/]+)", None, FakeCloud.delete_tailscale_key),
]


class Request:
    """What a route handler sees: path parameters, checked query, JSON body."""

    def __init__(self, fake, method, path, raw_query, body, headers, operation, params, base_url):
        self.fake = fake
        self.method = method
        self.path = path
        self.raw_query = raw_query
        self.body = body
        self.headers = headers
        self.params = params
        self.base_url = base_url
        self.query = self.checked_query(raw_query, fake.query_parameters.get(operation, {}) if operation else {})

    @staticmethod
    def checked_query(raw_query, allowed):
        """Unknown, repeated or ill-typed query parameters are a client bug."""
        values = {}
        for name, items in parse_qs(raw_query, keep_blank_values=True).items():
            if name not in allowed:
                raise Rejection(400, f"unknown query parameter {name!r}", violation=True)
            if len(items) != 1:
                raise Rejection(400, f"query parameter {name!r} given {len(items)} times", violation=True)
            value = items[0]
            if allowed[name].get("type") == "integer":
                if not re.fullmatch(r"-?[0-9]+", value):
                    raise Rejection(400, f"query parameter {name!r} must be an integer", violation=True)
                value = int(value)
            errors = Validator(allowed[name]).validate(value)
            if errors:
                raise Rejection(400, f"query parameter {name!r}: " + "; ".join(errors), violation=True)
            values[name] = value
        return values

    def json_body(self):
        content_type = self.headers.get("Content-Type", "")
        if not content_type.split(";")[0].strip().lower() == "application/json":
            raise Rejection(400, f"Content-Type must be application/json, not {content_type!r}", violation=True)
        try:
            body = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Rejection(400, "error parsing request body", violation=True)
        if not isinstance(body, dict):
            raise Rejection(400, "error parsing request body: expected a JSON object", violation=True)
        return body

    def page(self, items, key):
        """A page as DigitalOcean lists: {key: [...], links: {pages}, meta: {total}}."""
        per_page = self.query.get("per_page", 20)
        page = self.query.get("page", 1)
        total = len(items)
        last = max(1, math.ceil(total / per_page))
        pages = {}
        if page > 1:
            pages["first"] = self.page_url(1)
            pages["prev"] = self.page_url(min(page - 1, last))
        if page < last:
            pages["last"] = self.page_url(last)
            pages["next"] = self.page_url(page + 1)
        start = (page - 1) * per_page
        return {key: items[start:start + per_page], "links": {"pages": pages} if pages else {},
                "meta": {"total": total}}

    def page_url(self, page):
        query = {k: v for k, v in self.query.items() if k != "page"}
        query["page"] = page
        return f"{self.base_url}{self.path}?{urlencode(sorted(query.items()))}"


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 so that clients may keep connections open, as with the real API.
    protocol_version = "HTTP/1.1"
    fake: FakeCloud = None  # set by main()

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.handle_request("GET")

    def do_POST(self):
        self.handle_request("POST")

    def do_DELETE(self):
        self.handle_request("DELETE")

    def do_PUT(self):
        self.handle_request("PUT")

    def do_PATCH(self):
        self.handle_request("PATCH")

    def handle_request(self, method):
        split = urlsplit(self.path)
        path, raw_query = split.path, split.query
        body = self.read_body()
        if path.startswith("/_fake/"):
            return self.handle_control(method, path, body)
        api = "tailscale" if path.startswith("/api/") else "do"
        fake = self.fake
        with fake.lock:
            rule = fake.take_fault(method, path)
        if rule and rule.get("delaySeconds"):
            time.sleep(float(rule["delaySeconds"]))
        fails_before = rule and not rule.get("afterApply") and (rule.get("dropConnection") or "status" in rule)
        if fails_before:
            if rule.get("dropConnection"):
                return self.drop(method, path, raw_query)
            with fake.lock:
                return self.send_fault(api, method, path, raw_query, rule)
        with fake.lock:
            reply = self.apply(api, method, path, raw_query, body)
            if rule and rule.get("afterApply"):
                if rule.get("dropConnection"):
                    return self.drop(method, path, raw_query)
                return self.send_fault(api, method, path, raw_query, rule)
            self.record(method, path, raw_query, reply.status)
            if api == "do":
                reply.headers.extend(fake.ratelimit_headers())
            self.send_json(reply)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def apply(self, api, method, path, raw_query, body):
        """Runs the operation; errors become replies. Call with the lock held."""
        fake = self.fake
        request_id = str(uuid.uuid4())
        try:
            self.check_auth(api)
            operation, handler, params = self.route(api, method, path)
            request = Request(fake, method, path, raw_query, body, self.headers, operation, params, self.base_url())
            if method in ("GET", "DELETE") and body:
                raise Rejection(400, f"{method} takes no body", violation=True)
            reply = handler(fake, request)
        except Rejection as rejection:
            reply = self.rejected(api, method, path, raw_query, rejection, request_id)
        except Exception as error:  # noqa: BLE001
            # A bug in the fake must fail the test loudly, not look like a
            # dropped connection or a plausible answer.
            traceback.print_exc()
            rejection = Rejection(500, f"internal error in the fake: {error!r}", violation=True)
            reply = self.rejected(api, method, path, raw_query, rejection, request_id)
        if api == "do":
            reply.headers.append(("x-request-id", request_id))
        return reply

    def rejected(self, api, method, path, raw_query, rejection, request_id):
        if rejection.violation:
            self.fake.violations.append({"method": method, "path": path, "query": raw_query,
                                         "status": rejection.status, "reason": rejection.message})
        return Reply(rejection.status,
                     self.error_body(api, rejection.status, rejection.message, rejection.error_id, request_id))

    def check_auth(self, api):
        authorization = self.headers.get("Authorization", "")
        if api == "do":
            if authorization != f"Bearer {self.fake.do_token}":
                raise Rejection(401, "Unable to authenticate you")
            return
        basic = "Basic " + base64.b64encode(f"{self.fake.tailscale_key}:".encode()).decode()
        if authorization not in (f"Bearer {self.fake.tailscale_key}", basic):
            raise Rejection(401, "API token invalid")

    def route(self, api, method, path):
        routes = DO_ROUTES if api == "do" else TAILSCALE_ROUTES
        path_known = False
        for route_method, pattern, operation, handler in routes:
            match = re.fullmatch(pattern, path)
            if match:
                path_known = True
                if route_method == method:
                    return operation, handler, match.groupdict()
        if path_known:
            raise Rejection(405, f"{method} is not allowed on {path}", violation=True)
        raise Rejection(404, f"the fake has no endpoint {path}", violation=True)

    @staticmethod
    def error_body(api, status, message, error_id=None, request_id=None):
        if api == "tailscale":
            return {"message": message}
        return {"id": error_id or DO_ERROR_IDS.get(status, "error"), "message": message,
                "request_id": request_id or str(uuid.uuid4())}

    def send_fault(self, api, method, path, raw_query, rule):
        status = int(rule["status"])
        message = DO_ERROR_MESSAGES.get(status, f"injected fault {status}")
        reply = Reply(status, self.error_body(api, status, message))
        if status == 429 and "retryAfter" in rule:
            reply.headers.append(("retry-after", str(rule["retryAfter"])))
        if api == "do":
            exhausted = status == 429 and "retryAfter" not in rule
            reply.headers.extend(self.fake.ratelimit_headers(exhausted=exhausted))
        self.record(method, path, raw_query, status)
        self.send_json(reply)

    def drop(self, method, path, raw_query):
        """Close without answering: the client sees an empty reply or a reset."""
        with self.fake.lock:
            self.record(method, path, raw_query, 0)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def record(self, method, path, raw_query, status):
        self.fake.requests.append({"method": method, "path": path, "query": raw_query, "status": status})

    def base_url(self):
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"http://{host}"

    def send_json(self, reply):
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != 204:
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if reply.status != 204:
            self.wfile.write(data)

    # ---- control API ---------------------------------------------------

    def handle_control(self, method, path, body):
        fake = self.fake
        try:
            with fake.lock:
                if (method, path) == ("GET", "/_fake/state"):
                    answer = fake.state()
                elif (method, path) == ("POST", "/_fake/faults"):
                    fake.set_faults(self.control_body(body).get("rules"))
                    answer = {"faults": fake.remaining_faults()}
                elif (method, path) == ("GET", "/_fake/faults"):
                    answer = {"faults": fake.remaining_faults()}
                elif (method, path) == ("POST", "/_fake/config"):
                    answer = fake.configure(self.control_body(body))
                elif (method, path) == ("POST", "/_fake/reset"):
                    fake.reset()
                    answer = {}
                else:
                    raise Rejection(404, f"no control endpoint {method} {path}")
                # Still under the lock: the answer shares objects with the live state.
                self.send_json(Reply(200, answer))
        except Rejection as rejection:
            self.send_json(Reply(rejection.status, {"message": rejection.message}))

    @staticmethod
    def control_body(body):
        try:
            parsed = json.loads(body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise Rejection(400, f"control body is not JSON: {error}")
        if not isinstance(parsed, dict):
            raise Rejection(400, "control body must be a JSON object")
        return parsed


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 makes a burst of parallel connects
    # wait a second for the SYN to be retried.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gave up (e.g. timed out during a delay fault) is normal
        # here; anything else is a bug worth a traceback.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def exit_when_stdin_closes():
    # Children of the Swift test runner have SIGTERM blocked, so the tests stop
    # us by closing our stdin; reading to EOF is the one reliable signal.
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def write_port_file(path, port):
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w") as handle:
        handle.write(f"{port}\n")
    os.replace(temporary, path)  # a reader never sees a half-written file


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", required=True, help="do-ops.json (schemas and API facts)")
    parser.add_argument("--port-file", required=True, help="where to write the port once listening")
    parser.add_argument("--do-token", default=DEFAULT_DO_TOKEN)
    parser.add_argument("--tailscale-key", default=DEFAULT_TAILSCALE_KEY)
    arguments = parser.parse_args()

    with open(arguments.ops) as handle:
        ops = json.load(handle)
    Handler.fake = FakeCloud(ops, arguments.do_token, arguments.tailscale_key)

    # The Swift test runner's children inherit SIGTERM blocked; unblock it so
    # that a plain kill works too (closing stdin stays the main way to stop).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: os._exit(0))
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()

    server = QuietServer(("127.0.0.1", 0), Handler)
    write_port_file(arguments.port_file, server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
