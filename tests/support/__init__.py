"""Test support: real distributions built in memory and a real loopback package index.

Nothing here mocks HTTP: ``IndexServer`` is an HTTP/1.1 server on 127.0.0.1 that speaks
PEP 503/691/658/714 and can inject faults, so client code is tested against real sockets.
"""
