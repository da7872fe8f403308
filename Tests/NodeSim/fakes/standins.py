#!/usr/bin/env python3
"""Stand-ins for what cannot run in the simulated droplet: docker (engine and
compose plugin), tailscale/tailscaled, ufw, systemctl and swapon. Each is
installed in the sim as a two-line wrapper calling `standins.py TOOL ARGS…`,
records its call (one JSON line) and answers as the real tool would.

`docker compose` reads the real compose file, validates it against the Compose
Specification's schema (what `docker compose config` does), resolves bind
mounts as Docker would (a missing host path becomes an empty directory, unless
`create_host_path: false`, which is an error) and starts the fake LND and fake
LNbits for the `lnd` and `lnbits` services."""

import hashlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONTAINERS = "containers.json"
TAILSCALE_IP = "100.101.102.103"


def fail(message, status=1):
    print(message, file=sys.stderr)
    sys.exit(status)


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running; its parent (an earlier stand-in) has gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


# ---- docker compose ----

class Compose:
    def __init__(self, arguments):
        self.file = None
        self.directory = os.getcwd()
        rest = list(arguments)
        while rest and rest[0].startswith("-"):
            option = rest.pop(0)
            if option in ("-f", "--file"):
                self.file = rest.pop(0)
            elif option == "--project-directory":
                self.directory = rest.pop(0)
            elif option in ("-p", "--project-name", "--env-file", "--profile", "--progress", "--ansi"):
                rest.pop(0)
            elif option.startswith(("--file=", "--project-directory=", "--project-name=", "--progress=", "--ansi=")):
                key, _, value = option.partition("=")
                if key == "--file":
                    self.file = value
                elif key == "--project-directory":
                    self.directory = value
            else:
                fail(f"docker compose stand-in: unsupported option {option}")
        self.command = rest[0] if rest else ""
        self.arguments = rest[1:]

    def load(self):
        import yaml  # python3-yaml, in the sim's package list
        candidates = [self.file] if self.file else ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
        for name in candidates:
            path = os.path.join(self.directory, name)
            if os.path.exists(path):
                self.file = path
                break
        else:
            fail("no configuration file provided: not found", 14)
        with open(self.file, "rb") as handle:
            text = handle.read()
        document = yaml.safe_load(text)
        # Validating takes a while in Python; a file already found valid is not checked again.
        digest = hashlib.sha256(text).hexdigest()
        valid = simlib.read_state("compose-valid.json", [])
        problems = [] if digest in valid else validate_compose(document)
        if not problems and digest not in valid:
            simlib.write_state("compose-valid.json", valid + [digest])
        if problems:
            simlib.record_violation("compose", "the compose file fails the Compose Specification: " + "; ".join(problems))
            fail("validating " + self.file + ": " + "; ".join(problems), 15)
        self.document = document
        self.services = document.get("services") or {}
        return document

    def run(self):
        if self.command == "version":
            if simlib.fail_step() == "docker":
                fail("docker: 'compose' is not a docker command. (forced failure: --fail-step docker)")
            print("Docker Compose version v2.39.1")
            return 0
        self.load()
        if self.command == "config":
            if "--services" in self.arguments:
                print("\n".join(self.services))
            elif "-q" not in self.arguments and "--quiet" not in self.arguments:
                with open(self.file, encoding="utf-8") as handle:
                    sys.stdout.write(handle.read())
            return 0
        if self.command == "up":
            return self.up([a for a in self.arguments if not a.startswith("-")], wait="--wait" in self.arguments)
        if self.command in ("start", "restart"):
            return self.up([a for a in self.arguments if not a.startswith("-")], wait=False)
        if self.command in ("stop", "down"):
            return self.stop([a for a in self.arguments if not a.startswith("-")] if self.command == "stop" else [])
        if self.command == "exec":
            return self.exec(self.arguments)
        if self.command == "ps":
            running = simlib.read_state(CONTAINERS, {})
            for name in self.services:
                state = "running" if name in running and process_alive(running[name]) else "exited"
                print(f"timmy-node-{name}-1  {self.services[name].get('image')}  {state}")
            return 0
        if self.command == "logs":
            return 0
        if self.command == "pull":
            return 0
        fail(f"docker compose stand-in: unsupported command {self.command!r}")

    def order(self, names):
        """The services and their dependencies, dependencies first, as compose starts them."""
        result = []

        def visit(name, path):
            if name not in self.services:
                fail(f"no such service: {name}")
            if name in path:
                fail(f"dependency cycle through {name}")
            depends = self.services[name].get("depends_on") or []
            for dependency in (depends if isinstance(depends, list) else list(depends)):
                visit(dependency, path + [name])
            if name not in result:
                result.append(name)

        for name in names or list(self.services):
            visit(name, [])
        return result

    def bind_mounts(self, service):
        """(source, target, create_host_path) for each bind mount, short or long syntax."""
        mounts = []
        for volume in self.services[service].get("volumes") or []:
            if isinstance(volume, str):
                parts = volume.split(":")
                if len(parts) >= 2 and (parts[0].startswith("/") or parts[0].startswith(".")):
                    mounts.append((os.path.join(self.directory, parts[0]), parts[1], True))
            elif volume.get("type") == "bind":
                create = (volume.get("bind") or {}).get("create_host_path", True)
                mounts.append((os.path.join(self.directory, volume["source"]), volume["target"], create))
        return mounts

    def host_path(self, service, container_path):
        for source, target, _ in self.bind_mounts(service):
            if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
                return source + container_path[len(target):]
        return None

    def up(self, names, wait):
        running = simlib.read_state(CONTAINERS, {})
        for name in self.order(names):
            if name in running and process_alive(running[name]):
                continue
            service = self.services[name]
            for dependency, condition in dependency_conditions(service):
                if condition == "service_healthy" and not self.healthy(dependency):
                    fail(f"dependency failed to start: container timmy-node-{dependency}-1 is unhealthy")
            for env_file in env_files(service):
                if not os.path.exists(os.path.join(self.directory, env_file)):
                    fail(f"env file {env_file} not found")
            for source, target, create in self.bind_mounts(name):
                if not os.path.exists(source):
                    if not create:
                        fail(f"Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: {source}")
                    # What Docker does with a missing bind source: an empty directory, even where a file was meant.
                    os.makedirs(source, exist_ok=True)
                    simlib.record_call("docker-engine", ["created missing bind source", source], service=name)
            running[name] = self.start(name)
            simlib.write_state(CONTAINERS, running)
        return 0

    def start(self, name):
        if simlib.fail_step() == name and name == "lnbits":
            fail("Error response from daemon: forced failure (--fail-step lnbits)")
        log = open(os.path.join(simlib.OUT_DIR, f"{name}.log"), "ab")
        if name == "lnd":
            lnd_dir = self.host_path("lnd", "/root/.lnd")
            if lnd_dir is None:
                simlib.record_violation("compose", "the lnd service has no bind mount for /root/.lnd")
                fail("lnd has no data folder")
            command = [sys.executable, os.path.join(HERE, "fake_lnd.py"), "--lnd-dir", lnd_dir,
                       "--tls-dir", os.path.join(simlib.SIM_DIR, "tls"), "--spec", os.path.join(HERE, "..", "lnd-rest-spec.json")]
        elif name == "lnbits":
            files = env_files(self.services["lnbits"])
            if not files:
                simlib.record_violation("compose", "the lnbits service has no env_file")
                fail("lnbits has no env file")
            lnd_dir = self.host_path("lnd", "/root/.lnd") or ""
            env_file = os.path.join(self.directory, files[0])
            command = [sys.executable, os.path.join(HERE, "fake_lnbits.py"), "--env-file", env_file, "--lnd-dir", lnd_dir]
            cert = read_env_value(env_file, "LND_REST_CERT")
            if cert:
                command += ["--cert-host-path", self.host_path("lnbits", cert) or ""]
        else:
            # bitcoind: nothing listens; `exec … bitcoin-cli` answers for it.
            command = ["/usr/bin/sleep", "infinity"]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        return process.pid

    def healthy(self, name):
        """The service's healthcheck, as far as the sim can tell: LND's /v1/state answering."""
        if name != "lnd":
            return True
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for _ in range(150):
            try:
                reply = urllib.request.urlopen("https://127.0.0.1:8080/v1/state", context=context, timeout=2).read()
                if json.loads(reply).get("state") in ("RPC_ACTIVE", "SERVER_ACTIVE"):
                    return True
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        return False

    def stop(self, names):
        running = simlib.read_state(CONTAINERS, {})
        for name in list(running):
            if names and name not in names:
                continue
            stop_process(running.pop(name))
        simlib.write_state(CONTAINERS, running)
        return 0

    def exec(self, arguments):
        rest = list(arguments)
        while rest and rest[0].startswith("-"):
            option = rest.pop(0)
            if option in ("-u", "--user", "-w", "--workdir", "-e", "--env", "--index"):
                rest.pop(0)
        if not rest:
            fail("exec: no service")
        service, command = rest[0], rest[1:]
        running = simlib.read_state(CONTAINERS, {})
        if service not in running or not process_alive(running[service]):
            fail(f"service \"{service}\" is not running")
        if command[:1] == ["bitcoin-cli"]:
            if simlib.fail_step() == "bitcoind":
                fail("error: Could not connect to the server 127.0.0.1:8332 (forced failure: --fail-step bitcoind)")
            if "getblockchaininfo" in command:
                print(json.dumps({"chain": "main", "blocks": 0, "headers": 0, "verificationprogress": 0,
                                  "initialblockdownload": True, "pruned": True, "size_on_disk": 293}))
            return 0
        if command[:1] == ["lncli"]:
            print(json.dumps({"alias": "timmy", "synced_to_chain": False, "block_height": 0}))
            return 0
        return 0


