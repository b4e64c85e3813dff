"""Resolution on resolvelib: a provider over a small PackageSource Protocol, for a target.

Names are imported on first use (PEP 562): ``lockctl check`` reads the models (a lock's
pins, a fix) without loading resolvelib and the provider, which only resolving needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockctl.lazy import lazy_attributes

if TYPE_CHECKING:
    from lockctl.resolver.errors import (
        ResolutionTooDeep,
        UnknownProject,
        UnsupportedRequirement,
    )
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
    from lockctl.resolver.search import resolve
    from lockctl.target import PLATFORMS, TargetEnvironment

_LAZY = {
    "ResolutionTooDeep": "errors",
    "UnknownProject": "errors",
    "UnsupportedRequirement": "errors",
    "suggest_fixes": "explain",
    "Fix": "fixes",
    "FixKind": "fixes",
    "ConflictCause": "models",
    "Origin": "models",
    "OverrideNote": "models",
    "PackageSource": "models",
    "Preferences": "models",
    "Release": "models",
    "Resolution": "models",
    "ResolutionConflict": "models",
    "ResolvedPin": "models",
    "RootRequirement": "models",
    "LockProvider": "provider",
    "resolve": "search",
}

_TARGET = {"PLATFORMS", "TargetEnvironment"}


def __getattr__(name: str) -> object:
    if name in _TARGET:  # re-exported from the base module that owns them
        import lockctl.target

        return getattr(lockctl.target, name)
    return _lazy(name)


_lazy = lazy_attributes(__name__, _LAZY)

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
