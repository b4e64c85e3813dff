"""The one line of figures ``lockctl compile -v`` ends with: where a run's time went."""

from __future__ import annotations

from lockctl.tracing import RunFigures

__all__ = ["render_figures"]


def render_figures(figures: RunFigures) -> str:
    """For example: ``figures: 2.41 s; 104 pages (0 cached); 160 metadata (12 cached); ...``.

    ``waited`` is the time the resolver sat idle for the network, and ``serial`` how many of
    those waits were for a fetch nobody had started ahead of it (a full round trip each).
    """
    megabytes = figures.bytes_received / 1e6
    return (
        f"figures: {figures.seconds:.2f} s; "
        f"{figures.pages + figures.pages_cached} pages ({figures.pages_cached} cached); "
        f"{figures.metadata + figures.metadata_cached} metadata "
        f"({figures.metadata_cached} cached); "
        f"{figures.requests} requests, {megabytes:.1f} MB; "
        f"waited {figures.waits} times, {figures.wait_seconds:.2f} s, "
        f"{figures.serial_fetches} serial; "
        f"{figures.rounds} resolver rounds, {figures.rejected} candidates rejected, "
        f"{figures.backtracks} backtracks"
    )
