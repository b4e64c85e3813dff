"""Client for the simple repository API (PEP 503 / 691), find-links, metadata and cache."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockctl.lazy import lazy_attributes

if TYPE_CHECKING:
    from lockctl.index.cache import Cache, default_cache_dir
    from lockctl.index.client import ClientOptions, IndexClient
    from lockctl.index.coremeta import CoreMetadata
    from lockctl.index.fetcher import Fetcher, FetchPolicy, HttpFetcher, Response
    from lockctl.index.models import DistributionFile, ProjectNotFound, ProjectPage
    from lockctl.index.settings import IndexOptions, IndexSettings

_LAZY = {
    "Cache": "cache",
    "default_cache_dir": "cache",
    "ClientOptions": "client",
    "IndexClient": "client",
    "CoreMetadata": "coremeta",
    "Fetcher": "fetcher",
    "FetchPolicy": "fetcher",
    "HttpFetcher": "fetcher",
    "Response": "fetcher",
    "DistributionFile": "models",
    "ProjectNotFound": "models",
    "ProjectPage": "models",
    "IndexOptions": "settings",
    "IndexSettings": "settings",
}


# PEP 562: the page worker process (python -m lockctl.index.pageworker) imports this package
# first; loaded eagerly, it pulled in the HTTP client the worker never uses and delayed the
# first page it could parse.
__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "Cache",
    "ClientOptions",
    "CoreMetadata",
    "DistributionFile",
    "FetchPolicy",
    "Fetcher",
    "HttpFetcher",
    "IndexClient",
    "IndexOptions",
    "IndexSettings",
    "ProjectNotFound",
    "ProjectPage",
    "Response",
    "default_cache_dir",
]
