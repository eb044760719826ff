"""Lint is part of the suite, so CI enforces it: ruff on the code, buf on the protos."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUF = ROOT / "node_modules" / ".bin" / "buf"


def test_python_code_passes_ruff():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "services", "migrations",
                             "tests", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_protos_pass_buf_lint():
    if not BUF.exists():
        if shutil.which("npm") is None:
            pytest.fail("buf is needed: install Node.js/npm, then `make lint` installs buf")
        subprocess.run(["make", "node_modules/.bin/buf"], cwd=ROOT, check=True)
    result = subprocess.run([str(BUF), "lint"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
