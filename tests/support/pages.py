"""Simple repository API pages: PEP 503 HTML and PEP 691 JSON (api-version 1.1, PEP 700).

Used by both the loopback server and the static ``file://`` index, so the two agree.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.parser import BytesParser

from packaging.utils import (
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from tests.support.dists import DistFile

__all__ = [
    "API_VERSION",
    "HTML_TYPE",
    "JSON_TYPE",
    "FileLink",
    "IndexEntry",
    "project_html",
    "project_json",
    "project_list_html",
    "project_list_json",
    "project_of",
]

API_VERSION = "1.1"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html"


def _parse_filename(filename: str) -> tuple[NormalizedName, Version]:
    if filename.endswith(".whl"):
        return parse_wheel_filename(filename)[:2]
    return parse_sdist_filename(filename)


def project_of(filename: str) -> NormalizedName:
    return _parse_filename(filename)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    """A distribution as an index lists it: the file plus what the index says about it."""

    dist: DistFile
    project: NormalizedName
    yanked: bool | str
    requires_python: str | None
    pep658: bool
    upload_time: str | None = None  # PEP 700, e.g. "2026-11-01T12:00:00.000000Z"; JSON pages only

    @property
    def version(self) -> str:
        return str(_parse_filename(self.dist.filename)[1])

    @classmethod
    def from_dist(
        cls,
        dist: DistFile,
        *,
        project: str | None = None,
        yanked: bool | str = False,
        requires_python: str | None = None,
        pep658: bool = False,
        upload_time: str | None = None,
    ) -> IndexEntry:
        if pep658 and not dist.metadata:
            raise ValueError(f"{dist.filename} has no core metadata to serve per PEP 658")
        if requires_python is None and dist.metadata:
            # Like the public index: data-requires-python comes from the file's metadata.
            requires_python = BytesParser().parsebytes(dist.metadata).get("Requires-Python")
        return cls(
            dist=dist,
            project=canonicalize_name(project) if project else project_of(dist.filename),
            yanked=yanked,
            requires_python=requires_python,
            pep658=pep658,
            upload_time=upload_time,
        )

    def link(self, url: str, *, wrong_hash: bool = False) -> FileLink:
        sha256 = self.dist.sha256
        if wrong_hash:
            sha256 = "0" * 64 if sha256 != "0" * 64 else "1" * 64
        return FileLink(
            filename=self.dist.filename,
            url=url,
            sha256=sha256,
            size=self.dist.size,
            requires_python=self.requires_python,
            yanked=self.yanked,
            metadata_sha256=self.dist.metadata_sha256 if self.pep658 else None,
            upload_time=self.upload_time,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FileLink:
    filename: str
    url: str  # without fragment
    sha256: str
    size: int
    requires_python: str | None
    yanked: bool | str
    metadata_sha256: str | None  # None: no PEP 658 metadata file
    upload_time: str | None = None


def _json(document: object) -> bytes:
    return json.dumps(document, indent=1).encode()


def project_list_json(projects: Iterable[str]) -> bytes:
    names = [{"name": name} for name in sorted(projects)]
    return _json({"meta": {"api-version": API_VERSION}, "projects": names})


def project_list_html(projects: Iterable[str]) -> bytes:
    anchors = [f'<a href="{html.escape(n)}/">{html.escape(n)}</a><br/>' for n in sorted(projects)]
    return _html_document("Simple index", anchors)


def project_json(project: str, links: Sequence[FileLink], versions: Iterable[str]) -> bytes:
    files: list[dict[str, object]] = []
    for link in links:
        entry: dict[str, object] = {
            "filename": link.filename,
            "url": link.url,
            "hashes": {"sha256": link.sha256},
            "size": link.size,
            "yanked": link.yanked,
        }
        if link.requires_python is not None:
            entry["requires-python"] = link.requires_python
        if link.upload_time is not None:
            entry["upload-time"] = link.upload_time
        if link.metadata_sha256 is not None:
            # PEP 714 renamed the key; the old one is kept for older clients, as PyPI does.
            entry["core-metadata"] = {"sha256": link.metadata_sha256}
            entry["dist-info-metadata"] = {"sha256": link.metadata_sha256}
        files.append(entry)
    document = {
        "meta": {"api-version": API_VERSION},
        "name": project,
        "files": files,
        "versions": sorted(set(versions)),
    }
    return _json(document)


def _anchor(link: FileLink) -> str:
    attributes = [f'href="{html.escape(f"{link.url}#sha256={link.sha256}")}"']
    if link.requires_python is not None:
        attributes.append(f'data-requires-python="{html.escape(link.requires_python)}"')
    if link.yanked is not False:
        reason = "" if link.yanked is True else link.yanked
        attributes.append(f'data-yanked="{html.escape(reason)}"')
    if link.metadata_sha256 is not None:
        value = f"sha256={link.metadata_sha256}"
        attributes.append(f'data-core-metadata="{value}"')
        attributes.append(f'data-dist-info-metadata="{value}"')
    return f"<a {' '.join(attributes)}>{html.escape(link.filename)}</a><br/>"


def project_html(project: str, links: Sequence[FileLink]) -> bytes:
    return _html_document(f"Links for {project}", [_anchor(link) for link in links])


def _html_document(title: str, body_lines: Sequence[str]) -> bytes:
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        f'<meta name="pypi:repository-version" content="{API_VERSION}">',
        f"<title>{html.escape(title)}</title>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        *body_lines,
        "</body>",
        "</html>",
    ]
    return ("\n".join(lines) + "\n").encode()
