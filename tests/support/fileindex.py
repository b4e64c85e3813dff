"""Static indexes on disk: a PEP 503 tree for ``file://`` index URLs, and find-links dirs."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import TypedDict

from tests.support import pages
from tests.support.dists import DistFile

__all__ = ["LinkOptions", "write_file_index", "write_find_links"]


class LinkOptions(TypedDict, total=False):
    """What the index says about a file; the same keywords as ``IndexServer.add``."""

    project: str
    yanked: bool | str
    requires_python: str | None
    pep658: bool


def write_file_index(root: Path, dists: Iterable[tuple[DistFile, LinkOptions]]) -> Path:
    """Write ``root/simple/<project>/index.html`` with each file next to its page.

    Returns the ``simple`` directory; ``path.as_uri()`` is the index URL. Pages are HTML only,
    as a static tree cannot negotiate content types.
    """
    simple = root / "simple"
    by_project: dict[str, list[pages.IndexEntry]] = {}
    for dist, options in dists:
        entry = pages.IndexEntry.from_dist(dist, **options)
        by_project.setdefault(entry.project, []).append(entry)
    for project, entries in by_project.items():
        project_dir = simple / project
        project_dir.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            (project_dir / entry.dist.filename).write_bytes(entry.dist.content)
            if entry.pep658:
                (project_dir / f"{entry.dist.filename}.metadata").write_bytes(entry.dist.metadata)
        links = [entry.link(urllib.parse.quote(entry.dist.filename)) for entry in entries]
        (project_dir / "index.html").write_bytes(pages.project_html(project, links))
    simple.mkdir(parents=True, exist_ok=True)
    (simple / "index.html").write_bytes(pages.project_list_html(by_project))
    return simple


def write_find_links(root: Path, dists: Iterable[DistFile]) -> Path:
    """Write the files flat into ``root`` (a ``--find-links`` directory) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        (root / dist.filename).write_bytes(dist.content)
    return root
