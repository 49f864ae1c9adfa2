#!/usr/bin/env python3
"""The oldest Rust the locked dependencies accept: the highest `rust-version` declared by any
dependency in Cargo.lock (every platform), compared with the root Cargo.toml's `rust-version`.

Usage: python3 .ci/rust-version.py   (exits 1 when Cargo.toml states less than the lock needs)
"""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def version_key(version):
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


metadata = json.loads(
    subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked"], cwd=ROOT
    )
)
declared = [
    (package["rust_version"], package["name"], package["version"])
    for package in metadata["packages"]
    # Our own crates inherit Cargo.toml's value; only the dependencies count.
    if package.get("rust_version") and package.get("source") is not None
]
needed = max(version_key(rust) for rust, _, _ in declared)
needed_text = ".".join(str(part) for part in needed).removesuffix(".0")
print(f"the locked dependencies need Rust {needed_text}, declared by:")
for rust, name, version in sorted(declared):
    if version_key(rust) == needed:
        print(f"  {name} {version}")

stated = re.findall(
    r'^rust-version\s*=\s*"([0-9.]+)"', (ROOT / "Cargo.toml").read_text(), re.M
)
print(f"Cargo.toml states: {', '.join(stated) or 'nothing'}")
if not stated or any(version_key(rust) < needed for rust in stated):
    print(f"Cargo.toml's rust-version is older than the lock needs ({needed_text})")
    sys.exit(1)
