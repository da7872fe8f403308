#!/usr/bin/env python3
"""Prints {path: sha256 or link target, with mode} for what a node's setup makes:
/opt/timmy-node, /root, /etc (fstab, systemd, docker, apt sources) and the data
volume. Two snapshots, before and after a second run, show what it changed."""

import hashlib
import json
import os
import stat
import sys

root = sys.argv[1]
TREES = ["opt/timmy-node", "root", "etc/fstab", "etc/systemd/system", "etc/docker", "etc/apt/sources.list.d", "mnt/timmy-data", "swapfile"]
snapshot = {}
for tree in TREES:
    top = os.path.join(root, tree)
    paths = [top] if not os.path.isdir(top) or os.path.islink(top) else [
        os.path.join(folder, name) for folder, dirs, files in os.walk(top) for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]]
    for path in paths:
        if not os.path.lexists(path):
            continue
        info = os.lstat(path)
        relative = os.path.relpath(path, root)
        if stat.S_ISLNK(info.st_mode):
            snapshot[relative] = "-> " + os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256()
            if relative != "swapfile":
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
            snapshot[relative] = f"{stat.S_IMODE(info.st_mode):o} {digest.hexdigest()}"
json.dump(snapshot, sys.stdout, indent=1, sort_keys=True)
