"""Use cases: what each command does, with no argv and no printing."""
