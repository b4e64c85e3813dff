"""The one exception tree of lockctl.

Errors carry data; ``lockctl.cli.render`` turns them into messages and exit codes.

::

    LockctlError
    ├── InputError                  exit 2: the user's files or arguments are wrong
    │   ├── RequirementsFileError   a line of a requirements file (file, line, column, text)
    │   ├── RequirementsFileErrors  several of those and IncludeErrors, in the order found
    │   ├── IncludeError            an -r/-c include that is missing, unreadable or a cycle
    │   ├── ConfigError             [tool.lockctl] in pyproject.toml: every ConfigProblem at once
    │   └── UsageError              a command-line or configuration problem
    └── IndexFailure                exit 3: an index, the cache or the network failed us
        ├── IndexUnreachable        connection refused, timed out, DNS, after retries
        ├── IndexResponseError      an HTTP error status or a body that is neither HTML nor JSON
        ├── HashMismatch            a downloaded file does not match the index's hash
        ├── OfflineMiss             --offline and the answer is not in the cache
        └── MetadataUnavailable     no static metadata, and building the sdist is not allowed
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "HashMismatch",
    "IncludeError",
    "IndexFailure",
    "IndexResponseError",
    "IndexUnreachable",
    "InputError",
    "LockctlError",
    "MetadataUnavailable",
    "OfflineMiss",
    "RequirementsFileError",
    "RequirementsFileErrors",
    "SourceSpan",
    "UsageError",
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
    """Base of every error lockctl raises on purpose."""

    exit_code = 1


class InputError(LockctlError):
    exit_code = 2


class RequirementsFileError(InputError):
    def __init__(self, message: str, *, span: SourceSpan, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint


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
        self.message = message
        self.path = path
        self.span = span
        self.chain = chain


class RequirementsFileErrors(InputError):
    """Several problems in one set of requirements files: every one is reported at once."""

    def __init__(self, errors: tuple[RequirementsFileError | IncludeError, ...]) -> None:
        self.errors = errors
        self.message = f"{len(errors)} problems in requirements files"
        super().__init__(self.message)


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
        self.problems = problems
        count = len(problems)
        self.message = f"{count} problem{'s' if count != 1 else ''} in the lockctl configuration"
        # str() lists every problem, so an unwired caller that prints the exception still
        # shows the user all of them.
        super().__init__("\n  ".join([f"{self.message}:", *map(str, problems)]))


class UsageError(InputError):
    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class IndexFailure(LockctlError):
    """The index, the network or the cache failed. ``url`` is always already redacted."""

    exit_code = 3

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.url = url


class IndexUnreachable(IndexFailure):
    pass


class IndexResponseError(IndexFailure):
    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class HashMismatch(IndexFailure):
    def __init__(self, *, url: str, algorithm: str, expected: str, actual: str) -> None:
        super().__init__(f"{algorithm} of the downloaded file does not match the index", url=url)
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual


class OfflineMiss(IndexFailure):
    pass


class MetadataUnavailable(IndexFailure):
    def __init__(self, message: str, *, url: str, filename: str) -> None:
        super().__init__(message, url=url)
        self.filename = filename
