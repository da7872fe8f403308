#!/usr/bin/env python3
"""The simulated droplet's verdict: reads what the sim recorded (WORK/sim/out)
and the root filesystem it left (WORK/rootfs), prints one line per check —
PASS, FAIL (with why) or SKIP (with why: the script does not have that feature
yet) — and exits 1 if any check failed.

Checks that depend on a feature of the script (setup reports, the failure
marker, LNbits' first install, the channel backup) look for that feature in
the user_data first, so the harness keeps working as the script grows."""

import json
import os
import re
import stat
import subprocess
import sys

STEPS = ["packages", "docker", "tailscale", "firewall", "storage", "images", "bitcoind", "lnd", "lnbits", "complete"]
DATA_MOUNT = "/mnt/timmy-data"

work = sys.argv[1]
rootfs = os.path.join(work, "rootfs")
sim = os.path.join(work, "sim")
out = os.path.join(sim, "out")
here = os.path.dirname(os.path.abspath(__file__))
results = []


def record(status, name, detail=""):
    results.append((status, name, detail))
    print(f"{status:4} {name}" + (f": {detail}" if detail else ""), flush=True)


def check(name, ok, detail=""):
    record("PASS" if ok else "FAIL", name, "" if ok else detail)


def skip(name, why):
    record("SKIP", name, why)


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return default


def read_json(path, default):
    text = read(path, None)
    return json.loads(text) if text else default


def read_lines(path):
    return [json.loads(line) for line in read(path).splitlines() if line.strip()]


inputs = read_json(os.path.join(sim, "inputs.json"), {})
userdata = read(os.path.join(rootfs, "var/lib/cloud/instance/scripts/part-001"))
fail_step = read(os.path.join(sim, "fail-step")).strip()
calls = read_lines(os.path.join(out, "calls.jsonl"))
violations = read_lines(os.path.join(out, "violations.jsonl"))
run1 = read(os.path.join(out, "run1.status")).strip()
run2 = read(os.path.join(out, "run2.status"), None)
lnd = read_json(os.path.join(out, "lnd-state.json"), {})
lnbits = read_json(os.path.join(out, "lnbits-state.json"), {})
volume_gb = int(inputs.get("VOLUME_GB") or 0)

# --- The script's exit ---
if fail_step:
    check(f"with --fail-step {fail_step} the script exits non-zero", run1 not in ("", "0"), f"exit {run1 or 'unknown'}")
    if "setup-failed" in userdata:
        check("a failed setup leaves /opt/timmy-node/setup-failed",
              os.path.exists(os.path.join(rootfs, "opt/timmy-node/setup-failed")))
    else:
        skip("a failed setup leaves /opt/timmy-node/setup-failed", "the script writes no setup-failed marker yet")
    check("a failed setup does not claim completion", not os.path.exists(os.path.join(rootfs, "opt/timmy-node/setup-complete")))
else:
    check("the script exits 0", run1 == "0", f"exit {run1 or 'unknown'}")
    check("a second run of the same script exits 0", run2 is not None and run2.strip() == "0",
          "not run" if run2 is None else f"exit {run2.strip()}")
    check("setup-complete is written", os.path.exists(os.path.join(rootfs, "opt/timmy-node/setup-complete")))

# --- The volume ---
if volume_gb > 0:
    formats = [c for c in calls if c["tool"] == "mkfs.ext4"]
    uuid1 = read(os.path.join(out, "uuid-after-run1")).strip()
    uuid2 = read(os.path.join(out, "uuid-after-run2"), None)
    reached_storage = bool(uuid1) or fail_step not in ("", "packages", "docker", "firewall")
    if fail_step and not reached_storage:
        skip("the volume", f"setup stopped at {fail_step}, before the volume")
    else:
        check("the volume is formatted exactly once", len(formats) == 1, f"{len(formats)} mkfs.ext4 calls")
        check("the volume has a file system", bool(uuid1), "no UUID after the first run")
        if uuid2 is not None:
            check("a second run does not re-format (same UUID)", uuid2.strip() == uuid1, f"{uuid1} then {uuid2.strip()}")
        fstab = read(os.path.join(rootfs, "etc/fstab")).splitlines()
        lines = [line for line in fstab if line.split()[1:2] == [DATA_MOUNT]]
        check("fstab mounts the volume by UUID, once",
              len(lines) == 1 and lines[0].split()[0] == f"UUID={uuid1}", f"fstab lines for {DATA_MOUNT}: {lines}")
        if lines:
            check("the fstab entry has nofail (a missing volume never blocks boot)", "nofail" in lines[0].split()[3].split(","))
        mounts = read_json(os.path.join(out, "data-mount.json"), {}).get("filesystems", [])
        check(f"the volume is mounted at {DATA_MOUNT}", len(mounts) == 1 and mounts[0]["fstype"] == "ext4",
              f"findmnt: {mounts}")
