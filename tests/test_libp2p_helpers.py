"""tests/libp2p_helpers.py's ``run_trio``: an error inside nested nurseries is shown by its leaves."""

from __future__ import annotations

import pytest
import trio

from tests.libp2p_helpers import leaf_exceptions, run_trio


def test_run_trio_shows_the_leaf_errors_of_nested_exception_groups() -> None:
    async def fail(message: str) -> None:
        raise ValueError(message)

    async def main() -> None:
        async with trio.open_nursery() as outer:
            outer.start_soon(fail, "outer leaf")
            async with trio.open_nursery() as inner:
                inner.start_soon(fail, "inner leaf")

    with pytest.raises(AssertionError) as caught:
        run_trio(main)
    text = str(caught.value)
    assert text.startswith("2 error(s) inside trio.run:")
    assert "ValueError: outer leaf" in text and "ValueError: inner leaf" in text
    assert "in fail" in text  # each leaf with its own traceback
    group = caught.value.__cause__
    assert isinstance(group, BaseExceptionGroup)
    assert sorted(str(leaf) for leaf in leaf_exceptions(group)) == ["inner leaf", "outer leaf"]


def test_run_trio_returns_the_result_and_lets_a_bare_error_through() -> None:
    async def answer() -> int:
        await trio.sleep(0)
        return 42

    async def bare() -> None:
        raise KeyError("bare")

    assert run_trio(answer) == 42
    with pytest.raises(KeyError):
        run_trio(bare)
