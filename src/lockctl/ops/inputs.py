"""Turn inputs (``.in`` files, stdin, project files), ``--override`` texts and override files
into root requirements.

pip-compile's inputs: requirements files, ``-`` for stdin, and a project's ``pyproject.toml``,
``setup.cfg`` or ``setup.py`` (its dependencies, with ``--extra``/``--all-extras`` its optional
ones); an ``-e path`` line in a requirements file brings in a local project's dependencies.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import RequirementsFileError, UsageError
from lockctl.reqfile import IncludeEntry, RequirementEntry, RequirementsFile, parse_file, parse_text
from lockctl.reqfile.project_input import (
    NeedsProjectBuild,
    ProjectInput,
    is_project_file,
    read_project_dir,
    read_project_input,
)
from lockctl.resolver import Origin, RootRequirement
from lockctl.resolver.models import EditableProject

__all__ = [
    "STDIN",
    "CompileInputs",
    "ProjectBuilder",
    "included_files",
    "parse_overrides",
    "read_inputs",
]

STDIN = Path("-")  # pip-compile reads requirements from stdin for an input named "-"

# Builds the project in a directory and reads its metadata (runs its code: --allow-build).
ProjectBuilder = Callable[[Path, Path], ProjectInput]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileInputs:
    files: tuple[RequirementsFile, ...]
    roots: tuple[RootRequirement, ...]  # requirements and -c constraints, in file order
    pre: bool  # a --pre line in any input file
    editables: tuple[EditableProject, ...] = ()  # -e lines: written as they are, not resolved


def read_inputs(
    paths: Sequence[Path],
    constraints: Sequence[Path] = (),
    *,
    extras: Sequence[str] = (),
    all_extras: bool = False,
    build: ProjectBuilder | None = None,
) -> CompileInputs:
    """The requirements of ``paths`` and, as constraints, of ``constraints``.

    ``-c FILE`` on the command line: pip-compile reads them as pip's ``-c``, so the lock says
    ``# via -c FILE`` as it does for a ``-c`` line inside an input. ``build`` is None when
    builds are not allowed (a project that needs one is then refused).
    """
    files: list[RequirementsFile] = []
    roots: list[RootRequirement] = []
    editables: list[EditableProject] = []
    projects = {path: _project(path, build) for path in paths if is_project_file(path)}
    named = _named_extras(extras, projects.values())
    for path in paths:
        project = projects.get(path)
        if project is not None:
            files.append(project.as_requirements_file())
            roots += _project_roots(project, extras=named, all_extras=all_extras)
            continue
        parsed = _read_stdin() if path == STDIN else parse_file(path)
        files.append(parsed)
        for located in parsed.iter_requirements(constraints=True):
            entry = located.entry
            origin = Origin(line=entry.source, via=located.via)
            if entry.editable and not located.constraint:
                project, editable = _editable(entry, origin, build)
                files.append(project.as_requirements_file())
                editables.append(editable)
                roots += _editable_roots(project, entry, editable.name)
                continue
            roots.append(_root(entry, origin, constraint=located.constraint))
    for path in constraints:
        parsed = parse_file(path)
        files.append(parsed)  # their options count, and check's digest covers them
        for located in parsed.iter_requirements(constraints=True):
            origin = Origin(line=located.entry.source, via=located.via)
            roots.append(_root(located.entry, origin, constraint=True))
    pre = any(located.entry.name == "pre" for parsed in files for located in parsed.iter_options())
    kept, local = _claimed_by_editables(roots, _merged(editables))
    return CompileInputs(files=tuple(files), roots=kept, pre=pre, editables=local)


def _claimed_by_editables(
    roots: Sequence[RootRequirement], editables: Sequence[EditableProject]
) -> tuple[tuple[RootRequirement, ...], tuple[EditableProject, ...]]:
    """A requirement on a project an ``-e`` line installs is met by that line, not an index.

    ``-e ./core`` and ``-e ./app`` where app requires core: pip installs core from its
    directory, and pip-tools writes ``-e`` and core's ``file:`` URL, with ``# via -r r.in``
    and ``app``. Such roots go to the editable (its ``# via`` shows them) instead of the
    resolver.
    """
    names = {editable.name for editable in editables}
    claimed = [root for root in roots if root.name in names and root.kind != "override"]
    kept = [root for root in roots if root.name not in names or root.kind == "override"]
    local = tuple(
        replace(
            editable,
            roots=editable.roots + tuple(r for r in claimed if r.name == editable.name),
        )
        for editable in editables
    )
    return tuple(kept), local


def _root(entry: RequirementEntry, origin: Origin, *, constraint: bool) -> RootRequirement:
    if entry.requirement is None or entry.editable:
        raise RequirementsFileError(
            "an editable requirement cannot be a constraint",
            span=entry.source.span(),
            hint="pip refuses it too: constrain the project by name and version",
        )
    return RootRequirement(
        requirement=entry.requirement,
        origin=origin,
        kind="constraint" if constraint else "requirement",
    )


def _read_stdin() -> RequirementsFile:
    """Requirements piped in: pip-compile's ``-`` input, shown as ``-r -`` in ``# via``.

    Includes are read relative to the working directory, as pip-compile's temporary file's
    would be if it lived there (it does not: pip-compile then fails to find them).
    """
    return parse_text(sys.stdin.read(), path=STDIN)


def _project(path: Path, build: ProjectBuilder | None) -> ProjectInput:
    try:
        return read_project_input(path)
    except NeedsProjectBuild as needed:
        if build is None:
            raise _build_refused(path, needed.reason) from None
        return build(path.parent if path.parent != Path() else Path(), path)


def _build_refused(shown: Path, reason: str) -> UsageError:
    return UsageError(
        f"{shown}: {reason}; learning its dependencies means building it, which runs its "
        "code, and lockctl does that only with --allow-build",
        hint="add --allow-build to let lockctl run the project's build backend",
    )


def _named_extras(extras: Sequence[str], projects: Iterable[ProjectInput]) -> list[str]:
    """The ``--extra`` names; one that no project input declares is refused.

    pip-tools splits each value at commas (``--extra dev,test``) and applies every extra to
    every project input, so an extra only one of two projects declares is fine.
    """
    named = [name for value in extras for name in value.split(",") if name]
    inputs = list(projects)
    for name in named:
        if inputs and not any(canonicalize_name(name) in p.extras for p in inputs):
            inputs[0].selected([name], all_extras=False)  # raises, naming the extras there are
    return named


def _project_roots(
    project: ProjectInput, *, extras: Sequence[str], all_extras: bool
) -> list[RootRequirement]:
    own = [name for name in extras if canonicalize_name(name) in project.extras]
    return [
        RootRequirement(
            requirement=dependency.requirement,
            origin=Origin(line=dependency.source, project=project.label),
            write_marker=dependency.marker_in_lock,
        )
        for dependency in project.selected(own, all_extras=all_extras)
    ]


def _editable(
    entry: RequirementEntry, origin: Origin, build: ProjectBuilder | None
) -> tuple[ProjectInput, EditableProject]:
    """The local project an ``-e`` line names, read statically (or built, when allowed)."""
    target = entry.editable_target or ""
    directory, written = _editable_directory(entry, target)
    try:
        project = read_project_dir(directory, shown=Path(written))
    except NeedsProjectBuild as needed:
        if build is None:
            raise RequirementsFileError(
                f"-e {target}: {needed.reason}; learning its dependencies means building it, "
                "which runs its code, and lockctl does that only with --allow-build",
                span=entry.source.span(),
                hint="add --allow-build to let lockctl run the project's build backend",
            ) from None
        project = build(directory, directory / "pyproject.toml")
    # pip makes a local editable's path absolute (os.path.abspath, from the working
    # directory) and pip-tools writes its link: ``-e`` and the ``file:`` URL of that path.
    url = Path(os.path.abspath(directory)).as_uri()  # noqa: PTH100  (not resolve(): no symlinks)
    if written != target.split("#", 1)[0]:
        # ``-e path[extras]``: pip resolves the extras as a candidate whose parent is the
        # bare editable, and pip-tools' ``# via`` then names that parent by its path, run
        # through canonicalize_name (``-e ./sub[dev]`` is "via -/sub"), not the input file.
        origin = replace(origin, project=canonicalize_name(written))
    root = RootRequirement(requirement=Requirement(project.name), origin=origin)
    name = canonicalize_name(project.name)
    return project, EditableProject(name=name, url=url, roots=(root,))


def _editable_directory(entry: RequirementEntry, target: str) -> tuple[Path, str]:
    """The directory of ``-e path[extras]`` or ``-e file:...``; URLs of other kinds refused."""
    path_text = target
    scheme = urlsplit(target).scheme.lower()
    if scheme == "file":
        path_text = unquote(urlsplit(target).path)
    elif len(scheme) > 1:  # one letter is a Windows drive
        raise RequirementsFileError(
            f"-e {target}: an editable from a URL (VCS checkout) is not supported",
            span=entry.source.span(),
            hint="clone it and write -e PATH, or pin the project by name",
        )
    path_text = path_text.split("#", 1)[0]
    if path_text.endswith("]") and "[" in path_text:
        path_text = path_text[: path_text.rindex("[")]  # pip's strip of ``[extras]``
    # pip resolves a relative editable path from the working directory, not the file's.
    directory = Path(path_text)
    if not directory.is_dir():
        raise RequirementsFileError(
            f"-e {target}: {directory} is not a directory",
            span=entry.source.span(),
            hint="-e takes the directory of a local project (relative to the working directory)",
        )
    return directory, path_text


def _editable_roots(
    project: ProjectInput, entry: RequirementEntry, name: NormalizedName
) -> list[RootRequirement]:
    target = entry.editable_target or ""
    extras: list[str] = []
    head = target.split("#", 1)[0]
    if head.endswith("]") and "[" in head:
        extras = [e.strip() for e in head[head.rindex("[") + 1 : -1].split(",") if e.strip()]
    return [
        RootRequirement(
            requirement=dependency.requirement,
            origin=Origin(line=dependency.source, via=(entry.source,), parent=name),
        )
        for dependency in project.selected(extras, all_extras=False, option=f"-e {target}")
    ]


def _merged(editables: Iterable[EditableProject]) -> tuple[EditableProject, ...]:
    """One line per project; pip-tools sorts editables by name after putting them first."""
    merged: dict[NormalizedName, EditableProject] = {}
    for editable in editables:
        earlier = merged.get(editable.name)
        if earlier is None:
            merged[editable.name] = editable
        else:
            merged[editable.name] = EditableProject(
                name=editable.name, url=earlier.url, roots=earlier.roots + editable.roots
            )
    return tuple(merged[name] for name in sorted(merged))


def parse_overrides(texts: Iterable[str], files: Iterable[Path]) -> tuple[RootRequirement, ...]:
    """``--override`` texts and the requirements of ``--override-file`` files, validated.

    Two overrides that pin the same project to different exact versions can never both hold:
    that is a usage error, reported before any resolution starts.
    """
    overrides: list[RootRequirement] = []
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            raise UsageError(
                f"--override {text!r} is not a valid requirement: {str(exc).splitlines()[0]}",
                hint="write it as in a requirements file, for example 'rich>=13.9.4'",
            ) from None
        overrides.append(
            RootRequirement(requirement=requirement, origin=Origin(line=None), kind="override")
        )
    for path in files:
        for located in parse_file(path).iter_requirements():
            entry = located.entry
            if entry.requirement is None:
                raise RequirementsFileError(
                    "an override needs a project name", span=entry.source.span()
                )
            overrides.append(
                RootRequirement(
                    requirement=entry.requirement,
                    origin=Origin(line=entry.source, via=located.via),
                    kind="override",
                )
            )
    _reject_contradictions(overrides)
    return tuple(overrides)


def _reject_contradictions(overrides: Sequence[RootRequirement]) -> None:
    exact: dict[NormalizedName, RootRequirement] = {}
    for override in overrides:
        pins = [s.version for s in override.requirement.specifier if s.operator in ("==", "===")]
        if len(pins) != 1 or override.requirement.marker is not None:
            continue
        earlier = exact.setdefault(override.name, override)
        if earlier is not override and str(earlier.requirement.specifier) != str(
            override.requirement.specifier
        ):
            raise UsageError(
                f"conflicting overrides for {override.name}: {earlier.requirement} "
                f"({earlier.origin.describe()}) and {override.requirement} "
                f"({override.origin.describe()})",
                hint="keep one of them",
            )


def included_files(parsed: RequirementsFile) -> Iterator[Path]:
    """The file and every file it includes with ``-r``/``-c``, depth first, as named."""
    yield parsed.path
    for entry in parsed.entries:
        if isinstance(entry, IncludeEntry):
            yield from included_files(entry.file)