else:
    skip("the volume", "the plan has no volume (VOLUME_GB=0)")

# --- LND's wallet ---
if not fail_step or fail_step in ("lnbits",):
    check("the wallet is made once: one genseed, one initwallet",
          lnd.get("genseed") == 1 and lnd.get("initwallet") == 1,
          f"genseed {lnd.get('genseed')}, initwallet {lnd.get('initwallet')}")
    check("LND's admin.macaroon is where LNbits looks for it",
          os.path.exists(os.path.join(rootfs, "opt/timmy-node/lnd/data/chain/bitcoin/mainnet/admin.macaroon")))

# --- The buyer's credentials ---
credentials_path = os.path.join(rootfs, "root/node-credentials.txt")
if os.path.exists(credentials_path):
    info = os.stat(credentials_path)
    check("/root/node-credentials.txt is 0600 and root's",
          stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == 0, f"mode {stat.S_IMODE(info.st_mode):o}, uid {info.st_uid}")
    text = read(credentials_path)
    seed = lnd.get("seed") or []
    if seed:
        words = re.findall(r"^\s*\d+\.\s+(\S+)\s*$", text, re.M)
        check("the credentials hold the 24-word seed, in order", words == seed, f"{len(words)} numbered words found")
    elif not fail_step:
        check("the credentials hold the 24-word seed", False, "no wallet was made")
    stopped = f"setup stopped at {fail_step}" if fail_step else ""
    if "FIRST_INSTALL_TOKEN" in userdata and not fail_step:
        username = lnbits.get("username")
        check("the credentials hold the LNbits admin login", bool(username) and username in text,
              "no LNbits first install" if not username else "user name not in the file")
    else:
        skip("the credentials hold the LNbits admin login", stopped or "the script does not do LNbits' first install yet")
    if "channel.backup" in userdata and not fail_step:
        check("the credentials name the channel.backup path", "channel.backup" in text)
    else:
        skip("the credentials name the channel.backup path", stopped or "the script does not mention channel.backup yet")
elif not fail_step:
    check("/root/node-credentials.txt exists", False)

# --- LNbits' first install ---
if "FIRST_INSTALL_TOKEN" in userdata and not fail_step:
    check("LNbits' first install was done with the token", lnbits.get("firstInstall") is False and lnbits.get("attempts", 0) >= 1,
          f"state {lnbits}")
    env = read(os.path.join(rootfs, "opt/timmy-node/lnbits/lnbits.env"))
    check("lnbits.env carries FIRST_INSTALL_TOKEN", "FIRST_INSTALL_TOKEN=" in env)
else:
    skip("LNbits' first install", f"setup stopped at {fail_step}" if fail_step else "the script does not set FIRST_INSTALL_TOKEN yet")

# --- No operator secret anywhere on the node ---
hits = read_json(os.path.join(out, "secret-hits.json"), None)
secrets_given = bool(read(os.path.join(sim, "secrets")).strip())
if hits is None:
    check("no operator secret on the node", False, "the scan did not run")
elif not secrets_given:
    skip("no operator secret on the node", "no --secrets file given")
else:
    check("no operator secret on the node (whole rootfs and volume)", not hits,
          ", ".join(f"secret #{h['secret']} in {h['where']} of /{h['file']}" for h in hits))

# --- The compose file ---
compose_path = os.path.join(rootfs, "opt/timmy-node/docker-compose.yml")
if os.path.exists(compose_path):
    import jsonschema
    import yaml
    with open(compose_path, encoding="utf-8") as handle:
        compose = yaml.safe_load(handle)
    with open(os.path.join(here, "compose-spec.json"), encoding="utf-8") as handle:
        schema = json.load(handle)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(compose)]
    check("the compose file passes the Compose Specification schema", not problems, "; ".join(problems))
    open_ports = []
    for name, service in (compose.get("services") or {}).items():
        for port in service.get("ports") or []:
            text = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}:{port.get('target')}"
            host_ip = text.rsplit(":", 2)[0] if text.count(":") >= 2 else ""
            if host_ip in ("", "0.0.0.0", "::") and not text.endswith((":8333", ":9735")):
                open_ports.append(f"{name} {text}")
            if name == "lnbits" and host_ip not in ("127.0.0.1",) and not host_ip.startswith("100."):
                open_ports.append(f"{name} {text}")
    check("only 8333 and 9735 are published beyond loopback/tailnet", not open_ports, ", ".join(open_ports))
elif not fail_step:
    check("the compose file exists", False)

# --- Bind sources Docker had to invent: a missing file becomes an empty directory ---
# A missing folder made by Docker is harmless (root-owned, empty); a missing file
# (a certificate, a macaroon) turned into a folder breaks the container for good.
invented = [c["argv"][1] for c in calls if c["tool"] == "docker-engine"]
file_like = [path for path in invented if "." in os.path.basename(path)]
check("no bind-mounted file was missing when its container started", not file_like,
      "Docker would create these as empty directories: " + ", ".join(file_like))
