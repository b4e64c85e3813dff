"""Close names for a project no index has ("did you mean"), found within a bounded wait.

The one complete answer is an index's root page, which lists every project (PEP 503 anchors or
PEP 691 ``projects``); on the public index it is tens of megabytes. So the search goes from
cheap to dear, and stops when it has an answer:

1. the list, when the cache holds a fresh one (``ProjectNames``: canonical names one a line,
   loaded in one read and searched with one regular expression);
2. a handful of likely names asked of the index at once, with HEAD requests
   (``candidate_names``: swapped neighbours, one letter too many, known import-name
   confusables); most typos are one of these, and the answer costs a round trip;
3. the root page itself, read as it arrives (``RootScanner`` keeps names, never the page),
   within what is left of the wait (``SUGGESTION_WAIT``, cut to the run's deadline), then
   cached for a day. Past the wait the search gives up and says so (``NameSuggestions``).

Why this order, with the figures that chose it, is in the commit message that introduced it
(a probe costs one round trip; the public index's list, tens of megabytes).
"""

from __future__ import annotations

import difflib
import html
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import IndexFailure
from lockctl.events import ProjectListProgress, Reporter
from lockctl.index.cache import Cache, is_cacheable, url_key
from lockctl.index.fetcher import Fetcher
from lockctl.index.simple import ACCEPT_HEADER, is_json_page
from lockctl.urls import SecretURL

__all__ = [
    "MAX_CANDIDATES",
    "SUGGESTION_WAIT",
    "NameSuggestions",
    "ProjectNameSearch",
    "ProjectNames",
    "RootScanner",
    "candidate_names",
]

# Seconds a run may spend looking for close names, all indexes together: the error being
# explained is what counts, and it must not wait on a list of a million names for long.
SUGGESTION_WAIT = 5.0
MAX_CANDIDATES = 48  # HEAD requests asked at once; a long name has more one-edit variants
_PROGRESS_STEP = 1 << 20  # a progress event per megabyte of the list received

# Import names that are not the distribution's name: the commonest "not found" of all.
_CONFUSABLES: dict[str, tuple[str, ...]] = {
    "attr": ("attrs",),
    "bs4": ("beautifulsoup4",),
    "crypto": ("pycryptodome",),
    "cv2": ("opencv-python", "opencv-python-headless"),
    "dateutil": ("python-dateutil",),
    "docx": ("python-docx",),
    "dotenv": ("python-dotenv",),
    "git": ("gitpython",),
    "jwt": ("pyjwt",),
    "magic": ("python-magic",),
    "pil": ("pillow",),
    "serial": ("pyserial",),
    "skimage": ("scikit-image",),
    "sklearn": ("scikit-learn",),
    "yaml": ("pyyaml",),
    "zmq": ("pyzmq",),
}
_SEPARATORS = re.compile(r"[-_.]+")  # PEP 503 normalisation, applied to many names at once


def candidate_names(name: str) -> tuple[NormalizedName, ...]:
    """Names ``name`` is likely a typo of, likeliest first, at most ``MAX_CANDIDATES``.

    One edit that does not need an alphabet (a swap of neighbours, a letter too many, a
    doubled key), the import-name confusables, and the ``py``/``python-`` affixes and plural
    that projects are so often named with. A letter missing or mistyped needs the full list.
    """
    wanted = canonicalize_name(name)
    found: dict[NormalizedName, None] = {}

    def add(text: str) -> None:
        candidate = canonicalize_name(text)
        if candidate.strip("-") and candidate != wanted:
            found.setdefault(candidate, None)

    for alias in _CONFUSABLES.get(wanted, ()):
        add(alias)
    for i in range(len(wanted) - 1):
        add(wanted[:i] + wanted[i + 1] + wanted[i] + wanted[i + 2 :])
    for i in range(len(wanted)):
        add(wanted[:i] + wanted[i + 1 :])
    for prefix in ("py", "python-", "py-"):
        add(wanted.removeprefix(prefix) if wanted.startswith(prefix) else prefix + wanted)
    add(wanted.removesuffix("-python") if wanted.endswith("-python") else wanted + "-python")
    add(wanted + "s")
    return tuple(found)[:MAX_CANDIDATES]


