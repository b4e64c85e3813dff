"""The defaults that more than one layer needs, each written once.

A base module (no imports), so the command line can show a default in ``--help`` without
loading the layer that uses it.
"""

from __future__ import annotations

__all__ = ["MAX_REQUESTS", "RUN_TIMEOUT"]

# Requests to the index at once (``--max-requests``): the HTTP client's thread pool and its
# connection pool per host are both this size. More is not faster here: every thread reads
# its body in TLS records of 16 KB, each read taking the GIL back from the resolver, and
# beyond about 8 threads that contention cost more CPU than the extra overlap saved (cold and
# cold-lock runs of ``benchmarks/compile.py``, 16 against 8 against 4).
MAX_REQUESTS = 8

# Seconds a whole run may spend on the indexes (``--timeout``): generous, since a cold compile
# of a large stack takes seconds, but finite, so a hung private index fails the run instead of
# blocking a CI job until the job's own limit.
RUN_TIMEOUT = 600.0
