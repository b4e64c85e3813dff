"""``lockctl compile``: run the plan that ``ops.plan`` makes, and say what was written."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from lockctl.atomic import write_atomically
from lockctl.cli.figures import render_figures
from lockctl.cli.progress import Progress
from lockctl.cli.render import event_reporter
from lockctl.ops.commands import CompileCommand
from lockctl.ops.compile import CompileResult
from lockctl.ops.layers import compile_all
from lockctl.ops.plan import CompilePlan, plan_compile, unused_names
from lockctl.reqfile import shown_path
from lockctl.tracing import Tracer

__all__ = ["run_compile"]


def run_compile(command: CompileCommand, out: TextIO, *, quiet: bool, verbose: bool) -> int:
    progress = Progress(enabled=not quiet and sys.stderr.isatty())

    report = event_reporter(verbose=verbose, write=progress.print, quiet=quiet)
    tracer = Tracer(spans=command.timings is not None)
    command = replace(command, index=replace(command.index, tracer=tracer, linger=True))

    plan = plan_compile(command, Path.cwd())
    try:
        with progress:
            results = compile_all(
                plan.requests, jobs=command.jobs, reporter=report, on_progress=progress.update
            )
    finally:
        # A slow or failed compile is exactly the one worth a look.
        if command.timings is not None:
            write_atomically(command.timings, json.dumps(tracer.chrome_trace()) + "\n")
        if verbose:
            progress.print(render_figures(tracer.figures()))
    done = [
        (request.output, result)
        for request, result in zip(plan.requests, results, strict=True)
        if request.chosen
    ]
    _show(command, plan, done, out=out, quiet=quiet)
    for unused in unused_names(plan, [result.resolution for result in results]):
        if unused.where is not None:
            named = f"the {unused.option} {unused.requirement} ({unused.where})"
        else:
            named = f"--{unused.option} {unused.requirement}"
        progress.print(f"warning: {named} names a project that no lock uses")
    return 0


def _show(
    command: CompileCommand,
    plan: CompilePlan,
    done: list[tuple[Path, CompileResult]],
    *,
    out: TextIO,
    quiet: bool,
) -> None:
    for output, result in done:
        if command.dry_run:
            if len(done) > 1:
                out.write(f"# ==> {output} <==\n")
            out.write(result.text)
        elif not quiet:
            print(
                f"wrote {shown_path(output)} ({len(result.resolution.pins)} pins, "
                f"{plan.target.describe()})",
                file=sys.stderr,
            )
