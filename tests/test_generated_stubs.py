"""The committed gRPC stubs must be what `make protos` generates from protos/ now."""

import filecmp
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "libs" / "protos" / "src"


def _stubs(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*_pb2*.py*")}


def test_committed_stubs_are_fresh(tmp_path):
    subprocess.run(
        [str(ROOT / "scripts" / "gen_protos.sh"), str(tmp_path)],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
    )
    fresh, committed = _stubs(tmp_path), _stubs(COMMITTED)
    assert fresh == committed, "stub files differ: run `make protos`"
    stale = [
        str(p) for p in sorted(fresh) if not filecmp.cmp(tmp_path / p, COMMITTED / p, shallow=False)
    ]
    assert not stale, f"stale stubs (run `make protos`): {stale}"
