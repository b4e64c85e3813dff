"""pip-compile's command line on ``lockctl compile``: every option handled, a no-op, or refused.

The walk over the installed pip-compile's ``--help`` fails on any option lockctl neither
declares nor lists in ``cli.pipcompile``'s tables; the other tests check what each option
does, on the real loopback index.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from lockctl.cli.main import main
from lockctl.cli.parser import build_parser, parse_argv
from lockctl.cli.pipcompile import NO_OPS, REFUSED
from lockctl.ops.commands import CompileCommand
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

PIP_COMPILE = Path(sys.executable).parent / "pip-compile"
_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def _compile_parser() -> object:
    parser = build_parser()
    for action in parser._actions:
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and "compile" in choices:
            return choices["compile"]
    raise AssertionError("no compile command")


def _lockctl_options() -> set[str]:
    return set(_compile_parser()._option_string_actions)  # type: ignore[attr-defined]


def _pip_compile_options() -> set[str]:
    """The option strings of ``pip-compile --help``: the first column of its option table."""
    text = subprocess.run(
        [str(PIP_COMPILE), "--help"], capture_output=True, text=True, check=True
    ).stdout
    table = text.split("Options:", 1)[1].split("Examples:", 1)[0]
    found: set[str] = set()
    for line in table.splitlines():
        if line.startswith("  -"):
            column = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
            found |= {opt for opt in _OPTION.findall(column) if opt not in ("-", "--")}
    return found


def _compile(*argv: str) -> CompileCommand:
    _, command = parse_argv(["compile", "requirements.in", *argv])
    assert isinstance(command, CompileCommand)
    return command


def test_every_pip_compile_option_is_handled_a_no_op_or_refused() -> None:
    theirs = _pip_compile_options()
    assert {"--constraint", "--annotation-style", "--pip-args", "--newline"} <= theirs  # read
    missing = sorted(theirs - _lockctl_options())
    assert not missing, f"pip-compile options lockctl neither handles nor refuses: {missing}"


@pytest.mark.parametrize("option", sorted(REFUSED))
def test_a_refused_option_says_what_to_use_instead(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [option] if option in ("--all-build-deps", "--only-build-deps") else [option, "x"]
    with pytest.raises(SystemExit) as exited:
        parse_argv(["compile", "requirements.in", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"{option} is not supported by lockctl compile: {REFUSED[option]}" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--resolver=backtracking"],
        ["--resolver", "backtracking"],
        ["--max-rounds", "10"],
        ["--reuse-hashes"],
        ["--no-reuse-hashes"],
        ["--build-isolation"],
        ["--no-build-isolation"],
        ["--color"],
        ["--no-color"],
    ],
)
def test_a_no_op_changes_nothing(argv: list[str]) -> None:
    assert argv[0].partition("=")[0] in NO_OPS
    assert replace(_compile(*argv), command_line="") == replace(_compile(), command_line="")


def test_the_legacy_resolver_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _compile("--resolver=legacy")
    assert exited.value.code == 2
    assert "use --resolver=backtracking" in capsys.readouterr().err


def test_abbreviated_long_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    command = _compile("--extra", "dev")
    assert command.extras == ("dev",) and command.index.options.extra_index_urls == ()
    for abbreviated in (["--extra-index", "dev"], ["--annotation", "line"], ["--pip", "--pre"]):
        with pytest.raises(SystemExit) as exited:
            _compile(*abbreviated)
        assert exited.value.code == 2
    assert "unrecognized arguments: --extra-index" in capsys.readouterr().err


def test_inputs_may_follow_options_as_click_takes_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, command = parse_argv(["compile", "a.in", "-o", "out.txt", "b.in", "--pre", "-"])
    assert isinstance(command, CompileCommand)
    assert command.inputs == (Path("a.in"), Path("b.in"), Path("-"))
    assert command.output_file == Path("out.txt") and command.pre
    with pytest.raises(SystemExit) as exited:  # an unknown option among them is still refused
        parse_argv(["compile", "a.in", "-o", "out.txt", "b.in", "--frobnicate"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --frobnicate" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # and only compile takes inputs that way
        parse_argv(["check", "a.txt", "--online", "b.txt", "c.txt"])


def test_pip_compile_spellings_map_to_lockctl_fields() -> None:
    command = _compile(
        "-c",
        "constraints.txt",
        "--annotation-style",
        "line",
        "--no-allow-unsafe",
        "--unsafe-package",
        "Pip_X",
        "--no-emit-trusted-host",
        "--no-emit-index-url",
        "--no-emit-find-links",
        "--no-emit-options",
        "--no-header",
        "--no-annotate",
        "--newline",
        "CRLF",
        "-r",
        "-n",
        "-p",
        "--uploaded-prior-to",
        "2026-01-01T00:00:00Z",
        "--cache-dir",
        "cachedir",
    )
    assert command.constraints == (Path("constraints.txt"),)
    assert command.annotation_style == "line" and command.allow_unsafe is False
    assert command.unsafe_packages == ("Pip_X",)
    assert not any(
        (
            command.emit_trusted_host,
            command.emit_index_url,
            command.emit_find_links,
            command.emit_options,
            command.header,
            command.annotate,
        )
    )
    assert command.newline == "crlf" and command.index.refresh and command.dry_run and command.pre
    assert command.exclude_newer == "2026-01-01T00:00:00Z"
    assert command.index.cache_dir == Path("cachedir")
    # And the positive spellings are the defaults.
    positive = _compile(
        "--emit-index-url", "--header", "--annotate", "--allow-unsafe", "--no-upgrade"
    )
    assert replace(positive, command_line="") == replace(_compile(), command_line="")


def test_quiet_and_verbose_anywhere_on_the_line() -> None:
    for argv in (
        ["-q", "compile", "requirements.in"],
        ["compile", "-q", "requirements.in"],
        ["compile", "requirements.in", "--quiet"],
    ):
        options, _ = parse_argv(argv)
        assert options.quiet
    options, _ = parse_argv(["compile", "requirements.in", "-v"])
    assert options.verbose


def test_output_file_dash_is_a_dry_run() -> None:
    command = _compile("-o", "-")
    assert command.output_file == Path("-") and command.dry_run


def test_pip_args_honoured_after_the_command_line() -> None:
    command = _compile(
        "-i",
        "https://first.example.invalid/simple",
        "--extra-index-url",
        "https://a.example.invalid/simple",
        "--pip-args",
        "--index-url=https://second.example.invalid/simple --extra-index-url "
        "https://b.example.invalid/simple -f ./wheels --trusted-host h.example.invalid --pre "
        "--no-cache-dir --retries 3 --timeout 60 -c more.txt",
    )
    options = command.index.options
    assert options.index_url == "https://second.example.invalid/simple"  # pip's last -i wins
    assert options.extra_index_urls == (
        "https://a.example.invalid/simple",
        "https://b.example.invalid/simple",
    )
    assert options.find_links == ("./wheels",)
    assert options.trusted_hosts == ("h.example.invalid",)
    assert command.pre and command.constraints == (Path("more.txt"),)


@pytest.mark.parametrize(
    ("pip_args", "named"),
    [
        ("--no-binary :all:", "--pip-args --no-binary: lockctl resolves from wheels"),
        ("--only-binary=:all:", "--pip-args --only-binary: lockctl does not honour"),
        ("--prefer-binary", "--pip-args --prefer-binary: it changes which versions"),
        ("--frobnicate", "--pip-args '--frobnicate': lockctl does not know"),
        ("--index-url", "--pip-args --index-url needs a value"),
        ("'unclosed", "cannot be split into words"),
    ],
)
def test_pip_args_refused_naming_the_option(
    pip_args: str, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _compile("--pip-args", pip_args)
    assert exited.value.code == 2
    assert named in capsys.readouterr().err


def test_pip_tools_config_gives_defaults_the_command_line_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pip-tools]\n"
        "generate-hashes = true\n"
        "allow_unsafe = false\n"
        "annotation-style = 'line'\n"
        "extra-index-url = ['https://a.example.invalid/simple']\n"
        "header = false\n"
        "[tool.pip-tools.compile]\n"
        "upgrade-package = ['rich']\n"
        "quiet = true\n"
        "[tool.pip-tools.sync]\n"
        "ask = true\n"
    )
    options, command = parse_argv(["compile", "requirements.in", "--annotation-style", "split"])
    assert isinstance(command, CompileCommand)
    assert command.generate_hashes and not command.allow_unsafe and not command.header
    assert command.annotation_style == "split"  # the command line wins
    assert command.index.options.extra_index_urls == ("https://a.example.invalid/simple",)
    assert command.upgrade_packages == ("rich",) and options.quiet
    # A list on the command line replaces the file's, as click's defaults do.
    command = _compile("--extra-index-url", "https://b.example.invalid/simple")
    assert command.index.options.extra_index_urls == ("https://b.example.invalid/simple",)
    assert not _compile("--no-config").generate_hashes
    (tmp_path / "other.toml").write_text("[tool.pip-tools]\nstrip-extras = false\n")
    command = _compile("--config", "other.toml")
    assert not command.strip_extras and not command.generate_hashes


def test_a_project_table_is_not_overridden_by_pip_tools_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pip-tools]\ngenerate-hashes = true\n[tool.lockctl]\n"
    )
    assert not _compile().generate_hashes


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.pip-tools]\nfrobnicate = 1\n", "key 'frobnicate' is not a pip-compile option"),
        ("[tool.pip-tools]\nindex-url = true\n", "index-url = True: give it a value"),
        ("[tool.pip-tools\n", "cannot be read as TOML"),
        ("[tool.pip-tools]\ncert = 'ca.pem'\n", "--cert is not supported by lockctl compile"),
    ],
)
def test_a_bad_pip_tools_config_is_exit_2(
    toml: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".pip-tools.toml").write_text(toml)
    with pytest.raises(SystemExit) as exited:
        _compile()
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_missing_config_file_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        _compile("--config", "nothere.toml")
    assert exited.value.code == 2
    assert "--config nothere.toml: no such file" in capsys.readouterr().err


# Behaviour on the real loopback index.


@pytest.fixture
def project(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib>=1", "setuptools"]))
    index_server.add(make_wheel("lib", "1.0"))
    index_server.add(make_wheel("lib", "1.1"))
    index_server.add(make_wheel("setuptools", "70.0"))
    (tmp_path / "requirements.in").write_text("app\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CUSTOM_COMPILE_COMMAND", raising=False)
    return tmp_path


def _run(server: IndexServer, *argv: str) -> int:
    return main(
        [
            "compile",
            "requirements.in",
            "-i",
            server.simple_url,
            "--python-version",
            "3.11",
            "--platform",
            "linux_x86_64",
            "--no-header",
            *argv,
        ]
    )


def test_constraint_files_constrain_and_are_named(project: Path, index_server: IndexServer) -> None:
    (project / "constraints.txt").write_text("lib<1.1\n")
    assert _run(index_server, "-q", "-c", "constraints.txt") == 0
    text = (project / "requirements.txt").read_text()
    assert "lib==1.0\n    # via\n    #   -c constraints.txt\n    #   app\n" in text


def test_line_annotations_and_unsafe_packages(project: Path, index_server: IndexServer) -> None:
    assert _run(index_server, "-q", "--annotation-style", "line", "--no-allow-unsafe") == 0
    text = (project / "requirements.txt").read_text()
    assert "app==1.0                  # via -r requirements.in\n" in text
    assert text.endswith(
        "# The following packages are considered to be unsafe in a requirements file:\n"
        "# setuptools\n"
    )
    assert _run(index_server, "-q", "--unsafe-package", "LIB") == 0
    text = (project / "requirements.txt").read_text()
    assert text.endswith(
        "# The following packages are considered to be unsafe in a requirements file:\n"
        "lib==1.1\n    # via app\n"
    )
    assert "setuptools==70.0\n    # via app\n" in text.split("unsafe")[0]


def test_emit_switches(project: Path, index_server: IndexServer) -> None:
    argv = ("-q", "--trusted-host", "127.0.0.1", "-f", "wheels")
    (project / "wheels").mkdir()
    assert _run(index_server, *argv) == 0
    text = (project / "requirements.txt").read_text()
    assert text.startswith(
        f"--index-url {index_server.simple_url}\n--find-links wheels\n--trusted-host 127.0.0.1\n\n"
    )
    for switch, gone in (
        ("--no-emit-index-url", "--index-url"),
        ("--no-emit-find-links", "--find-links"),
        ("--no-emit-trusted-host", "--trusted-host"),
    ):
        assert _run(index_server, *argv, switch) == 0
        text = (project / "requirements.txt").read_text()
        assert gone not in text and text.count("\n--") == 1, switch
    assert _run(index_server, *argv, "--no-emit-options") == 0
    assert (project / "requirements.txt").read_text().startswith("app==1.0\n")


def test_newline_crlf_and_preserve(project: Path, index_server: IndexServer) -> None:
    lock = project / "requirements.txt"
    assert _run(index_server, "-q", "--newline", "crlf") == 0
    assert lock.read_bytes().count(b"\r\n") == lock.read_bytes().count(b"\n") > 3
    assert _run(index_server, "-q") == 0  # preserve: the existing lock's CRLF
    assert b"\r\n" in lock.read_bytes()
    assert _run(index_server, "-q", "--newline", "LF") == 0
    assert b"\r\n" not in lock.read_bytes()
    lock.unlink()
    (project / "requirements.in").write_bytes(b"app\r\n")  # preserve: else the input's
    assert _run(index_server, "-q") == 0
    assert b"\r\n" in lock.read_bytes()


def test_output_dash_writes_the_lock_to_stdout_only(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(index_server, "-o", "-") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"--index-url {index_server.simple_url}\n\napp==1.0\n")
    assert "app==1.0" not in captured.err
    assert sorted(path.name for path in project.iterdir()) == ["cache", "requirements.in"]


def test_an_output_that_is_the_input_is_refused(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(index_server, "-o", "requirements.in") == 2
    assert "the output requirements.in is requirements.in" in capsys.readouterr().err
    assert (project / "requirements.in").read_text() == "app\n"


def test_unused_command_line_overrides_and_upgrades_warn(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "overrides.txt").write_text("ghostfile>1\nlib<2\n")
    argv = ("--override", "ghost>1", "--override-file", "overrides.txt", "-P", "nope")
    assert _run(index_server, *argv, "-P", "lib") == 0
    err = capsys.readouterr().err
    assert "warning: --override ghost>1 names a project that no lock uses" in err
    assert "warning: the override ghostfile>1 (overrides.txt:1) names a project" in err
    assert "warning: --upgrade-package nope names a project that no lock uses" in err
    assert "lib" not in err.replace("(overrides.txt", "")


def test_inputs_labels_constraint_includes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "top.in").write_text("-c cons.txt\n--constraint=more.txt\n-r base.in\n")
    (tmp_path / "cons.txt").write_text("lib<2\n")
    (tmp_path / "more.txt").write_text("rich<14\n")
    (tmp_path / "base.in").write_text("app\n")
    assert main(["inputs", "--constraints", str(tmp_path / "top.in")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"lib<2 (constraint)  [{tmp_path / 'cons.txt'}:1]  <- -c {tmp_path / 'top.in'}:1",
        f"rich<14 (constraint)  [{tmp_path / 'more.txt'}:1]  <- -c {tmp_path / 'top.in'}:2",
        f"app  [{tmp_path / 'base.in'}:1]  <- -r {tmp_path / 'top.in'}:3",
    ]


def test_check_knows_the_constraint_files(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "constraints.txt").write_text("lib<1.1\n")
    assert (
        main(
            [
                "-q",
                "compile",
                "requirements.in",
                "-c",
                "constraints.txt",
                "-i",
                index_server.simple_url,
                "--python-version",
                "3.11",
            ]
        )
        == 0
    )
    assert main(["check", "requirements.txt"]) == 0
    (project / "constraints.txt").write_text("lib<1.05\n")
    assert main(["check", "requirements.txt"]) == 1
    assert "constraints.txt: lib<1.1 -> lib<1.05" in capsys.readouterr().out


def test_a_value_that_starts_with_a_dash_is_the_options_value() -> None:
    # click takes the word after an option that needs a value as its value; so does lockctl.
    assert _compile("--pip-args", "--pre").pre
    assert _compile("--override", "-r other.in").overrides == ("-r other.in",)
    assert _compile("-o", "-").output_file == Path("-")
    _, command = parse_argv(["check", "compile"])  # only compile's options are joined
    assert not isinstance(command, CompileCommand)


def test_the_header_leaves_out_what_only_this_run_does() -> None:
    # pip-compile's COMPILE_EXCLUDE_OPTIONS: the command a lock names can be run again as is.
    command = _compile(
        "-U", "-P", "rich", "--upgrade-package=six", "-Pidna", "-q", "-v", "-n", "-r",
        "--cache-dir", "c", "--no-config", "--override", "-r x", "-o", "out.txt", "--pre",
    )  # fmt: skip
    assert (
        command.command_line == "lockctl compile requirements.in '--override=-r x' -o out.txt --pre"
    )
