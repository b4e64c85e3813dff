"""Which projects the roots pin to a direct reference (``name @ URL``), and which URLs match.

A root ``name @ URL`` makes that URL the project's only candidate, as pip's
``ExplicitRequirement`` does; every other requirement on the project (from the index's
metadata, or a ``-c`` constraint) must accept the version the artifact says it is, or the
resolution is a conflict explained like any other.

A dependency that is itself a direct reference is followed only when a root names the same
URL. pip follows it wherever it comes from; lockctl asks for it to be written in the inputs,
where a reviewer sees it, rather than fetching and maybe building whatever URL a release
names (``UnsupportedRequirement`` says so, naming the release).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from lockctl.resolver.errors import UnsupportedRequirement
from lockctl.resolver.models import RootRequirement

__all__ = ["direct_roots", "same_reference"]


def direct_roots(active: Sequence[RootRequirement]) -> Mapping[NormalizedName, RootRequirement]:
    """The active roots with a URL, by project; refuses what pip-compile cannot lock either."""
    found: dict[NormalizedName, RootRequirement] = {}
    for root in active:
        url = root.requirement.url
        if not url:
            continue
        if root.kind != "requirement":
            raise UnsupportedRequirement(
                root.requirement,
                reason=f"a direct URL reference is not supported in {root.kind}s",
                required_by=root.origin.describe(),
            )
        known = found.get(root.name)
        if known is not None and not same_reference(known.requirement, root.requirement):
            # pip: "Cannot install ... because these package versions have conflicting
            # dependencies" for two URLs of one project; naming both lines says more.
            raise UnsupportedRequirement(
                root.requirement,
                reason=f"{known.origin.describe()} names another URL for {root.name}",
                required_by=root.origin.describe(),
            )
        found.setdefault(root.name, root)
    return found


def same_reference(first: Requirement, second: Requirement) -> bool:
    """Whether two requirements name the same artifact: pip's ``links_equivalent`` compares
    the URL without its fragment, and the subdirectory and hash fragments."""
    return _key(first.url or "") == _key(second.url or "")


def _key(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    parts = urllib.parse.urlsplit(url)
    fragment = urllib.parse.parse_qsl(parts.fragment)
    kept = tuple(sorted((k, v) for k, v in fragment if k != "egg"))
    return urllib.parse.urlunsplit(parts._replace(fragment="")), kept
