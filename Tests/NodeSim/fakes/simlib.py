"""What the simulated droplet's stand-ins and fakes share: where the run's
files are, how a call or a violation is recorded, and which step is forced
to fail. Standard library only: it runs on the sim's own python3."""

import json
import os
import time

# The harness's folder, bind-mounted into the sim; nothing of it stays in the rootfs.
SIM_DIR = os.environ.get("NODE_SIM_DIR", "/node-sim")
OUT_DIR = os.path.join(SIM_DIR, "out")
CALLS_LOG = os.path.join(OUT_DIR, "calls.jsonl")
VIOLATIONS_LOG = os.path.join(OUT_DIR, "violations.jsonl")


def fail_step():
    """The setup step the run forces to fail (`--fail-step`), or ""."""
    try:
        with open(os.path.join(SIM_DIR, "fail-step"), encoding="utf-8") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return ""


def append_json(path, record):
    """One JSON line, appended in a single write so concurrent writers never interleave."""
    line = json.dumps(record, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def record_call(tool, argv, **extra):
    append_json(CALLS_LOG, {"tool": tool, "argv": list(argv), "cwd": os.getcwd(), "time": time.time(), **extra})


def record_violation(source, reason, **extra):
    """Something the script did that the real service would refuse or that breaks the node: fails the run."""
    append_json(VIOLATIONS_LOG, {"source": source, "reason": reason, "time": time.time(), **extra})


def read_state(name, default):
    try:
        with open(os.path.join(OUT_DIR, name), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def write_state(name, value):
    path = os.path.join(OUT_DIR, name)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(value, handle, sort_keys=True)
    os.replace(path + ".tmp", path)
