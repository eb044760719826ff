"""generated/ must be exactly what `make proto` produces from proto/ (drift check)."""

import filecmp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_code_matches_the_protos(tmp_path):
    protos = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "proto").rglob("*.proto"))
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-Iproto", f"--python_out={tmp_path}",
         f"--pyi_out={tmp_path}", f"--grpc_python_out={tmp_path}", *protos],
        cwd=ROOT, check=True,
    )
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.py*"))
    committed = sorted(p.relative_to(ROOT / "generated") for p in (ROOT / "generated").rglob("*_pb2*.py*"))
    assert fresh == committed, "run `make proto`: generated files differ in name"
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, ROOT / "generated" / p, shallow=False)]
    assert stale == [], f"run `make proto`: stale generated code {stale}"
