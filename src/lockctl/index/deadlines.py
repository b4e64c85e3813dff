"""Time limits on the indexes: one request's, retries included, and the whole run's.

Connect and read timeouts alone bound only the wait for the next byte: a server that sends
one byte every few seconds, or a body that never ends, held a request (and the run waiting
on it) for as long as it kept sending. A ``Deadline`` is a moment on the monotonic clock; the
fetcher gives every request the earlier of its own deadline (``FetchPolicy.request_deadline``
after it starts) and the run's (``FetchPolicy.run_deadline`` after the fetcher was made, which
``open_index`` sets from ``--timeout``), and checks it before each attempt, before each
backoff sleep and after each chunk of a body. Socket timeouts are cut to what is left, so a
silent server is given up on at the deadline, not a read timeout later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from lockctl.errors import IndexUnreachable
from lockctl.urls import SecretURL

__all__ = ["Deadline"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    """``at`` on ``time.monotonic()``'s clock; ``seconds`` is the limit it was set from."""

    at: float
    seconds: float
    run: bool  # the run's limit (--timeout), not one request's

    @classmethod
    def after(cls, seconds: float, *, run: bool) -> Deadline:
        return cls(at=time.monotonic() + seconds, seconds=seconds, run=run)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def earliest(self, other: Deadline | None) -> Deadline:
        return self if other is None or self.at <= other.at else other

    def error(self, url: SecretURL, *, last: str = "") -> IndexUnreachable:
        """The error for a request to ``url`` that this deadline ended (``last``: why it failed)."""
        after = f" (last: {last})" if last else ""
        if self.run:
            return IndexUnreachable(
                f"the index did not answer within {self.seconds:g} s, the time this run may "
                f"spend on indexes{after}",
                url=url.redacted,
                hint="if the index is slow but working, give the run more time with "
                "--timeout SECONDS",
            )
        return IndexUnreachable(
            f"the index did not send a complete answer within {self.seconds:g} s{after}",
            url=url.redacted,
            hint=f"one request may take {self.seconds:g} s, retries included; "
            "the index or the network is too slow",
        )
