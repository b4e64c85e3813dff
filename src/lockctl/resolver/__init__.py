"""Resolution on resolvelib: a provider over a small PackageSource Protocol, for a target."""

from lockctl.resolver.errors import ResolutionTooDeep, UnknownProject, UnsupportedRequirement
from lockctl.resolver.explain import suggest_fixes
from lockctl.resolver.fixes import Fix, FixKind
from lockctl.resolver.models import (
    ConflictCause,
    Origin,
    OverrideNote,
    PackageSource,
    Preferences,
    Release,
    Resolution,
    ResolutionConflict,
    ResolvedPin,
    RootRequirement,
)
from lockctl.resolver.provider import LockProvider
from lockctl.resolver.resolve import resolve
from lockctl.target import PLATFORMS, TargetEnvironment

__all__ = [
    "PLATFORMS",
    "ConflictCause",
    "Fix",
    "FixKind",
    "LockProvider",
    "Origin",
    "OverrideNote",
    "PackageSource",
    "Preferences",
    "Release",
    "Resolution",
    "ResolutionConflict",
    "ResolutionTooDeep",
    "ResolvedPin",
    "RootRequirement",
    "TargetEnvironment",
    "UnknownProject",
    "UnsupportedRequirement",
    "resolve",
    "suggest_fixes",
]
