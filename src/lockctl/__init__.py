"""lockctl: compile, prove and guard pip requirement lockfiles."""

__all__ = ["__version__"]

__version__ = "0.1.0"
