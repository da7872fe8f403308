#!/usr/bin/env python3
"""Where the sim can receive the node's setup reports: REPORT_URL from the
rendered inputs, if it is plain http to a loopback address (the sim has no other
network). Prints {"serve": bool, "port", "path", "why", "toTimmyd"}; with
--to-timmyd the reports go through nginx to a real timmyd, not to the recorder."""

import json
import sys
from urllib.parse import urlsplit

inputs = json.load(open(sys.argv[1], encoding="utf-8"))
url = urlsplit(inputs.get("REPORT_URL", ""))
result = {"serve": False, "url": inputs.get("REPORT_URL", ""), "toTimmyd": "--to-timmyd" in sys.argv[2:]}
if url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost"):
    result.update(serve=True, port=url.port or 80, path=url.path)
else:
    result["why"] = "REPORT_URL is not http to a loopback address; the sim can reach nothing else"
json.dump(result, sys.stdout)
