"""The command line: argv in, one command dataclass, ops, printed results and an exit code."""
