"""How verify talks: "step N/M" rewritten in place on a terminal, a line per step in a log,
every build line with -v, nothing with -q; a failed build with its step and log."""

from __future__ import annotations

import io
from pathlib import Path

from lockctl.cli.verify_cmd import VerifyProgress, render_report
from lockctl.ops.verify import VerifyEvent
from lockctl.verify.dockerfile import Instruction
from lockctl.verify.report import BuildProgress, Phase, VerifyReport
from lockctl.verify.runtime import BuildFailure, BuildOutput, BuildStep

LOCK = Path("requirements.txt")
EVENTS: list[VerifyEvent] = [
    Phase(kind="build", lock=LOCK, subject="python:3.11-slim"),
    BuildProgress(
        lock=LOCK, event=BuildStep(number=1, total=2, instruction="FROM python:3.11-slim")
    ),
    BuildProgress(lock=LOCK, event=BuildOutput(line="Collecting app")),
    BuildProgress(
        lock=LOCK,
        event=BuildStep(number=2, total=2, instruction="RUN pip install -r requirements.txt"),
    ),
]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _show(stream: io.StringIO, *, quiet: bool = False, verbose: bool = False) -> str:
    progress = VerifyProgress(stream, quiet=quiet, verbose=verbose)
    for event in EVENTS:
        progress(event)
    progress.clear()
    return stream.getvalue()


def test_a_terminal_gets_one_line_rewritten_in_place() -> None:
    shown = _show(_Terminal())
    assert "\n" not in shown
    assert "\r\x1b[Krequirements.txt: step 2/2: RUN pip install" in shown
    assert shown.endswith("\r\x1b[K")  # cleared before the report


def test_a_log_gets_a_line_per_step_and_verbose_every_line() -> None:
    assert _show(io.StringIO()).splitlines() == [
        "requirements.txt: building on python:3.11-slim",
        "requirements.txt: step 1/2: FROM python:3.11-slim",
        "requirements.txt: step 2/2: RUN pip install -r requirements.txt",
    ]
    assert "requirements.txt:   | Collecting app" in _show(_Terminal(), verbose=True).splitlines()
    assert _show(_Terminal(), quiet=True) == ""


def test_a_failed_build_names_the_step_its_line_and_the_end_of_its_log() -> None:
    step = BuildStep(number=3, total=4, instruction="RUN pip install mlflow==3.4.0")
    report = VerifyReport(
        lock=LOCK,
        mode="project",
        sandbox="container",
        where="a container at tcp://127.0.0.1:2375 (DOCKER_HOST)",
        dockerfile=Path("Dockerfile"),
        build_failure=BuildFailure(
            step=step, message="returned a non-zero code: 1", log=("a", "b")
        ),
        failed_instruction=Instruction(
            keyword="RUN", arguments="pip install mlflow==3.4.0", line=7, text="RUN pip ..."
        ),
    )
    assert render_report(report).splitlines() == [
        "requirements.txt: verification failed (project image of Dockerfile; "
        "a container at tcp://127.0.0.1:2375 (DOCKER_HOST))",
        "  the build failed at step 3/4 (Dockerfile line 7): RUN pip install mlflow==3.4.0",
        "  returned a non-zero code: 1",
        "  the last 2 lines of the step's log:",
        "    | a",
        "    | b",
    ]
    assert report.to_dict()["build_failure"]["step"] == {
        "number": 3,
        "total": 4,
        "instruction": "RUN pip install mlflow==3.4.0",
    }


def test_credentials_in_an_index_url_are_never_shown() -> None:
    step = BuildStep(
        number=4,
        total=5,
        instruction="RUN PIP_INDEX_URL=https://ci:s3cret@index.example/simple/ pip install",
    )
    report = VerifyReport(
        lock=LOCK,
        mode="lock-only",
        sandbox="container",
        where="a container",
        build_failure=BuildFailure(step=step, message="exit 1"),
    )
    stream = io.StringIO()
    VerifyProgress(stream, quiet=False, verbose=True)(BuildProgress(lock=LOCK, event=step))
    for shown in (render_report(report), stream.getvalue()):
        assert "s3cret" not in shown and "ci:****@index.example" in shown
