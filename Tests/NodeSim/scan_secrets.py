#!/usr/bin/env python3
"""Looks for each operator secret (one a line in SECRETS_FILE) in every regular
file of the node's root filesystem, the mounted data volume included, and in
every file name. Prints [{"secret": index, "file": path}] — never the secret
itself. Skips the kernel's file systems, the harness's own folder and the swap
file (it is never written)."""

import json
import os
import sys

root, secrets_file = sys.argv[1], sys.argv[2]
with open(secrets_file, "rb") as handle:
    secrets = [line.strip() for line in handle if line.strip()]
skip = {os.path.join(root, name) for name in ("proc", "sys", "dev", "run", "node-sim", "swapfile")}
hits = []
overlap = max((len(s) for s in secrets), default=0)
for folder, dirs, files in os.walk(root):
    dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
    for name in files + dirs:
        path = os.path.join(folder, name)
        if path in skip:
            continue
        for index, secret in enumerate(secrets):
            if secret in os.fsencode(name):
                hits.append({"secret": index, "file": os.path.relpath(path, root), "where": "name"})
        if name in dirs or not os.path.isfile(path) or os.path.islink(path):
            continue
        try:
            with open(path, "rb") as handle:
                tail = b""
                while secrets:
                    block = handle.read(1 << 20)
                    if not block:
                        break
                    window = tail + block
                    for index, secret in enumerate(secrets):
                        if secret in window and not any(h["secret"] == index and h["file"] == os.path.relpath(path, root) for h in hits):
                            hits.append({"secret": index, "file": os.path.relpath(path, root), "where": "content"})
                    tail = window[-overlap:]
        except OSError:
            continue
json.dump(hits, sys.stdout)
print()
