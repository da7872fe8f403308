#!/usr/bin/env python3
"""Prints, as JSON, the values timmyd rendered into a node's user_data: the
`NAME='value'` lines of its header (before "# --- Fixed from here on"), read
as bash would read those single-quoted words. The script itself is never run
here, nor changed."""

import json
import re
import shlex
import sys

values = {}
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        if line.startswith("# --- Fixed from here on"):
            break
        match = re.match(r"^([A-Z][A-Z0-9_]*)=('.*')$", line.rstrip("\n"))
        if match:
            words = shlex.split(match.group(2))
            values[match.group(1)] = words[0] if words else ""
json.dump(values, sys.stdout, indent=1, sort_keys=True)
print()