@dataclass(frozen=True, slots=True)
class ProjectNames:
    """An index's project names, canonical, one a line (``text`` starts and ends with one).

    One string rather than a list of a million: it is read from the cache in one piece and
    searched with one regular expression, so a warm "did you mean" costs milliseconds.
    """

    text: str

    @classmethod
    def from_names(cls, names: Iterable[str]) -> ProjectNames:
        joined = "\n".join(name.strip() for name in names)
        return cls(text=f"\n{_SEPARATORS.sub('-', joined.lower())}\n")

    def __len__(self) -> int:
        return max(self.text.count("\n") - 1, 0)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and f"\n{canonicalize_name(name)}\n" in self.text

    def names(self) -> list[str]:
        return [name for name in self.text.split("\n") if name]

    def close_to(self, name: str, *, limit: int = 3) -> tuple[str, ...]:
        """Names that look like a typo of ``name``, closest first (as ``difflib`` ranks them).

        Only names with the same first letter and within three letters of its length are
        compared: a list of a million names would otherwise take seconds.
        """
        wanted = canonicalize_name(name)
        if not wanted:
            return ()
        shortest, longest = max(len(wanted) - 4, 0), len(wanted) + 2
        pattern = re.compile(
            rf"^{re.escape(wanted[0])}[^\n]{{{shortest},{longest}}}$", re.MULTILINE
        )
        plausible = sorted(set(pattern.findall(self.text)) - {wanted})
        close = difflib.get_close_matches(wanted, plausible, n=10, cutoff=0.6)
        # Swapped letters are the commonest typo: a name with exactly the same letters goes first.
        close.sort(key=lambda other: sorted(other) != sorted(wanted))
        return tuple(close[:limit])


class RootScanner:
    """Names from a root page fed a chunk at a time; only the unfinished tail is kept.

    A regular expression per chunk instead of a JSON or HTML parser: the page is one long
    list of ``{"name": ...}`` objects (PEP 691) or anchors (PEP 503), and a parser holds the
    whole document and builds an object for every entry of it before one name is read.
    """

    # The string's body as an unrolled loop (runs of plain bytes between escapes): an
    # alternation tried at every byte took several times as long over a list of a million names.
    _JSON_NAME = re.compile(rb'"name"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')
    _ANCHOR_TEXT = re.compile(rb"<a\b[^>]*>([^<]*)</a\s*>", re.IGNORECASE)
    _TAIL_LIMIT = 1 << 16  # an unfinished entry longer than this is not a project name

    def __init__(self, content_type: str) -> None:
        self.json = is_json_page(content_type)
        self._tail = b""
        self._parts: list[str] = []

    def feed(self, chunk: bytes) -> None:
        buffer = self._tail + chunk if self._tail else chunk
        end = self._safe_end(buffer)
        self._tail = buffer[end:][-self._TAIL_LIMIT :]
        if end:
            self._scan(buffer[:end])

    def finish(self) -> ProjectNames:
        if self._tail:
            self._scan(self._tail)
            self._tail = b""
        joined = "\n".join(part for part in self._parts if part)
        self._parts = []
        return ProjectNames(text=f"\n{joined}\n" if joined else "\n")

    def _safe_end(self, buffer: bytes) -> int:
        """Where the last complete entry of ``buffer`` ends: scanning stops there."""
        if self.json:
            return buffer.rfind(b"}") + 1
        end = max(buffer.rfind(b"</a>"), buffer.rfind(b"</A>"))
        return end + 4 if end >= 0 else 0

    def _scan(self, data: bytes) -> None:
        found = (self._JSON_NAME if self.json else self._ANCHOR_TEXT).findall(data)
        if not found:
            return
        joined = b"\n".join(found)
        plain = (
            (b"\\" if self.json else b"&") not in joined
            and b" " not in joined
            and joined.count(b"\n") == len(found) - 1
        )
        if plain:  # the usual case: every name decoded and normalised as one string
            text = joined.decode("utf-8", "replace")
        else:  # an escape, a space or a line break somewhere: each name on its own
            text = "\n".join(self._decode(raw) for raw in found)
        self._parts.append(_SEPARATORS.sub("-", text.lower()))

    def _decode(self, raw: bytes) -> str:
        if self.json:
            try:
                value = json.loads(b'"' + raw + b'"')
            except ValueError:
                return ""
            return str(value).strip().replace("\n", "")
        return html.unescape(raw.decode("utf-8", "replace")).strip().replace("\n", "")


@dataclass(frozen=True, slots=True, kw_only=True)
class NameSuggestions:
    """Close names found for a project, and whether the search gave up for lack of time.

    ``gave_up_after``: the seconds the search was allowed when it stopped without an
    answer (None: it finished, with or without names).
    """

    names: tuple[str, ...] = ()
    gave_up_after: float | None = None


