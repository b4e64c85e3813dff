"""The one exception tree of lockctl.

Every error carries a ``message`` (one sentence, no location) and a ``hint`` (what to do, or
""), plus its own data; ``lockctl.cli.render`` words them and ``lockctl.cli.main`` maps them to
exit codes. An error is built whole where it is raised; a caller that adds context raises a new
error once, at its boundary, and never changes one in flight. Classes that live in other
modules are drawn with their module; ``tests/test_errors.py`` checks this drawing against the
classes.

::

    LockctlError                        exit 1 unless a subclass says otherwise
    ├── ResolutionConflict              resolver.models: no versions satisfy every requirement
    │   ├── ResolutionTooDeep           resolver.errors: the search gave up before proving it
    │   └── LayerConflict               ops.layers: a lock cannot use the versions others pinned
    ├── InputError                      exit 2: the user's files or arguments are wrong
    │   ├── RequirementsFileError       a line of a requirements file (file, line, column, text)
    │   ├── RequirementsFileErrors      several of those and IncludeErrors, in the order found
    │   ├── IncludeError                an -r/-c include that is missing, unreadable or a cycle
    │   ├── ConfigError                 [tool.lockctl] in pyproject.toml: every ConfigProblem
    │   ├── UsageError                  a command-line or configuration problem
    │   ├── InsecureIndex               plain HTTP to a host the user did not trust
    │   ├── WrongIndexURL               an index URL whose root is not a simple index (404)
    │   ├── OutputError                 a file lockctl was asked to write cannot be written
    │   ├── UnknownProject              resolver.errors: a project that no index has
    │   ├── UnsupportedRequirement      resolver.errors: a requirement the resolver cannot take
    │   └── ImageNotFound               a base image the container engine does not have
    ├── IndexFailure                    exit 3: an index, the cache or the network failed us
    │   ├── IndexUnreachable            connection refused, timed out, DNS, after retries
    │   ├── IndexResponseError          an HTTP error status or a body that is neither HTML nor JSON
    │   ├── HashMismatch                a downloaded file does not match the index's hash
    │   ├── OfflineMiss                 --offline and the answer is not in the cache
    │   └── MetadataUnavailable         no static metadata, and building the sdist is not allowed
    │       └── NoFileForTarget         resolver.selection: no wheel fits, nor can the sdist
    ├── ToolFailure                     exit 3: a program lockctl runs (pip) failed or is missing
    └── ContainerFailure                exit 3: the container engine failed us
        ├── EngineUnavailable           no engine answers where lockctl looked
        └── ContainerTimeout            a build or a container ran past the time allowed
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "ContainerFailure",
    "ContainerTimeout",
    "EngineUnavailable",
    "HashMismatch",
    "ImageNotFound",
    "IncludeError",
    "IndexFailure",
    "IndexResponseError",
    "IndexUnreachable",
    "InputError",
    "InsecureIndex",
    "LockctlError",
    "MetadataUnavailable",
    "OfflineMiss",
    "OutputError",
    "RequirementsFileError",
    "RequirementsFileErrors",
    "SourceSpan",
    "ToolFailure",
    "UsageError",
    "WrongIndexURL",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSpan:
    """Where a bad piece of text is: 1-based line and column, and how long it is."""

    path: Path
    line: int
    column: int
    text: str
    length: int = 1


class LockctlError(Exception):
    """Base of every error lockctl raises on purpose: what went wrong, and what to do."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(LockctlError):
    exit_code = 2


