"""Lint is part of the suite, so CI enforces it: ruff on the code, buf on the protos."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUF = Path(sys.executable).with_name("buf")  # the buf-bin wheel's, beside this interpreter


def test_python_code_passes_ruff():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "services", "migrations",
                             "tests", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_protos_pass_buf_lint():
    if not BUF.exists():
        pytest.fail(f"{BUF} is missing: `pip install -e '.[dev]'` installs it (buf-bin)")
    result = subprocess.run([str(BUF), "lint"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
