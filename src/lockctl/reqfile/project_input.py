"""A project's own files as compile inputs: PEP 621 ``pyproject.toml`` and ``setup.cfg``.

pip-compile accepts ``pyproject.toml``, ``setup.cfg`` and ``setup.py`` as inputs and locks the
project's dependencies (``--extra``/``--all-extras`` add optional ones). pip-tools 7 reads a
``pyproject.toml`` statically when its ``[project]`` table declares them
(``maybe_statically_parse_project_metadata``) and builds everything else. lockctl reads both
``pyproject.toml`` and ``setup.cfg`` statically, the way their own specs define them (PEP 621,
setuptools' declarative config), and says ``NeedsProjectBuild`` for what only a build can
answer (``setup.py``, ``dynamic = ["dependencies"]``): building runs the project's code.

A project reads into a ``ProjectInput``: its name as written (pip-tools' ``# via`` shows
``name (path)``), every dependency with the line it is on and the extra it belongs to, and
the extras it declares. Extras are compared normalised (PEP 685).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import UsageError

from .model import RequirementsFile, SourceLine
from .project_model import NeedsProjectBuild, ProjectDependency, ProjectInput, read_text

__all__ = [
    "PROJECT_FILES",
    "NeedsProjectBuild",
    "ProjectDependency",
    "ProjectInput",
    "is_project_file",
    "project_from_metadata",
    "read_project_dir",
    "read_project_file",
    "read_project_input",
]

PROJECT_FILES = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})  # pip-tools' list


def is_project_file(path: Path) -> bool:
    """Whether pip-compile would read ``path`` as a project rather than a requirements file."""
    return path.name in PROJECT_FILES


def read_project_input(path: Path) -> ProjectInput:
    """The project ``path`` (a pyproject.toml, setup.cfg or setup.py) declares, read statically."""
    if path.name == "setup.py":
        raise NeedsProjectBuild(path, "setup.py declares its dependencies by running it")
    # The readers are imported here: `lockctl check` loads this module and rarely needs them.
    from .pyproject_input import read_pyproject
    from .setupcfg_input import read_setup_cfg

    text = read_text(path)
    if path.name == "setup.cfg":
        return read_setup_cfg(path, text)
    return read_pyproject(path, text)


def read_project_file(path: Path) -> RequirementsFile:
    """A project file's dependencies as requirement lines, for commands that never build."""
    try:
        return read_project_input(path).as_requirements_file()
    except NeedsProjectBuild as needed:
        raise UsageError(
            f"{path}: {needed.reason}; this command does not build projects",
            hint="lockctl compile --allow-build builds it to learn its dependencies",
        ) from None


def read_project_dir(directory: Path, *, shown: Path) -> ProjectInput:
    """The project in ``directory`` (an ``-e`` target): its pyproject.toml, else setup.cfg.

    ``shown`` is the directory as written, for messages.
    """
    from .pyproject_input import read_pyproject, toml_document
    from .setupcfg_input import read_setup_cfg

    pyproject = directory / "pyproject.toml"
    setup_cfg = directory / "setup.cfg"
    if pyproject.is_file():
        text = read_text(pyproject)
        if "project" in toml_document(pyproject, text):
            return read_pyproject(pyproject, text)
    if setup_cfg.is_file():
        return read_setup_cfg(setup_cfg, read_text(setup_cfg))
    if (directory / "setup.py").is_file():
        raise NeedsProjectBuild(directory, "its setup.py declares its dependencies by running it")
    if pyproject.is_file():
        raise NeedsProjectBuild(directory, "its pyproject.toml has no [project] table")
    raise UsageError(
        f"{shown} is not a Python project: it has no pyproject.toml, setup.cfg or setup.py",
        hint="give -e the directory that holds the project's pyproject.toml",
    )


def project_from_metadata(
    path: Path, name: str, requires_dist: Sequence[Requirement], provides_extra: Sequence[str]
) -> ProjectInput:
    """A built project's core metadata as a ``ProjectInput`` (``Requires-Dist`` lines).

    As pip-tools does with a built project, each requirement keeps its marker minus the
    ``extra == ...`` clauses (``drop_extras``); the extra becomes the dependency's group.
    """
    extras = tuple(dict.fromkeys(canonicalize_name(extra) for extra in provides_extra))
    source = SourceLine(path=path, line=1, end_line=1, text=path.name)
    dependencies: list[ProjectDependency] = []
    for requirement in requires_dist:
        extra = _extra_of(requirement)
        dependencies.append(
            ProjectDependency(
                requirement=_without_extra_marker(requirement) if extra else requirement,
                source=source,
                extra=extra,
            )
        )
    return ProjectInput(path=path, name=name, dependencies=tuple(dependencies), extras=extras)


_EXTRA_CLAUSE = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _extra_of(requirement: Requirement) -> NormalizedName | None:
    if requirement.marker is None:
        return None
    match = _EXTRA_CLAUSE.search(str(requirement.marker))
    return None if match is None else canonicalize_name(match[1])


def _without_extra_marker(requirement: Requirement) -> Requirement:
    """The requirement with the ``and extra == "x"`` part of its marker removed.

    Build backends write ``dep; (marker) and extra == "x"`` (setuptools, hatchling,
    flit); other shapes keep no marker, which is what pip-tools' ``drop_extras`` keeps of
    ``extra == "x"`` alone.
    """
    assert requirement.marker is not None
    marker = str(requirement.marker)
    rest = _EXTRA_CLAUSE.sub("", marker).strip()
    rest = re.sub(r"^(and|or)\s+|\s+(and|or)$", "", rest).strip()
    if rest.startswith("(") and rest.endswith(")") and rest.count("(") == 1:
        rest = rest[1:-1].strip()
    copy = Requirement(str(requirement))
    copy.marker = None
    if not rest:
        return copy
    try:
        return Requirement(f"{copy}; {rest}")
    except InvalidRequirement:
        return copy
