"""The ``state/advance_state`` handler (STATE-6) and the facts two reviewed equivalent mutants rest on.

* a stale trie (another state's) never changes the advanced root, whether it differs from the
  parent by value or only by identity (``StateCommitment.commits_to``, docs/trie.md);
* a missing or malformed layout is a bad input, not a spec error;
* an outpoint decoded from a state key is encoded again without reading the preset (the fast path
  of ``encode_outpoint``), which ``conformance/mutation_equivalents.toml`` relies on for the
  ``ticket_key(..., None)`` and ``masternode_key(..., None)`` mutants of ``state_from_items``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from conformance.generators.state import _items_json, every_kind_state
from conformance.handlers.state import handle_advance_state
from conformance.model import JSON, BadInput
from spec.chain.commitment import compute_state_items, compute_state_root, state_from_items
from spec.ledger.state import decode_outpoint, encode_outpoint
from spec.presets import DEVNET


def _request(before: Any, after: Any, trie_of: Any, layout: JSON = "full") -> dict[str, JSON]:
    return {
        "before": _items_json(compute_state_items(before, DEVNET)),
        "trie_of": None if trie_of is None else _items_json(compute_state_items(trie_of, DEVNET)),
        "parent_layout": "full",
        "steps": [
            {
                "after": _items_json(compute_state_items(after, DEVNET)),
                "touched_utxos": [],
                "touched_tickets": [],
                "layout": layout,
            }
        ],
    }


def test_stale_trie_gives_the_definition() -> None:
    base = every_kind_state(DEVNET)
    richer = replace(base, treasury=base.treasury + 5, ticket_price=base.ticket_price + 1)
    other = replace(base, quorums=replace(base.quorums, pose_records={}))
    expected = compute_state_root(richer, DEVNET).hex()
    for trie_of in (None, base, other, richer):
        output = handle_advance_state(DEVNET, _request(base, richer, trie_of))
        assert output == {"roots": [expected], "touched": [0]}


def test_layout_is_checked() -> None:
    base = every_kind_state(DEVNET)
    with pytest.raises(BadInput, match="layout"):
        handle_advance_state(DEVNET, _request(base, base, None, layout="trie"))


def test_decoded_outpoints_encode_without_the_preset() -> None:
    state = state_from_items(compute_state_items(every_kind_state(DEVNET), DEVNET), DEVNET)
    for outpoint in [*state.tickets, *state.masternodes.entries, *state.utxos]:
        key = encode_outpoint(outpoint, DEVNET)
        assert encode_outpoint(decode_outpoint(key, DEVNET), None) == key  # type: ignore[arg-type]
