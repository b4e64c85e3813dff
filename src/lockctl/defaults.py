"""The defaults that more than one layer needs, each written once.

A base module (no imports), so the command line can show a default in ``--help`` without
loading the layer that uses it.
"""

from __future__ import annotations

__all__ = ["MAX_REQUESTS"]

# Requests to the index at once (``--max-requests``): the HTTP client's thread pool and its
# connection pool per host are both this size.
MAX_REQUESTS = 16
