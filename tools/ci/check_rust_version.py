#!/usr/bin/env python3
"""Checks that the workspace's `rust-version` is true of its dependencies.

Every library dependency (normal and build, not dev) states the oldest rustc
it supports; none may need more than the workspace's `rust-version`. Together
with clippy's `incompatible_msrv` lint (which `.ci/run` runs with warnings as
errors, and which rejects std APIs newer than `rust-version`), this verifies
the stated minimum without a second toolchain.
"""
import json
import subprocess
import sys


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    members = set(meta["workspace_members"])
    ours = {packages[i]["rust_version"] for i in members}
    if len(ours) != 1 or None in ours:
        sys.exit(f"workspace members disagree on rust-version: {sorted(map(str, ours))}")
    ours = ours.pop()
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    seen, stack = set(), list(members)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        for dep in nodes[i]["deps"]:
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                stack.append(dep["pkg"])
    too_new = sorted(
        (packages[i]["name"], packages[i]["version"], packages[i]["rust_version"])
        for i in seen - members
        if packages[i].get("rust_version")
        and version(packages[i]["rust_version"]) > version(ours)
    )
    if too_new:
        for name, v, needs in too_new:
            print(f"{name} {v} needs rustc {needs}, above rust-version {ours}")
        sys.exit(1)
    print(f"rust-version {ours}: every library dependency supports it ({len(seen - members)} checked)")


if __name__ == "__main__":
    main()
