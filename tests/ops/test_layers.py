"""Several layered locks compiled together on a real loopback index."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockctl.errors import InputError
from lockctl.index import IndexOptions
from lockctl.lockfiles import LockWriteOptions, read_lockfile
from lockctl.ops.commands import IndexRequest
from lockctl.ops.compile import CompileRequest
from lockctl.ops.inputs import parse_overrides
from lockctl.ops.layers import LayerConflict, compile_layers
from lockctl.resolver import TargetEnvironment
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

TARGET = TargetEnvironment.create(python_version="3.11", platform="linux_x86_64")


def _request(
    root: Path,
    name: str,
    index: str,
    overrides: tuple[str, ...] = (),
    group: str | None = None,
) -> CompileRequest:
    return CompileRequest(
        group=group,
        inputs=(root / f"{name}.in",),
        output=root / f"{name}.txt",
        target=TARGET,
        index=IndexRequest(options=IndexOptions(index_url=index), cache_dir=root / "cache"),
        extra_overrides=parse_overrides(overrides, ()),
        write=LockWriteOptions(
            python_version="3.11", custom_command="make locks", paths_relative_to=root
        ),
    )


def _versions(path: Path) -> dict[str, str]:
    return {str(k): str(v) for k, v in read_lockfile(path).versions().items()}


@pytest.fixture
def index(index_server: IndexServer) -> str:
    for version in ("2.0.3", "2.1.1", "2.2.0"):
        index_server.add(make_wheel("pandas", version, requires_dist=["numpy>=1.20"]))
    for version in ("1.24.0", "1.26.4"):
        index_server.add(make_wheel("numpy", version))
    index_server.add(make_wheel("mlflow", "3.4.0", requires_dist=["pandas<3", "numpy<2"]))
    index_server.add(make_wheel("tool", "1.0", requires_dist=["numpy"]))
    return index_server.simple_url


def test_layers_compile_lower_first_with_the_same_versions(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("pandas\n")
    (tmp_path / "mlflow.in").write_text("-r core.in\nmlflow==3.4.0\n")
    (tmp_path / "tools.in").write_text("tool\n")  # independent of both
    requests = [_request(tmp_path, n, index) for n in ("mlflow", "tools", "core")]
    compile_layers(requests, jobs=2)
    core, mlflow, tools = (_versions(tmp_path / f"{n}.txt") for n in ("core", "mlflow", "tools"))
    assert core == {"numpy": "1.26.4", "pandas": "2.2.0"}
    assert mlflow == {"mlflow": "3.4.0", "numpy": "1.26.4", "pandas": "2.2.0"}
    assert tools == {"numpy": "1.26.4", "tool": "1.0"}


def test_an_upper_layer_override_wins_over_a_lower_pin(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("pandas==2.0.3\n")
    (tmp_path / "mlflow.in").write_text("-r core.in\nmlflow==3.4.0\n")
    requests = [
        _request(tmp_path, "core", index),
        _request(tmp_path, "mlflow", index, overrides=("pandas==2.1.1",)),
    ]
    compile_layers(requests)
    assert _versions(tmp_path / "core.txt")["pandas"] == "2.0.3"
    text = (tmp_path / "mlflow.txt").read_text()
    assert "pandas==2.1.1\n" in text
    assert (
        "# override: `pandas==2.1.1` from the command line replaces `pandas<3` asked by mlflow,"
        " `pandas==2.0.3` asked by -r core.in\n" in text
    )


def test_disagreeing_layers_write_nothing(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("numpy>=1.26\n")
    (tmp_path / "mlflow.in").write_text("mlflow==3.4.0\nnumpy<1.25\n")  # independent, same wave
    (tmp_path / "all.in").write_text("-r core.in\ntool\n")
    (tmp_path / "core.txt").write_text("numpy==1.0\n")
    # Independent locks agree only when they are declared to be installed together.
    requests = [_request(tmp_path, n, index, group="app") for n in ("core", "mlflow")]
    with pytest.raises(LayerConflict) as caught:
        compile_layers(requests)
    assert "the layers disagree" in str(caught.value)
    assert (tmp_path / "core.txt").read_text() == "numpy==1.0\n"  # all or nothing
    assert not (tmp_path / "mlflow.txt").exists()
    # The fixes are data, each tried: relax either line, or let one lock keep its own numpy
    # requirement as an override for that lock only.
    fixes = {
        (fix.kind, str(fix.requirement), fix.location.line if fix.location else None, fix.lock)
        for fix in caught.value.fixes
    }
    assert fixes == {
        ("relax", "numpy>=1.26", 1, None),
        ("relax", "numpy<1.25", 2, None),
        ("override", "numpy>=1.26", None, tmp_path / "core.txt"),
        ("override", "numpy<1.25", None, tmp_path / "mlflow.txt"),
    }
    assert all(fix.checked for fix in caught.value.fixes)


def test_independent_locks_may_differ_unless_grouped(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("numpy>=1.26\n")
    (tmp_path / "mlflow.in").write_text("mlflow==3.4.0\nnumpy<1.25\n")
    compile_layers([_request(tmp_path, n, index) for n in ("core", "mlflow")])
    assert _versions(tmp_path / "core.txt")["numpy"] == "1.26.4"
    assert _versions(tmp_path / "mlflow.txt")["numpy"] == "1.24.0"


def test_an_upper_layer_narrows_the_lower_layers_pin(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("pandas\n")
    (tmp_path / "mlflow.in").write_text("-r core.in\nmlflow==3.4.0\nnumpy<1.25\n")
    compile_layers([_request(tmp_path, n, index) for n in ("core", "mlflow")])
    core, mlflow = _versions(tmp_path / "core.txt"), _versions(tmp_path / "mlflow.txt")
    assert core == {"numpy": "1.24.0", "pandas": "2.2.0"}  # decided by mlflow's numpy<1.25
    assert mlflow == {"mlflow": "3.4.0", "numpy": "1.24.0", "pandas": "2.2.0"}


def test_a_per_lock_override_differs_only_where_it_must(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("pandas==2.0.3\n")
    (tmp_path / "mlflow.in").write_text("-r core.in\nmlflow==3.4.0\n")
    (tmp_path / "all.in").write_text("-r mlflow.in\ntool\n")
    requests = [
        _request(tmp_path, "core", index),
        _request(tmp_path, "mlflow", index),
        _request(tmp_path, "all", index, overrides=("pandas==2.1.1",)),
    ]
    compile_layers(requests)
    core, mlflow, full = (_versions(tmp_path / f"{n}.txt") for n in ("core", "mlflow", "all"))
    assert core["pandas"] == mlflow["pandas"] == "2.0.3"
    assert full["pandas"] == "2.1.1"
    assert core["numpy"] == mlflow["numpy"] == full["numpy"] == "1.26.4"


def test_a_cycle_between_layers_is_bad_input(tmp_path: Path, index: str) -> None:
    (tmp_path / "a.in").write_text("pandas\n")
    (tmp_path / "b.in").write_text("-r a.in\n")
    requests = [_request(tmp_path, "a", index), _request(tmp_path, "b", index)]
    compile_layers(requests)  # a below b: fine
    (tmp_path / "a.in").write_text("-r b.in\n")
    with pytest.raises(InputError, match="cycle"):
        compile_layers(requests)


def test_two_upper_layers_narrow_a_shared_dependency_together(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("pandas\n")
    (tmp_path / "ml.in").write_text("-r core.in\nnumpy<1.27\n")
    (tmp_path / "etl.in").write_text("-r core.in\nnumpy<1.25\n")
    compile_layers([_request(tmp_path, n, index) for n in ("core", "ml", "etl")])
    versions = [_versions(tmp_path / f"{n}.txt")["numpy"] for n in ("core", "ml", "etl")]
    assert versions == ["1.24.0", "1.24.0", "1.24.0"]


def test_two_upper_layers_that_cannot_agree_are_named(tmp_path: Path, index: str) -> None:
    (tmp_path / "core.in").write_text("pandas\n")
    (tmp_path / "ml.in").write_text("-r core.in\nnumpy>=1.26\n")
    (tmp_path / "etl.in").write_text("-r core.in\nnumpy<1.25\n")
    requests = [_request(tmp_path, n, index) for n in ("core", "ml", "etl")]
    with pytest.raises(LayerConflict) as caught:
        compile_layers(requests)
    assert caught.value.locks == (tmp_path / "ml.txt", tmp_path / "etl.txt")
    per_lock = {(str(fix.requirement), fix.lock) for fix in caught.value.fixes if fix.lock}
    assert per_lock == {("numpy>=1.26", tmp_path / "ml.txt"), ("numpy<1.25", tmp_path / "etl.txt")}
    assert not list(tmp_path.glob("*.txt"))


def test_a_one_line_change_in_one_layer_changes_only_what_it_must(
    tmp_path: Path, index: str, index_server: IndexServer
) -> None:
    (tmp_path / "core.in").write_text("pandas\n")
    (tmp_path / "ml.in").write_text("-r core.in\nmlflow==3.4.0\n")
    requests = [_request(tmp_path, n, index) for n in ("core", "ml")]
    compile_layers(requests)
    before = {n: (tmp_path / f"{n}.txt").read_text() for n in ("core", "ml")}
    index_server.add(make_wheel("pandas", "2.3.0", requires_dist=["numpy>=1.20"]))  # newer
    (tmp_path / "ml.in").write_text("-r core.in\nmlflow==3.4.0\ntool\n")
    compile_layers(requests)
    assert (tmp_path / "core.txt").read_text() == before["core"]  # pandas stays at 2.2.0
    after = _versions(tmp_path / "ml.txt")
    assert after == {"mlflow": "3.4.0", "numpy": "1.26.4", "pandas": "2.2.0", "tool": "1.0"}
