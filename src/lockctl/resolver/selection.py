"""Which releases of a project a merged specifier may pick, for the target, best first.

The rules, in the order they apply:

1. A release the source rejected (no file for the target, requires-python) or whose
   ``requires_python`` excludes the target's Python is never picked.
2. PEP 592: a yanked release is picked only when the specifier pins it with ``==`` or ``===``,
   as pip does (``is_pinned`` below mirrors pip's check). Yanked releases are dropped before
   rule 3, so they count as absent, as PEP 592 asks.
3. PEP 440 pre-releases: final releases only, unless ``pre`` (pip's ``--pre``), or a specifier
   names a pre-release (``>=2.0b1``; ``SpecifierSet.prereleases``), or no final release
   satisfies the specifier, in which case the matching pre-releases are used. Rule 3's last
   clause is PEP 440's "accept remotely available pre-releases for version specifiers where
   there is no final or post release that satisfies the version specifier", and what
   packaging's ``SpecifierSet.filter`` does from packaging 25. pip applies it to a bare name
   (``pip install foo`` where foo has only pre-releases), but pip releases that vendor an
   older packaging do not apply it to a non-empty specifier (pip issue 12469); we follow the
   PEP and current packaging, and spell the rule out here rather than depend on the
   installed packaging's version.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from lockctl.errors import MetadataUnavailable
from lockctl.index import DistributionFile
from lockctl.resolver.models import Release, versions_of

__all__ = [
    "NoFileFits",
    "NoFileForTarget",
    "admissible",
    "is_pinned",
    "iter_admissible",
    "matching_indexes",
    "sdist_cannot_stand_in",
    "unusable_reason",
]

_SHOWN_TAGS = 4  # wheel tags a message lists; a project can have dozens of wheels


@dataclass(frozen=True, slots=True, kw_only=True)
class NoFileFits:
    """No wheel of a release installs on the target: what its wheels are for instead.

    pip says "no matching distribution"; lockctl names the target and the tags it saw, so the
    reader can tell a wrong --platform from a project that ships no wheel for it.
    """

    target: str  # "Python 3.12 on macos_arm64"
    wheel_tags: tuple[str, ...]  # as the file names write them, deduplicated, the first few
    more_tags: int  # how many other tags were seen
    has_sdist: bool

    @classmethod
    def of(cls, files: Sequence[DistributionFile], target: str) -> NoFileFits:
        tags = [_tag_text(f.filename) for f in files if f.is_wheel]
        seen = sorted(dict.fromkeys(tags))
        return cls(
            target=target,
            wheel_tags=tuple(seen[:_SHOWN_TAGS]),
            more_tags=max(0, len(seen) - _SHOWN_TAGS),
            has_sdist=any(not f.is_wheel for f in files),
        )

    def wheels(self) -> str:
        more = f" and {self.more_tags} more" if self.more_tags else ""
        return f"{', '.join(self.wheel_tags)}{more}"

    def reason(self) -> str:
        """The words a rejected release carries (``Release.rejected``)."""
        if not self.wheel_tags:
            return f"no file fits {self.target}"
        return f"no wheel fits {self.target}; its wheels: {self.wheels()}"


class NoFileForTarget(MetadataUnavailable):
    """No wheel fits the target and the sdist cannot stand in (its metadata needs a build):
    said as a target problem, not as the sdist's, since a wheel is what was missing."""

    def __init__(self, *, project: str, version: str, fits: NoFileFits, sdist: MetadataUnavailable):
        super().__init__(
            f"no file of {project} {version} fits {fits.target}: no wheel does (its wheels: "
            f"{fits.wheels()}) and its sdist cannot stand in: {sdist.message}",
            url=sdist.url,
            filename=sdist.filename,
        )
        self.fits = fits
        self.sdist = sdist


def _tag_text(filename: str) -> str:
    """A wheel file name's tag part: ``cp312-cp312-manylinux_2_17_x86_64`` (PEP 427)."""
    parts = filename.removesuffix(".whl").split("-")
    return "-".join(parts[-3:])


