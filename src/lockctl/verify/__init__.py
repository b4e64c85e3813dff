"""Proving a lock in throwaway sandboxes: the container runtime Protocol and its docker SDK
adapter (``dockersdk``, the only module of lockctl that imports ``docker``, and its
``dockerlayer``), lock-only mode's install with the wheelhouse it keeps (``lockinstall``,
``wheelhouse``), the throwaway virtual environment, the probe that runs inside, and the
comparison of what is installed with the lock.

Nothing is imported here: ``lockctl.verify.dockersdk`` (and with it the docker SDK) loads
only when a container is asked for.
"""
