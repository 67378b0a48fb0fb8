"""The committed gRPC stubs must be what `make protos` generates from protos/ now: the
services' internal stubs and the public client's."""

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["libs/protos/src", "libs/client/src"]


def _stubs(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*_pb2*.py*")}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stubs")
    subprocess.run(
        [str(ROOT / "scripts" / "gen_protos.sh"), str(out)],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
    )
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_committed_stubs_are_fresh(fresh, package):
    generated, committed_root = fresh / package, ROOT / package
    new, committed = _stubs(generated), _stubs(committed_root)
    assert new, f"nothing generated into {package}"
    assert new == committed, f"stub files differ in {package}: run `make protos`"
    stale = [
        str(p)
        for p in sorted(new)
        if not filecmp.cmp(generated / p, committed_root / p, shallow=False)
    ]
    assert not stale, f"stale stubs (run `make protos`): {stale}"
