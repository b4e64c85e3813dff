"""Property-style checks over generated text (no hypothesis: a seeded generator).

Whatever the text, parsing either raises one of lockctl's input errors or gives entries
that cover every physical line once, in order, and render back to the exact text.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lockctl.errors import InputError
from lockctl.reqfile import parse_text

# Lines that parse on their own; the generator glues them with awkward separators.
_LINES = (
    "foo==1.0",
    "Bar_baz[x, y] >=2 ; python_version < '3.12'",
    'pkg @ https://files.example/x.whl ; os_name == "nt"',
    "  # a comment",
    "",
    "\t",
    "rich  # why",
    "foo==1 \\",
    "foo==1 \\\n    --hash=sha256:ab \\\r\n    --hash=sha512:cd",
    "--pre",
    "--index-url https://u:p@h/s  # idx",
    "-i ${INDEX}",
    "-e ./p",
    "-e git+https://h/r.git#egg=r",
    "--find-links ./wheels --trusted-host h",
    "cafe-pkg==1  # café ☕",
    "pkg @ https://h/${lower}/p.whl",
)
# Pieces that may break a line: each run of the parser must still end in a value or an
# InputError, never another exception.
_JUNK = ("\\", "#", " #", "'", '"', "${X", "-r", " --no-index=1", "[", "@", "--", "é")
_TERMINATORS = ("\n", "\n", "\n", "\r\n", "\r", "\x0c", "\u2028", "")


def _generate(rng: random.Random) -> str:
    # A UTF-8 byte-order mark may open a file (Windows editors write one).
    parts = ["\ufeff"] if rng.random() < 0.1 else []
    for _ in range(rng.randint(0, 12)):
        line = rng.choice(_LINES)
        if rng.random() < 0.15:
            line += rng.choice(_JUNK)
        parts.append(line + rng.choice(_TERMINATORS))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(300))
def test_parse_is_lossless_or_reports_input_error(seed: int, tmp_path: Path) -> None:
    text = _generate(random.Random(seed))
    try:
        parsed = parse_text(text, path=tmp_path / "r.in", environ={"INDEX": "https://i/s"})
    except InputError:
        return
    assert parsed.render() == text
    covered: list[int] = []
    for entry in parsed.entries:
        span = list(range(entry.source.line, entry.source.end_line + 1))
        if covered[-len(span) :] != span:
            covered.extend(span)
    assert covered == list(range(1, len(text.splitlines()) + 1))
