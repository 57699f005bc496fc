"""The command lines follow bitcoind / bitcoin-cli: examples in every ``--help``, ``--version``,
one-line RPC errors with JSON-RPC 2.0 codes (and the server range for the node's own)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from conformance.cli import main as rusty_spec
from reference.cli import main as rusty
from reference.node import Node
from reference.rpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    NOT_FOUND,
    REJECTED,
    WALLET_ERROR,
    RpcServer,
)
from tests.node_process import start_node


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "group, program", [(rusty, "rusty"), (rusty_spec, "rusty-spec")], ids=["rusty", "rusty-spec"]
)
def test_every_command_help_lists_examples_of_itself(group: click.Group, program: str) -> None:
    runner = CliRunner()
    commands = [(), *_commands(group)]
    assert len(commands) >= 5
    for path in commands:
        result = runner.invoke(group, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        examples = result.output.split("Examples:", 1)
        assert len(examples) == 2, f"{program} {' '.join(path)} --help has no examples"
        lines = [line.strip() for line in examples[1].splitlines() if line.strip()]
        assert lines and all(line.startswith(program) for line in lines), lines
        assert any(line.startswith(" ".join((program, *path))) for line in lines), (path, lines)


@pytest.mark.parametrize(
    "group, program", [(rusty, "rusty"), (rusty_spec, "rusty-spec")], ids=["rusty", "rusty-spec"]
)
def test_version_prints_the_suite_and_protocol_versions(group: click.Group, program: str) -> None:
    result = CliRunner().invoke(group, ["--version"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    version = lines[0].split()[1]
    assert lines[0] == f"{program} {version}" and version.count(".") == 2
    assert f"suite: rusty-coin-spec {version}" in lines
    assert any(line.startswith("P2P protocol: ") and "devnet 1 (min 1)" in line for line in lines)
    if program == "rusty-spec":
        assert "vector format: 1" in lines and "adapter protocol: 1" in lines


@pytest.fixture
def running_node(tmp_path: Path) -> Iterator[Path]:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    process = start_node(datadir)
    yield datadir
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def _call(datadir: Path, *args: str) -> Any:
    return CliRunner().invoke(rusty, ["call", str(datadir), *args])


def test_rusty_call_prints_rpc_errors_as_one_line_with_the_code(running_node: Path) -> None:
    ok = _call(running_node, "getblockcount")
    assert ok.exit_code == 0 and json.loads(ok.stdout) == -1
    cases = [
        (("nosuchmethod",), f"error code: {METHOD_NOT_FOUND}, error message: unknown method 'nosuchmethod'"),
        (("getblock", "x"), f"error code: {INVALID_PARAMS}, error message: parameter 0 must be an integer"),
        (("getblock", "99"), f"error code: {NOT_FOUND}, error message: no block at height 99"),
        (
            ("sendtoaddress", "00" * 20, "5000"),
            f"error code: {WALLET_ERROR}, error message: the wallet has 0",
        ),
        (("sendrawtransaction", "00"), f"error code: {REJECTED}, error message: "),
    ]
    for args, start in cases:
        result = _call(running_node, *args)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(start), result.stderr
    rejected = _call(running_node, "sendrawtransaction", "00").stderr
    assert rejected.rstrip().rsplit(", spec code: ", 1)[1].startswith("DECODE_")


def test_rusty_call_without_a_running_node_says_so(tmp_path: Path) -> None:
    result = _call(tmp_path, "getstatus")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach the node's RPC in {tmp_path}")
    assert "Traceback" not in result.output


def test_an_unexpected_exception_is_an_internal_error_not_a_crash(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "node", "devnet")
    try:
        server = RpcServer(node)

        async def broken(params: list[Any]) -> Any:
            raise KeyError("a bug")

        server.methods["broken"] = broken
        answer = asyncio.run(server.answer(b'{"jsonrpc": "2.0", "id": 7, "method": "broken"}'))
        assert answer == {
            "jsonrpc": "2.0",
            "id": 7,
            "error": {"code": INTERNAL_ERROR, "message": "internal error: KeyError"},
        }
        assert INTERNAL_ERROR == -32603 and -32099 <= REJECTED <= -32000
        assert -32099 <= WALLET_ERROR <= -32000 and -32099 <= NOT_FOUND <= -32000
    finally:
        node.close()
