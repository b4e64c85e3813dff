"""Where the engine is: DOCKER_HOST, then DOCKER_CONTEXT or the current context, then the
default socket, as the Docker command line decides; and a context's address is really used."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from lockctl.cli.main import main
from lockctl.errors import UsageError
from lockctl.verify.endpoint import DEFAULT_SOCKET, find_endpoint
from tests.verify.conftest import BASE_IMAGE, write_lock


def _context(config: Path, name: str, host: str, *, tls: bool = False) -> None:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    endpoint = {"Host": host, "SkipTLSVerify": False}
    (meta / "meta.json").write_text(json.dumps({"Name": name, "Endpoints": {"docker": endpoint}}))
    if tls:
        certs = config / "contexts" / "tls" / digest / "docker"
        certs.mkdir(parents=True)
        (certs / "ca.pem").write_text("not a real certificate")


def test_docker_host_wins(tmp_path: Path) -> None:
    _context(tmp_path, "remote", "tcp://10.0.0.9:2376")
    environ = {"DOCKER_HOST": "tcp://127.0.0.1:2375", "DOCKER_CONTEXT": "remote"}
    endpoint = find_endpoint({**environ, "DOCKER_CONFIG": str(tmp_path)})
    assert endpoint.url == "tcp://127.0.0.1:2375"
    assert endpoint.describe() == "tcp://127.0.0.1:2375 (DOCKER_HOST)"
    assert endpoint.from_environment


def test_docker_context_names_a_context_whose_endpoint_is_read(tmp_path: Path) -> None:
    _context(tmp_path, "podman", "unix:///run/user/1000/podman/podman.sock", tls=True)
    endpoint = find_endpoint({"DOCKER_CONTEXT": "podman", "DOCKER_CONFIG": str(tmp_path)})
    assert endpoint.url == "unix:///run/user/1000/podman/podman.sock"
    assert endpoint.source == "Docker context 'podman' (DOCKER_CONTEXT)"
    assert (
        endpoint.tls_dir
        == tmp_path / "contexts" / "tls" / hashlib.sha256(b"podman").hexdigest() / "docker"
    )


def test_the_current_context_of_config_json_is_used(tmp_path: Path) -> None:
    _context(tmp_path / ".docker", "remote", "ssh://builder@example.invalid")
    (tmp_path / ".docker" / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    endpoint = find_endpoint({}, home=tmp_path)
    assert endpoint.url == "ssh://builder@example.invalid"
    assert endpoint.source.startswith("Docker context 'remote' (currentContext in ")


def test_the_default_context_and_no_configuration_mean_the_default_socket(tmp_path: Path) -> None:
    assert find_endpoint({"DOCKER_CONTEXT": "default"}, home=tmp_path).url == DEFAULT_SOCKET
    endpoint = find_endpoint({}, home=tmp_path)
    assert endpoint.describe() == f"{DEFAULT_SOCKET} (the default socket)"


def test_an_unknown_context_is_bad_input_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Docker context 'nope' \\(DOCKER_CONTEXT\\)"):
        find_endpoint({"DOCKER_CONTEXT": "nope", "DOCKER_CONFIG": str(tmp_path)})


def test_verify_talks_to_the_engine_a_context_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A context whose engine is not there: the error names the context's address, so the
    context (not the default socket, which may well answer) is what lockctl asked."""
    _context(tmp_path, "elsewhere", "tcp://127.0.0.1:9")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("DOCKER_CONTEXT", "elsewhere")
    lock = write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))
    assert main(["verify", str(lock), "--base-image", BASE_IMAGE]) == 3
    err = capsys.readouterr().err
    assert "no container engine answers at tcp://127.0.0.1:9 (Docker context 'elsewhere'" in err


def test_a_bogus_docker_host_is_exit_3_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    lock = write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))
    assert main(["verify", str(lock), "--base-image", BASE_IMAGE]) == 3
    err = capsys.readouterr().err
    assert "no container engine answers at tcp://127.0.0.1:9 (DOCKER_HOST)" in err
    assert "scripts/docker-engine.sh" in err and "--sandbox venv" in err
    assert os.environ["DOCKER_HOST"] == "tcp://127.0.0.1:9"