for path in sorted(set(invented) - set(file_like)):
    record("NOTE", f"Docker created the missing bind-mount folder {path}")

# --- systemd units ---
units = sorted(name for name in os.listdir(os.path.join(rootfs, "etc/systemd/system"))
               if name.endswith(".service") and name.startswith("timmy")
               and os.path.isfile(os.path.join(rootfs, "etc/systemd/system", name)))
if units:
    verify = subprocess.run(["systemd-analyze", "verify", f"--root={rootfs}", "--man=no", "--recursive-errors=no",
                             *[f"/etc/systemd/system/{u}" for u in units]], capture_output=True, text=True)
    check(f"systemd-analyze verify {' '.join(units)}", verify.returncode == 0 and not verify.stderr.strip(),
          (verify.stdout + verify.stderr).strip().replace("\n", " | "))
    link = os.path.join(rootfs, "etc/systemd/system/multi-user.target.wants/timmy-node.service")
    enabled = os.path.islink(link) and os.readlink(link) == "/etc/systemd/system/timmy-node.service"
    check("timmy-node.service is enabled (multi-user.target wants it)", enabled)
elif not fail_step:
    check("the node's systemd unit exists", False)

# --- Defects found in earlier scripts, checked once the script has its failure marker ---
new_generation = "setup-failed" in userdata
lnd_conf = read(os.path.join(rootfs, "opt/timmy-node/lnd/lnd.conf"))
if lnd.get("wallet") and lnd_conf:
    name = "lnd.conf no longer lets LND make a new wallet once one exists (wallet-unlock-allow-create)"
    if new_generation:
        check(name, "wallet-unlock-allow-create" not in lnd_conf)
    else:
        skip(name, "known defect of this script generation")
if volume_gb > 0 and not fail_step:
    name = "docker.service waits for the data volume (RequiresMountsFor)"
    drop_in_dir = os.path.join(rootfs, "etc/systemd/system/docker.service.d")
    drop_ins = "".join(read(os.path.join(drop_in_dir, f)) for f in sorted(os.listdir(drop_in_dir))) if os.path.isdir(drop_in_dir) else ""
    if new_generation:
        check(name, re.search(rf"^RequiresMountsFor=.*{re.escape(DATA_MOUNT)}", drop_ins, re.M) is not None, f"drop-ins: {drop_ins!r}")
        verify = subprocess.run(["systemd-analyze", "verify", f"--root={rootfs}", "--man=no", "--recursive-errors=no", "docker.service"],
                                capture_output=True, text=True)
        check("systemd-analyze verify docker.service with its drop-ins", verify.returncode == 0 and not verify.stderr.strip(),
              (verify.stdout + verify.stderr).strip().replace("\n", " | "))
    else:
        skip(name, "known defect of this script generation")

# --- LND announces the droplet's public address (from the metadata service) ---
public_ip = read(os.path.join(sim, "public-ip")).strip()
if lnd_conf_text := read(os.path.join(rootfs, "opt/timmy-node/lnd/lnd.conf")):
    check("lnd.conf announces the public address from the droplet metadata (externalip)",
          re.search(rf"^externalip={re.escape(public_ip)}:9735$", lnd_conf_text, re.M) is not None,
          "no externalip line for " + public_ip)

# --- The tailnet: joined once, with the one-off key ---
if inputs.get("TS_AUTHKEY") and fail_step not in ("packages", "docker"):
    ups = [c["argv"] for c in calls if c["tool"] == "tailscale" and c["argv"][:1] == ["up"]]
    check("the node joins the tailnet once (a second run keeps it; the one-off key is spent)", len(ups) == 1,
          f"{len(ups)} tailscale up calls")

# --- The firewall: incoming denied but for SSH and the two P2P ports ---
ufw_calls = [c["argv"] for c in read_lines(os.path.join(out, "calls-after-run1.jsonl")) or calls if c["tool"] == "ufw"]
if ufw_calls:
    allowed = sorted({" ".join(argv[1:]) for argv in ufw_calls if argv[:1] == ["allow"]})
    extra = [rule for rule in allowed if rule not in ("22/tcp", "8333/tcp", "9735/tcp") and "tailscale0" not in rule]
    check("ufw denies incoming, allows only 22, 8333 and 9735 (and the tailnet), and is enabled",
          ["default", "deny", "incoming"] in ufw_calls and ["--force", "enable"] in ufw_calls and not extra,
          f"allowed: {allowed}; calls: {ufw_calls}")
elif not fail_step:
    check("ufw is set up", False, "no ufw call")

