#!/usr/bin/env python3
"""Turns the node's systemd unit (timmy-node.service) into the bash script a boot
runs: cd to WorkingDirectory, then each ExecStartPre and ExecStart in order; a
command prefixed with "-" may fail, any other failure stops the boot, as systemd
does. The sim runs it after "docker compose down" to play a reboot.
  boot_commands.py UNIT_FILE > boot.sh"""

import shlex
import sys

directory, commands = "/", []
section = ""
for raw in open(sys.argv[1], encoding="utf-8"):
    line = raw.strip()
    if line.startswith("["):
        section = line
        continue
    key, _, value = line.partition("=")
    if section != "[Service]" or not value:
        continue
    if key == "WorkingDirectory":
        directory = value
    elif key in ("ExecStartPre", "ExecStart"):
        commands.append(value)
print("#!/bin/bash")
print("set -u")
print(f"cd {shlex.quote(directory)} || exit 1")
for command in commands:
    if command.startswith("-"):
        print(f"{command[1:]} || true")
    else:
        print(f"{command} || exit $?")
