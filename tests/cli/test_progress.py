from __future__ import annotations

import io

from lockctl.cli.progress import Progress
from lockctl.ops.compile import ProgressSnapshot


def test_the_live_line_is_drawn_and_cleared() -> None:
    stream = io.StringIO()
    with Progress(enabled=True, stream=stream) as progress:
        progress.update(ProgressSnapshot(projects=12, in_flight=3, cache_hits=40))
        progress.update(ProgressSnapshot(projects=13, in_flight=2, cache_hits=41))  # too soon
        progress.print("warning: something")
    text = stream.getvalue()
    assert text.count("resolving: 12 packages, 3 requests in flight, 40 cache hits") == 1
    assert "13 packages" not in text
    assert "\r\x1b[Kwarning: something\n" in text


def test_nothing_is_drawn_when_disabled() -> None:
    stream = io.StringIO()
    with Progress(enabled=False, stream=stream) as progress:
        progress.update(ProgressSnapshot(projects=1, in_flight=0, cache_hits=0))
    assert stream.getvalue() == ""
