from tests.reconcile.stacks import project

__all__ = ["project"]