def stop_process(pid):
    """As Docker stops a container: SIGTERM, then SIGKILL after a grace period (here 2 s;
    a caller may have SIGTERM blocked, and Swift test runners do). Returns once it is gone,
    so its port is free for the next start."""
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.05)


def validate_compose(document):
    import jsonschema  # python3-jsonschema
    with open(os.path.join(HERE, "..", "compose-spec.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft7Validator(schema)
    return sorted(f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
                  for error in validator.iter_errors(document))


def read_env_value(path, name):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            key, _, value = line.strip().partition("=")
            if key == name:
                return value
    return None


def dependency_conditions(service):
    depends = service.get("depends_on") or []
    if isinstance(depends, list):
        return [(name, "service_started") for name in depends]
    return [(name, (spec or {}).get("condition", "service_started")) for name, spec in depends.items()]


def env_files(service):
    value = service.get("env_file")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item if isinstance(item, str) else item["path"] for item in items]


def docker(arguments):
    if not arguments:
        fail("docker stand-in: no command")
    command, rest = arguments[0], arguments[1:]
    if simlib.fail_step() == "docker" and command != "compose":
        fail("Cannot connect to the Docker daemon at unix:///var/run/docker.sock (forced failure: --fail-step docker)")
    if command in ("--version", "version"):
        print("Docker version 28.3.3, build stand-in")
        return 0
    if command == "info":
        print("Server Version: 28.3.3 (stand-in)")
        return 0
    if command == "compose":
        return Compose(rest).run()
    if command == "pull":
        images = [a for a in rest if not a.startswith("-")]
        if simlib.fail_step() == "images":
            fail("Error response from daemon: toomanyrequests: You have reached your unauthenticated pull rate limit. "
                 "https://www.docker.com/increase-rate-limit (forced failure: --fail-step images)")
        pulled = simlib.read_state("images.json", [])
        for image in images:
            if image not in pulled:
                pulled.append(image)
            print(f"docker.io/{image}")
        simlib.write_state("images.json", pulled)
        return 0
    if command == "image" and rest[:1] == ["inspect"]:
        pulled = simlib.read_state("images.json", [])
        arguments = rest[1:]
        template = None
        if arguments[:1] in (["-f"], ["--format"]):
            template, arguments = arguments[1], arguments[2:]
        missing = [a for a in arguments if a not in pulled]
        if missing:
            fail(f"Error: No such image: {missing[0]}")
        for image in arguments:
            print(image_id(image) if template == "{{.Id}}" else json.dumps([{"Id": image_id(image), "RepoTags": [image]}]))
        return 0
    if command == "run":
        return docker_run(rest)
    fail(f"docker stand-in: unsupported command {command!r}")


def image_id(image):
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def docker_run(arguments):
    """One-off containers: `--entrypoint lnd IMAGE --version` prints LND's version (from
    the image's tag); `--entrypoint /verify-install.sh IMAGE vX` passes when X is that
    version. Anything else is refused, so a new use shows up here first."""
    entrypoint, rest = None, list(arguments)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option == "--entrypoint":
            entrypoint = rest.pop(0)
        elif option.startswith("--entrypoint="):
            entrypoint = option.split("=", 1)[1]
        elif option in ("-u", "--user", "-e", "--env", "-v", "--volume", "--network", "-w", "--workdir", "--name"):
            rest.pop(0)
    if not rest:
        fail("docker run: no image")
    image, command = rest[0], rest[1:]
    if image not in simlib.read_state("images.json", []):
        simlib.record_violation("docker", f"docker run {image} before it was pulled")
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    if simlib.fail_step() == "images":
        fail("forced failure (--fail-step images)")
    if entrypoint == "lnd" and command == ["--version"]:
        print(f"lnd version {tag.lstrip('v')} commit={tag}")
        return 0
    if entrypoint in ("/verify-install.sh", "verify-install.sh"):
        if command[:1] != [tag.replace("-beta", "").split("-")[0]] and command[:1] != [tag]:
            simlib.record_violation("docker", f"verify-install.sh {command} does not name the image's version {tag}")
            fail("verify-install.sh: version mismatch")
        print(f"Verified lnd and lncli against the {tag} release manifest (stand-in)")
        return 0
    fail(f"docker run stand-in: unsupported one-off container {entrypoint or ''} {image} {command}")


# ---- the rest ----

def tailscale(arguments):
    state = simlib.read_state("tailscale.json", {"up": False})
    command = arguments[0] if arguments else ""
    if command == "up":
        if simlib.fail_step() == "tailscale":
            fail("backend error: forced failure (--fail-step tailscale)")
        keys = [a.split("=", 1)[1] for a in arguments if a.startswith(("--authkey=", "--auth-key="))]
        if not any(key.startswith("tskey-") for key in keys):
            simlib.record_violation("tailscale", "tailscale up without a tskey- auth key")
        # timmyd's keys are one-off: the coordination server refuses one that has been used.
        used = state.setdefault("usedKeys", [])
        if any(key in used for key in keys):
            fail("backend error: invalid key: unable to validate API key")
        used.extend(keys)
        state["up"] = True
        simlib.write_state("tailscale.json", state)
        return 0
    if command == "ip":
        if not state["up"]:
            fail("NeedsLogin")
        print(TAILSCALE_IP)
        return 0
    if command == "status":
        print(f"{TAILSCALE_IP}  timmy  linux  -" if state["up"] else "Logged out.")
        return 0
    fail(f"tailscale stand-in: unsupported command {command!r}")


def ufw(arguments):
    if simlib.fail_step() == "firewall":
        fail("ERROR: forced failure (--fail-step firewall)")
    if arguments[:1] == ["status"]:
        print("Status: active")
    return 0


def systemctl(arguments):
    """Records; `enable` goes to the real systemctl (it only makes links, fine in a chroot);
    `--now`, `start` and `restart` need the unit to exist, as on a real system."""
    words = [a for a in arguments if not a.startswith("-")]
    if not words:
        return 0
    verb, units = words[0], words[1:]
    if verb in ("daemon-reload", "is-enabled", "status", "stop", "disable", "mask", "unmask"):
        return 0
    if verb == "is-active":
        print("active")
        return 0
    if verb in ("enable", "start", "restart", "reload-or-restart", "try-restart"):
        for unit in units:
            name = unit if "." in unit else unit + ".service"
            if not any(os.path.exists(os.path.join(d, name)) for d in ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")):
                fail(f"Failed to {verb} unit: Unit {name} not found.")
        if verb == "enable":
            real = subprocess.run(["/usr/bin/systemctl", "enable", *units], capture_output=True, text=True)
            if real.returncode != 0:
                fail(real.stderr.strip() or "systemctl enable failed")
        return 0
    fail(f"systemctl stand-in: unsupported verb {verb!r}")


def swapon(arguments):
    # Swap is not namespaced: the sim never turns it on, and reports none.
    return 0


def tailscaled(arguments):
    return 0


TOOLS = {"docker": docker, "tailscale": tailscale, "tailscaled": tailscaled, "ufw": ufw, "systemctl": systemctl,
         "swapon": swapon}


def main():
    tool, arguments = sys.argv[1], sys.argv[2:]
    simlib.record_call(tool, arguments)
    sys.exit(TOOLS[tool](arguments) or 0)


if __name__ == "__main__":
    main()