def sdist_cannot_stand_in(
    release: Release, target: str, error: MetadataUnavailable
) -> MetadataUnavailable:
    """The error for a release whose metadata could not be read: when only its sdist was
    left for the target (no wheel fits), say that no wheel fits; else ``error`` as it is."""
    if release.direct_reference is not None or any(f.is_wheel for f in release.files):
        return error
    if not any(f.is_wheel for f in release.all_files):
        return error  # an sdist-only project: the sdist's own problem is the story
    fits = NoFileFits.of(release.all_files, target)
    return NoFileForTarget(
        project=release.name, version=str(release.version), fits=fits, sdist=error
    )


def is_pinned(specifier: SpecifierSet) -> bool:
    """An exact ``==`` (not a ``.*`` prefix) or ``===``: pip's test for allowing yanked files."""
    for spec in specifier:
        if spec.operator == "===":
            return True
        if spec.operator == "==" and not spec.version.endswith(".*"):
            return True
    return False


def matching_indexes(versions: Sequence[Version], specifier: SpecifierSet) -> Iterator[int]:
    """Where the versions (newest first) that ``specifier`` allows are, pre-releases included.

    The walk stops at the first version below the specifier's floor (its highest ``>=``,
    ``>``, ``~=`` or exact ``==`` version): no older version can match. A pin or a narrow
    range on a project with thousands of releases (botocore) then looks at the releases above
    it, not at all of them, and a lazily parsed version list parses no more than that.
    """
    floor = _floor(specifier)
    for index, version in enumerate(versions):
        if floor is not None and version < floor:
            return
        if specifier.contains(version, prereleases=True):
            yield index


def _floor(specifier: SpecifierSet) -> Version | None:
    """The highest version every match is at or above, or None.

    Each of these operators compares the candidate's public version, which never sorts above
    the version itself (a local label sorts after its public version), so a version below the
    floor cannot match whatever its pre-, post- or local parts.
    """
    floor: Version | None = None
    for spec in specifier:
        if spec.operator not in (">=", ">", "~=", "==") or spec.version.endswith(".*"):
            continue
        try:
            bound = Version(spec.version)
        except ValueError:
            continue
        if floor is None or bound > floor:
            floor = bound
    return floor


def unusable_reason(release: Release, *, python: Version, pinned: bool) -> str | None:
    """Why the release cannot be picked at all for this target, or None if it can."""
    if release.rejected is not None:
        return release.rejected
    if not release.files:
        return "no file for the target"
    if release.requires_python is not None and not release.requires_python.contains(
        python, prereleases=True
    ):
        return f"requires Python {release.requires_python}"
    if release.yanked is not None and not pinned:
        reason = f": {release.yanked}" if release.yanked else ""
        return f"yanked{reason}"
    return None


def admissible(
    releases: Sequence[Release], specifier: SpecifierSet, *, python: Version, pre: bool
) -> list[Release]:
    """The releases the specifier may pick for the target, in the source's order (newest first)."""
    return list(iter_admissible(releases, specifier, python=python, pre=pre))


def iter_admissible(
    releases: Sequence[Release], specifier: SpecifierSet, *, python: Version, pre: bool
) -> Iterator[Release]:
    """``admissible``, lazily: a resolver usually takes the first one or two.

    Versions are matched before a release is looked at, so a source whose releases are costly
    to build (files filtered for the target) builds only the ones that can be picked.
    """
    pinned = is_pinned(specifier)
    versions = versions_of(releases)
    matching = matching_indexes(versions, specifier)
    allow_pre = pre or specifier.prereleases is True
    held_back: list[Release] = []
    any_final = False
    for index in matching:
        release = releases[index]
        if unusable_reason(release, python=python, pinned=pinned) is not None:
            continue
        if allow_pre or not release.version.is_prerelease:
            any_final = any_final or not release.version.is_prerelease
            yield release
        else:
            held_back.append(release)
    if not allow_pre and not any_final:
        yield from held_back
