"""Resolution on resolvelib: a provider over a small PackageSource Protocol, for a target."""

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
from lockctl.resolver.target import PLATFORMS, TargetEnvironment

__all__ = [
    "PLATFORMS",
    "ConflictCause",
    "Origin",
    "OverrideNote",
    "PackageSource",
    "Preferences",
    "Release",
    "Resolution",
    "ResolutionConflict",
    "ResolvedPin",
    "RootRequirement",
    "TargetEnvironment",
]
