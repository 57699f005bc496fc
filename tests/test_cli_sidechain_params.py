"""``rusty sidechain transfer|withdraw``: the RPC parameters, with and without the optional ``--fee``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reference import cli

Call = tuple[Path, str, tuple[object, ...]]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    recorded: list[Call] = []
    monkeypatch.setattr(
        cli, "_rpc", lambda datadir, method, *params: recorded.append((datadir, method, params))
    )
    return recorded


@pytest.mark.parametrize(
    ("args", "method", "params"),
    [
        (["transfer", "d", "1", "ab01", "1000"], "sidechaintransfer", (1, "ab01", 1000)),
        (["transfer", "d", "1", "ab01", "1000", "--fee", "7"], "sidechaintransfer", (1, "ab01", 1000, 7)),
        (["transfer", "d", "2", "ab01", "0", "--fee", "0"], "sidechaintransfer", (2, "ab01", 0, 0)),
        (["withdraw", "d", "1", "2000"], "sidechainwithdraw", (1, 2000, None)),
        (["withdraw", "d", "1", "2000", "--script", "76a9"], "sidechainwithdraw", (1, 2000, "76a9")),
        (["withdraw", "d", "3", "5", "--fee", "9"], "sidechainwithdraw", (3, 5, None, 9)),
    ],
)
def test_sidechain_commands_pass_fee_only_when_given(
    calls: list[Call], args: list[str], method: str, params: tuple[object, ...]
) -> None:
    result = CliRunner().invoke(cli.main, ["sidechain", *args])
    assert result.exit_code == 0, result.output
    assert calls == [(Path("d"), method, params)]


def test_negative_fee_is_rejected_before_any_call(calls: list[Call]) -> None:
    result = CliRunner().invoke(cli.main, ["sidechain", "transfer", "d", "1", "ab01", "1", "--fee", "-1"])
    assert result.exit_code == 2 and "--fee" in result.output
    assert calls == []
