"""How much text the requirements-file parser takes.

A requirements file may come from anyone (a pull request, a project just cloned), and every
line is printed, redacted and parsed. Each pass over it is linear, and these limits keep
the text itself to a size no real file comes near, so that a hostile file is refused in
milliseconds, with its file and line, instead of holding lockctl for minutes or gigabytes.
"""

from __future__ import annotations

__all__ = ["MAX_FILE_SIZE", "MAX_LINES", "MAX_LINE_CHARS", "MAX_NAME_CHARS", "SHOWN_CHARS"]

# A whole file, in bytes as read from disk (in characters for text given to parse_text).
# A lock of 2,000 pins with 30 hashes each, about 90 characters a hash line, is 5.4 MB.
MAX_FILE_SIZE = 50_000_000

# Physical lines in one file. Every line becomes a few objects and a requirement line a
# packaging parse, so the number of lines bounds the time and memory a file costs far more
# than its size does: 50 MB of "a\n" would be 25 million requirements. pip-compile writes
# each --hash on a line of its own; that lock of 2,000 pins is about 70,000 lines.
MAX_LINES = 200_000

# One logical line without its comment (continuations joined), before and after ${VAR}
# expansion: what pip would parse. The longest real lines are a pin with its --hash
# options; 1,000,000 characters is over 10,000 hashes. A comment is not limited beyond the
# file's own limit: pip never parses it, and lockctl only keeps it.
MAX_LINE_CHARS = 1_000_000

# A project name (PEP 508's identifier at the start of a requirement, or an #egg= name): a
# word a person types and an index serves a page for, so a few hundred characters is
# generous; it also keeps messages and index URLs that hold a name short.
MAX_NAME_CHARS = 300

# How much of an over-long line or name an error keeps, so that printing it stays small.
SHOWN_CHARS = 80