# --- The node's own secrets stay out of the setup log and off command lines ---
# (command lines are visible to every user in /proc; the log is kept on the node and may be shared)
node_secrets = {}
for line in read(os.path.join(rootfs, "opt/timmy-node/secrets.env")).splitlines():
    name, _, value = line.partition("=")
    if value:
        node_secrets[name] = value
if inputs.get("REPORT_TOKEN"):
    node_secrets["REPORT_TOKEN"] = inputs["REPORT_TOKEN"]
setup_log = read(os.path.join(rootfs, "var/log/timmy-node-setup.log"))
argv_text = "\n".join(" ".join(c["argv"]) for c in calls)
if node_secrets:
    leaks = [f"{name} in the setup log" for name, value in node_secrets.items() if value in setup_log]
    leaks += [f"{name} on a command line" for name, value in node_secrets.items() if value in argv_text]
    seed = lnd.get("seed") or []
    if len(seed) >= 3 and re.search(r"\b" + r"\W+".join(map(re.escape, seed[:3])) + r"\b", setup_log):
        leaks.append("the seed in the setup log")
    check("no node password, token or seed in the setup log or on a command line", not leaks, ", ".join(leaks))

# --- The fakes saw nothing wrong ---
check("no violation seen by the fake LND, LNbits, compose, Tailscale or report endpoint", not violations,
      "; ".join(f"[{v['source']}] {v['reason']}" for v in violations))

# --- After a reboot ---
boot = read(os.path.join(out, "boot.status"), None)
if boot is not None:
    check("after a reboot timmy-node.service's commands succeed", boot.strip() == "0",
          f"exit {boot.strip()}: " + read(os.path.join(out, "boot.log"))[-500:].replace("\n", " | "))
    ps = read(os.path.join(out, "boot-ps.txt"))
    down = [name for name in ("bitcoind", "lnd", "lnbits") if not re.search(rf"-{name}-1 .* running$", ps, re.M)]
    check("after a reboot bitcoind, LND and LNbits run again", not down, f"not running: {down}")
    state = read_json(os.path.join(out, "boot-lnd-state.json"), {}).get("state")
    check("after a reboot LND unlocks its wallet from the password file", state == "SERVER_ACTIVE", f"LND state {state}")
elif not fail_step:
    skip("after a reboot", "the setup did not finish twice")

# --- A second run changes nothing ---
before = read_json(os.path.join(out, "snapshot-after-run1.json"), None)
after = read_json(os.path.join(out, "snapshot-after-run2.json"), None)
if before is not None and after is not None:
    # setup-complete holds the time of the last run; reports/ is the report queue's bookkeeping.
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p) and p != "opt/timmy-node/setup-complete"
                     and not p.startswith("opt/timmy-node/reports/"))
    check("a second run changes no file the first one made", not changed, ", ".join(changed))

# --- Setup reports ---
target = read_json(os.path.join(out, "report-target.json"), None)
if not inputs.get("REPORT_URL"):
    skip("setup reports", "the script has no REPORT_URL")
elif target is None or not target.get("serve"):
    skip("setup reports", (target or {}).get("why", "no report target"))
elif target.get("toTimmyd"):
    skip("setup reports", "they went through nginx to timmyd; its job status shows them (node.setup)")
else:
    for run in (1, 2):
        if run == 2 and run2 is None:
            continue
        sequence = [(r["step"], r["state"]) for r in read_lines(os.path.join(out, f"reports-run{run}.jsonl"))]
        indexes = [STEPS.index(step) for step, _ in sequence]
        check(f"run {run}: reports arrived, in step order", bool(sequence) and indexes == sorted(indexes), f"{sequence}")
        if fail_step:
            check(f"run {run}: the last report is {fail_step} failed", sequence[-1:] == [(fail_step, "failed")],
                  f"{sequence[-1:] or 'none'}")
        else:
            done = [step for step, state in sequence if state == "done"]
            check(f"run {run}: every step reported running then done, complete last",
                  done == STEPS and sequence[-1:] == [("complete", "done")]
                  and all(sequence.index((step, "running")) < sequence.index((step, "done")) for step in STEPS
                          if (step, "running") in sequence),
                  f"{sequence}")

failed = [r for r in results if r[0] == "FAIL"]
counted = [r for r in results if r[0] != "NOTE"]
print(f"node-sim: {len(counted) - len(failed)} of {len(counted)} checks passed or skipped, {len(failed)} failed")
if failed:
    for run, name in ((1, "first"), (2, "second")):
        log = read(os.path.join(out, f"run{run}.log"), None)
        status = read(os.path.join(out, f"run{run}.status")).strip()
        if log is not None and (run == 1 or status != "0"):
            print(f"---- last lines of the {name} run's output (exit {status}) ----")
            print("\n".join(log.splitlines()[-25:]))
sys.exit(1 if failed else 0)
