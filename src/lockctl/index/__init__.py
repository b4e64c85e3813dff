"""Client for the simple repository API (PEP 503 / 691), find-links, metadata and cache."""

from lockctl.index.cache import Cache, default_cache_dir
from lockctl.index.client import ClientOptions, IndexClient
from lockctl.index.coremeta import CoreMetadata
from lockctl.index.fetcher import Fetcher, FetchPolicy, HttpFetcher, Response
from lockctl.index.models import DistributionFile, ProjectNotFound, ProjectPage
from lockctl.index.settings import IndexOptions, IndexSettings

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
