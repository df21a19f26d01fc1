"""Fixtures of the Python package's tests: the CLI to compare with, and cases.

ctest runs these with /usr/bin/python3 -m pytest, PYTHONPATH pointing at the
built package, and INSOURCE_BINARY / INSOURCE_SOURCE_DIR set (python/CMakeLists.txt).
"""
import json
import os
import subprocess
import sys

import pytest

BINARY = os.environ.get("INSOURCE_BINARY", "build/bin/insource")
SOURCE_DIR = os.environ.get("INSOURCE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
GEN_CASES = os.path.join(SOURCE_DIR, "tools", "gen_cases.py")
BAD_CASE = {"id": "broken", "facts": {"cost": {"hours": -5, "internal_rate": 1, "external_rate": 1}}}


def generated(n, seed=1, malformed=0.0):
    """n cases of tools/gen_cases.py as JSON Lines bytes (a share `malformed` of them refused by the engine)."""
    argv = [sys.executable, GEN_CASES, str(n), "--seed", str(seed), "--malformed", str(malformed)]
    return subprocess.run(argv, capture_output=True, check=True, timeout=300).stdout


def cli(*args, stdin=None):
    """Runs the insource CLI; returns (exit status, stdout bytes, stderr text)."""
    r = subprocess.run([BINARY, *args], input=stdin, capture_output=True, timeout=300)
    return r.returncode, r.stdout, r.stderr.decode()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """100,000 generated cases, 0.2% of them malformed and two more bad lines among them."""
    lines = generated(100_000, seed=3, malformed=0.002).splitlines(keepends=True)
    lines[10_000] = (json.dumps(BAD_CASE) + "\n").encode()
    lines[70_000] = b"{not json\n"
    path = tmp_path_factory.mktemp("corpus") / "cases.jsonl"
    path.write_bytes(b"".join(lines))
    return path


@pytest.fixture(scope="session")
def engine():
    import insource
    return insource.Engine()
