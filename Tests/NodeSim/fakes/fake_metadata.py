#!/usr/bin/env python3
"""DigitalOcean's droplet metadata service (http://169.254.169.254/metadata/v1/),
as much of it as a node's setup reads: the public IPv4 address. Other paths are
404, as the real service answers paths it does not have."""

import argparse
import os
import sys
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simlib  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--public-ip", required=True)
    parser.add_argument("--hostname", required=True)
    arguments = parser.parse_args()
    answers = {
        "/metadata/v1/interfaces/public/0/ipv4/address": arguments.public_ip,
        "/metadata/v1/hostname": arguments.hostname,
    }

    def respond(method, path, headers, body):
        answer = answers.get(path) if method == "GET" else None
        return (200, answer.encode(), None) if answer else (404, b"not found", None)

    ThreadingHTTPServer(("169.254.169.254", 80), simlib.json_handler("metadata", respond)).serve_forever()


if __name__ == "__main__":
    main()
