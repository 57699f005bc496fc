"""JSON entering from outside: depth checked before parsing; JSON-RPC 2.0 batches and notifications.

The deep-body test runs against a real ``rusty node`` process: before the nesting check, a
100,000-deep body made it die with SIGSEGV (py_ecc raises the recursion limit, so ``json.loads``
overflowed the C stack instead of raising ``RecursionError``).
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.adapter import parse_request, serve
from reference import jsonsafe
from reference.cli import main as rusty_main
from reference.daemon import rpc_port_of
from reference.node import Node
from reference.rpc import (
    INVALID_REQUEST,
    MAX_BATCH,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    basic_auth_header,
    call,
    read_cookie,
)
from tests.hypothesis_profiles import examples
from tests.node_process import ROOT, start_node

DEEP = 100_000


def _deep(depth: int = DEEP, opener: str = "[") -> str:
    closer = {"[": "]", "{": "}"}[opener]
    return opener * depth + closer * depth


# --- the shared helper -------------------------------------------------------------------------


def test_nesting_counts_brackets_outside_strings_only() -> None:
    assert jsonsafe.json_nesting("1") == 0
    assert jsonsafe.json_nesting("[]") == 1
    assert jsonsafe.json_nesting('{"a": [1, {"b": [[]]}]}') == 5
    assert jsonsafe.json_nesting('["[[[[[[", "\\"[[[[", "]]]]"]') == 1
    assert jsonsafe.json_nesting(b"[[], [[]], []]") == 3
    assert jsonsafe.json_nesting("[" * 10) == 10  # not JSON: some depth, the parser rejects it
    assert jsonsafe.json_nesting("]]]]") == 0


_LEAVES = st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n\u00e9')
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\a'), inner, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=examples(300))
@given(_VALUES, st.booleans())
def test_nesting_equals_the_parsed_depth(value: object, ascii_only: bool) -> None:
    """Strings full of quotes, backslashes and brackets never confuse the scan."""
    assert jsonsafe.json_nesting(json.dumps(value, ensure_ascii=ascii_only)) == _depth(value)


def test_loads_refuses_deep_text_without_parsing() -> None:
    limit = jsonsafe.MAX_JSON_NESTING
    assert jsonsafe.loads("[" * limit + "]" * limit) is not None
    with pytest.raises(jsonsafe.JsonTooDeep):
        jsonsafe.loads("[" * (limit + 1) + "]" * (limit + 1))
    for opener in "[{":
        with pytest.raises(jsonsafe.JsonTooDeep):
            jsonsafe.loads(_deep(DEEP, opener))
    with pytest.raises(ValueError):
        jsonsafe.loads("not json")
    with pytest.raises(ValueError):
        jsonsafe.loads(b"\xff\xfe")
    text = json.dumps({"k": "[" * 100})  # brackets inside a string are not nesting
    assert jsonsafe.loads(text) == {"k": "[" * 100}


def test_adapter_answers_a_deep_line_with_bad_request() -> None:
    _, problem = parse_request(_deep())
    assert problem is not None and "limit" in problem
    out = io.StringIO()
    serve(io.StringIO(_deep() + "\n" + '{"id": 2, "method": "shutdown"}\n'), out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["result"] == "bad_request" and second == {"id": 2, "result": "ok", "output": None}


def test_deep_json_in_a_subprocess_with_py_ecc_loaded_is_an_error_not_a_crash() -> None:
    """The helper in the conditions that crashed the node: py_ecc imported (raised recursion limit)."""
    code = (
        "import sys, py_ecc.bls, reference.jsonsafe as j\n"
        "try:\n    j.loads('[' * 100000 + ']' * 100000)\n"
        "except j.JsonTooDeep:\n    print('refused', sys.getrecursionlimit())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused")


def test_rusty_call_refuses_a_deep_parameter(tmp_path: Path) -> None:
    result = CliRunner().invoke(rusty_main, ["call", str(tmp_path), "getblock", _deep(1000)])
    assert result.exit_code != 0 and "limit" in result.output


# --- a real node process ------------------------------------------------------------------------


@pytest.fixture
def running_node(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    process = start_node(datadir)
    yield datadir, process
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


async def _post(datadir: Path, body: bytes | str) -> tuple[int, Any]:
    user, password = read_cookie(datadir)
    headers = {"Authorization": basic_auth_header(user, password), "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{rpc_port_of(datadir)}/"
        async with session.post(url, data=body, headers=headers) as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None


def test_node_answers_a_100000_deep_body_with_an_error_and_stays_up(
    running_node: tuple[Path, subprocess.Popen[bytes]],
) -> None:
    datadir, process = running_node

    async def scenario() -> None:
        for opener in "[{":
            status, answer = await _post(datadir, _deep(DEEP, opener))
            assert status == 200
            assert answer["id"] is None and answer["error"]["code"] == PARSE_ERROR
            assert "limit" in answer["error"]["message"]
        # a deep value inside an otherwise valid request is refused the same way
        body = '{"jsonrpc": "2.0", "id": 5, "method": "getblockcount", "params": ' + _deep() + "}"
        status, answer = await _post(datadir, body)
        assert answer["error"]["code"] == PARSE_ERROR
        assert process.poll() is None
        assert await call(rpc_port_of(datadir), datadir, "getblockcount") == -1

    asyncio.run(scenario())


def test_batches_and_notifications(running_node: tuple[Path, subprocess.Popen[bytes]]) -> None:
    datadir, _ = running_node

    def request(method: str, request_id: object = None, *params: object) -> dict[str, object]:
        message: dict[str, object] = {"jsonrpc": "2.0", "method": method, "params": list(params)}
        if request_id is not None:
            message["id"] = request_id
        return message

    async def scenario() -> None:
        # a batch: answers in request order, notifications left out, errors per element
        batch = [
            request("getblockcount", 1),
            request("generate", None, 2),  # a notification: executed, not answered
            request("nosuchmethod", "two"),
            7,
            request("getblockcount", 3),
        ]
        status, answer = await _post(datadir, json.dumps(batch))
        assert status == 200 and isinstance(answer, list)
        assert [item["id"] for item in answer] == [1, "two", None, 3]
        assert answer[0]["result"] == -1
        assert answer[1]["error"]["code"] == METHOD_NOT_FOUND
        assert answer[2]["error"]["code"] == INVALID_REQUEST
        assert answer[3]["result"] == 1  # the notification mined two blocks before it
        # a lone notification, and a batch of notifications only: 204, no body
        status, answer = await _post(datadir, json.dumps(request("getblockcount")))
        assert (status, answer) == (204, None)
        notifications = [request("nosuchmethod"), request("getblockcount")]
        status, answer = await _post(datadir, json.dumps(notifications))
        assert (status, answer) == (204, None)
        # an empty batch and an oversized batch are one Invalid Request error
        status, answer = await _post(datadir, "[]")
        assert answer["error"]["code"] == INVALID_REQUEST and answer["id"] is None
        oversized = [request("getblockcount", i) for i in range(MAX_BATCH + 1)]
        status, answer = await _post(datadir, json.dumps(oversized))
        assert isinstance(answer, dict) and answer["error"]["code"] == INVALID_REQUEST
        # a bad id type is an Invalid Request answered with id null
        bad_id = {"jsonrpc": "2.0", "id": [1], "method": "getblockcount"}
        status, answer = await _post(datadir, json.dumps(bad_id))
        assert answer["id"] is None and answer["error"]["code"] == INVALID_REQUEST
        # single requests are unchanged
        status, answer = await _post(datadir, json.dumps(request("getblockcount", 9)))
        assert answer == {"jsonrpc": "2.0", "id": 9, "result": 1}

    asyncio.run(scenario())