class RequirementsFileError(InputError):
    def __init__(self, message: str, *, span: SourceSpan, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.span = span


class IncludeError(InputError):
    """An -r/-c include that cannot be followed.

    ``span`` is the including line (None for a file named on the command line); ``chain``
    lists the files of an include cycle, first to last.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path,
        span: SourceSpan | None = None,
        chain: tuple[Path, ...] = (),
    ) -> None:
        super().__init__(message)
        self.path = path
        self.span = span
        self.chain = chain


class RequirementsFileErrors(InputError):
    """Several problems in one set of requirements files: every one is reported at once."""

    def __init__(self, errors: tuple[RequirementsFileError | IncludeError, ...]) -> None:
        super().__init__(f"{len(errors)} problems in requirements files")
        self.errors = errors


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigProblem:
    """One thing wrong in a configuration file.

    ``key`` is the dotted TOML path of the bad value (``tool.lockctl.lock[1].output``);
    ``line`` is 1-based, or None when the problem has no place in the file (it cannot be read).
    """

    file: Path
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(InputError):
    """The configuration is wrong; ``problems`` holds every problem found, in file order."""

    def __init__(self, problems: tuple[ConfigProblem, ...]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the lockctl configuration")
        self.problems = problems
        # str() lists every problem, so an unwired caller that prints the exception still
        # shows the user all of them.
        self.args = ("\n  ".join([f"{self.message}:", *map(str, problems)]),)


class UsageError(InputError):
    """A command-line or configuration problem that has no file and line to point at."""


class InsecureIndex(InputError):
    """An index or find-links URL over plain HTTP to a host the user did not trust (pip's rule)."""

    def __init__(self, message: str, *, url: str, host: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.host = host


class WrongIndexURL(InputError):
    """An index that had none of the run's ``projects`` (each a 404) and a 404 at its root.

    Bad input rather than an index failure (exit 2, as ``InsecureIndex``): the server answered
    and nothing will change on a retry; the URL the user gave points at something that is
    not a PEP 503 index, and the fix is to change it.
    """

    def __init__(self, *, url: str, status: int, projects: int) -> None:
        asked = "the project asked for" if projects == 1 else f"any of the {projects} projects"
        super().__init__(
            f"the index URL {url} looks wrong: it does not have {asked}, and its root answered "
            f"HTTP {status} where a simple index lists its projects",
            hint="check the URL's path: pip's --index-url names the folder that lists every "
            "project (PEP 503), on most servers the path that ends in /simple/",
        )
        self.url = url
        self.status = status
        self.projects = projects


class OutputError(InputError):
    """A file lockctl was asked to write cannot be written: ``path``, and the message says why.

    Checked before any work where it can be (a missing directory, a directory in the way);
    a write that fails anyway leaves every file as it was.
    """

    def __init__(self, message: str, *, path: Path, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = path


class IndexFailure(LockctlError):
    """The index, the network or the cache failed. ``url`` is always already redacted."""

    exit_code = 3

    def __init__(self, message: str, *, url: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.url = url


class IndexUnreachable(IndexFailure):
    pass


class IndexResponseError(IndexFailure):
    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class HashMismatch(IndexFailure):
    """``from_url``: the expected hash is the URL's own ``#sha256=`` fragment (a direct
    reference), not the index's."""

    def __init__(
        self, *, url: str, algorithm: str, expected: str, actual: str, from_url: bool = False
    ) -> None:
        named = "the hash in its URL" if from_url else "the index"
        super().__init__(f"{algorithm} of the downloaded file does not match {named}", url=url)
        self.from_url = from_url
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual


class OfflineMiss(IndexFailure):
    pass


class MetadataUnavailable(IndexFailure):
    def __init__(self, message: str, *, url: str, filename: str) -> None:
        super().__init__(message, url=url)
        self.filename = filename


class ToolFailure(LockctlError):
    """A program lockctl runs (pip) is missing or failed: ``command`` and its last output lines."""

    exit_code = 3

    def __init__(
        self, message: str, *, command: tuple[str, ...], output: str = "", hint: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.command = command
        self.output = output


class ImageNotFound(InputError):
    """A base image the engine at ``endpoint`` does not have; no registry is asked for it."""

    def __init__(self, message: str, *, image: str, endpoint: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.image = image
        self.endpoint = endpoint


class ContainerFailure(LockctlError):
    """The container engine at ``endpoint`` (``source`` says where that address came from:
    ``DOCKER_HOST``, a Docker context, the default socket) failed or refused a request."""

    exit_code = 3

    def __init__(self, message: str, *, endpoint: str, source: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.endpoint = endpoint
        self.source = source


class EngineUnavailable(ContainerFailure):
    """No engine answers at ``endpoint``; ``reason`` is the connection's own error."""

    def __init__(
        self, message: str, *, endpoint: str, source: str, reason: str, hint: str = ""
    ) -> None:
        super().__init__(message, endpoint=endpoint, source=source, hint=hint)
        self.reason = reason


class ContainerTimeout(ContainerFailure):
    """``during`` (a build, or a command in a container) ran past ``seconds``."""

    def __init__(
        self, message: str, *, endpoint: str, source: str, seconds: float, during: str
    ) -> None:
        super().__init__(message, endpoint=endpoint, source=source)
        self.seconds = seconds
        self.during = during