class ProjectNameSearch:
    """The search of the module docstring, over the indexes of one client."""

    def __init__(
        self,
        indexes: Sequence[SecretURL],
        *,
        fetcher: Fetcher,
        cache: Cache,
        reporter: Reporter,
        offline: bool = False,
    ) -> None:
        self.indexes = tuple(indexes)
        self.fetcher = fetcher
        self.cache = cache
        self.reporter = reporter
        self.offline = offline

    def suggest(self, name: str, *, wait: float = SUGGESTION_WAIT) -> NameSuggestions:
        """Close names on the indexes, within ``wait`` seconds (the run's deadline cuts it)."""
        give_up_at = time.monotonic() + wait
        cached = {index: self._cached(index) for index in self.indexes}
        from_cache = _close_in(name, cached.values())
        missing = [index for index, names in cached.items() if names is None]
        if not missing or self.offline:  # offline: only what the cache holds, never a request
            return NameSuggestions(names=from_cache)
        probed = self._probe(name, missing, give_up_at)
        if probed:
            return NameSuggestions(names=tuple(dict.fromkeys((*from_cache, *probed)))[:3])
        lists = list(cached.values())
        for index in missing:
            left = give_up_at - time.monotonic()
            listed = self.load(index, within=left) if left > 0 else None
            if listed is None and time.monotonic() >= give_up_at:
                return NameSuggestions(names=_close_in(name, lists), gave_up_after=wait)
            lists.append(listed)
        return NameSuggestions(names=_close_in(name, lists))

    def all_names(self, *, wait: float) -> list[str]:
        """Every name the indexes list (cached or fetched within ``wait`` s each)."""
        names: list[str] = []
        for index in self.indexes:
            listed = self._cached(index)
            if listed is None and not (self.offline and is_cacheable(index)):
                listed = self.load(index, within=wait)
            names += listed.names() if listed is not None else []
        return names

    def load(self, index: SecretURL, *, within: float) -> ProjectNames | None:
        """The index's root page, read as it arrives and cached; None if it failed in time."""
        try:
            with self.fetcher.stream(
                index, headers={"Accept": ACCEPT_HEADER}, within=within
            ) as response:
                if not response.ok:
                    return None
                expected = _content_length(response.headers)
                scanner = RootScanner(response.content_type)
                received = 0
                self._progress(index, received, expected, within)
                for chunk in response.chunks:
                    before, received = received, received + len(chunk)
                    scanner.feed(chunk)
                    if received // _PROGRESS_STEP != before // _PROGRESS_STEP:
                        self._progress(index, received, expected, within)
        except IndexFailure:
            return None  # a courtesy that failed: the error being explained is what counts
        names = scanner.finish()
        self.reporter(
            ProjectListProgress(
                index=index.redacted,
                received=received,
                expected=expected,
                limit=within,
                names=len(names),
            )
        )
        if is_cacheable(index):
            self.cache.put_project_names(url_key(index), names.text)
        return names

    def _cached(self, index: SecretURL) -> ProjectNames | None:
        if not is_cacheable(index):
            return None
        text = self.cache.get_project_names(url_key(index))
        return None if text is None else ProjectNames(text=text)

    def _probe(self, name: str, indexes: Sequence[SecretURL], give_up_at: float) -> tuple[str, ...]:
        """The likely names (``candidate_names``) that an index has, asked all at once."""
        candidates = candidate_names(name)
        asks = [(index, candidate) for index in indexes for candidate in candidates]
        if not asks:
            return ()
        pool = ThreadPoolExecutor(
            max_workers=min(len(asks), 16), thread_name_prefix="lockctl-probe"
        )
        try:
            futures = [
                pool.submit(self._exists, index.join(f"{candidate}/"), give_up_at)
                for index, candidate in asks
            ]
            found = [
                candidate
                for (_, candidate), future in zip(asks, futures, strict=True)
                if future.result()
            ]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return tuple(dict.fromkeys(found))[:3]

    def _exists(self, url: SecretURL, give_up_at: float) -> bool:
        left = give_up_at - time.monotonic()
        if left <= 0:
            return False
        try:
            return self.fetcher.head(url, within=left).ok
        except IndexFailure:
            return False

    def _progress(
        self, index: SecretURL, received: int, expected: int | None, limit: float
    ) -> None:
        self.reporter(
            ProjectListProgress(
                index=index.redacted, received=received, expected=expected, limit=limit
            )
        )


def _close_in(name: str, lists: Iterable[ProjectNames | None]) -> tuple[str, ...]:
    close: dict[str, None] = {}
    for names in lists:
        if names is not None:
            close.update(dict.fromkeys(names.close_to(name)))
    return tuple(close)[:3]


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None
