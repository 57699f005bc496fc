"""The ``chain_plain_spend`` harness (``fuzz/chain_harnesses.py``) has teeth.

* its seeds run clean, and reach both outcomes of ``plain_spend``: answered (the genuine spend, a
  mature coinbase entry, released escrow value, a reached lock time, a lower output value) and
  declined (every other seed), and the readable steps both pass and reject among the declined;
* a ``plain_spend`` with one of its checks left out (the ticket pool, the tickets bought in the
  block, the outputs' P2PKH template), a wrong fee, or a ``SpecError`` instead of ``None`` is
  caught by at least one seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import fuzz.chain_harnesses as chain_harnesses
from fuzz.chain_harnesses import ChainInvariantViolation, fuzz_plain_spend, plain_spend_seeds
from spec.chain.state import plain_spend
from spec.errors import TicketLocked
from spec.ledger.transaction import OutPoint, txid
from spec.ledger.utxo import UtxoEntry
from spec.ledger.validation import is_checked, plain_p2pkh_fee

PlainSpend = Callable[..., Any]


@contextmanager
def _plain_spend(replacement: PlainSpend) -> Iterator[None]:
    """Run the harness with ``replacement`` in place of ``spec.chain.state.plain_spend``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chain_harnesses, "plain_spend", replacement)
        yield


def test_the_seeds_reach_both_outcomes() -> None:
    outcomes: dict[str, bool] = {}
    current = [""]

    def recording(*arguments: Any) -> Any:
        result = plain_spend(*arguments)
        outcomes[current[0]] = result is not None
        return result

    with _plain_spend(recording):
        for name, data in plain_spend_seeds().items():
            current[0] = name
            fuzz_plain_spend(data)
    answered = {name for name, answer in outcomes.items() if answer}
    assert {"seed-genuine", "seed-mature-coinbase", "seed-released", "seed-lower-value"} <= answered
    assert len(outcomes) - len(answered) >= 15
    assert len(outcomes) == len(plain_spend_seeds())  # no seed stops at decoding


def _without_pool(tx: Any, utxos: Any, pool: Any, bought: Any, *rest: Any) -> Any:
    return plain_spend(tx, utxos, {}, bought, *rest)


def _without_bought(tx: Any, utxos: Any, pool: Any, bought: Any, *rest: Any) -> Any:
    return plain_spend(tx, utxos, pool, set(), *rest)


def _fee_plus_one(*arguments: Any) -> Any:
    result = plain_spend(*arguments)
    return None if result is None else (result[0] + 1, *result[1:])


def _raising(*arguments: Any) -> Any:
    if plain_spend(*arguments) is None:
        raise TicketLocked("declined")
    return plain_spend(*arguments)


def _any_output(
    tx: Any, utxos: Any, pool: Any, bought: Any, context: Any, preset: Any, released: int = 0
) -> Any:
    """``plain_spend`` without its output template check (every output kept as P2PKH)."""
    if not is_checked(tx, preset) or any(
        i.previous_output in pool or i.previous_output in bought for i in tx.inputs
    ):
        return None
    fee = plain_p2pkh_fee(tx, utxos, context, preset, released)
    if fee is None:
        return None
    tx_id = txid(tx, preset)
    return fee, tuple(
        (OutPoint(tx_id, index), UtxoEntry(output, context.height, False))
        for index, output in enumerate(tx.outputs)
    )


@pytest.mark.parametrize(
    ("planted", "seed"),
    [
        (_without_pool, "seed-pooled-ticket"),
        (_without_bought, "seed-bought-here"),
        (_fee_plus_one, "seed-genuine"),
        (_raising, "seed-unchecked"),
        (_any_output, "seed-ticket-at-price"),
        (_any_output, "seed-op-return"),
    ],
)
def test_a_planted_fault_is_caught_by_its_seed(planted: PlainSpend, seed: str) -> None:
    data = plain_spend_seeds()[seed]
    fuzz_plain_spend(data)  # the real plain_spend passes
    with _plain_spend(planted), pytest.raises(ChainInvariantViolation):
        fuzz_plain_spend(data)
