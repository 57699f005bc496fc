"""State proofs over RPC checked by a light client that holds headers only (STATE-7, ``getproof``).

A reference node (reference/node.py) imports a devnet chain that activates fork ``state_trie`` at
height 50 and then carries a ticket purchase and a governance proposal. A light client that knows
only the headers (linked by hash, each meeting its proof of work) asks ``getproof`` for a coin, a
ticket, a proposal, the treasury and the deployment records (present), and for a masternode, a vote,
a quorum record, an executed id and a parameter (absent), and checks every answer with the spec's
verifier against the ``state_root`` of the tip header it holds, then decodes the proven values.
A tampered answer is refused. Before the fork the node proves coins only (STATE-1).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from conformance.chainbuilder import ChainBuilder
from conformance.upgradechain import _buy_tickets, proposal_transaction, state_trie_chain, state_trie_voter
from reference.node import Node
from reference.rpc import INVALID_PARAMS, RpcError, RpcServer
from spec.chain.block import BlockHeader, block_hash
from spec.chain.commitment import (
    SCHEDULED_KEY,
    TICKET_PRICE_KEY,
    build_commitment,
    state_codecs,
    verify_state_proof,
)
from spec.chain.layout import StateLayout
from spec.chain.pow import check_proof_of_work
from spec.chain.state import BlockContext
from spec.encoding import decode
from spec.errors import TrieError
from spec.ledger.state import decode_entry
from spec.ledger.transaction import txid
from spec.presets import DEVNET
from spec.trie import Trie, stored_node_changes

ACTIVATION = 50


def light_client_root(headers: list[BlockHeader]) -> bytes:
    """What a light client trusts: the tip's state root, after checking the header chain links and
    every header's proof of work (POW-1/2)."""
    previous = bytes(32)
    for height, header in enumerate(headers):
        assert header.previous_block_hash == previous and header.height == height
        check_proof_of_work(block_hash(header, DEVNET), header.bits, DEVNET)
        previous = block_hash(header, DEVNET)
    return headers[-1].state_root


def verified(answer: dict[str, Any], root: bytes) -> bytes | None:
    """Check a ``getproof`` answer against the root the light client trusts; the proven value."""
    value = None if answer["value"] is None else bytes.fromhex(answer["value"])
    proof = tuple(bytes.fromhex(node) for node in answer["proof"])
    verify_state_proof(root, bytes.fromhex(answer["key"]), value, proof)
    return value


def test_light_client_verifies_getproof_against_headers_only(tmp_path: Path) -> None:
    base = state_trie_chain(DEVNET, ACTIVATION + 1)
    builder = ChainBuilder(DEVNET, miner=base.miner)
    builder.states[:] = base.states
    builder.blocks[:] = base.blocks
    owners = [state_trie_voter(100 + i) for i in range(2)]
    builder.extend(
        [_buy_tickets(builder, 3, owners), proposal_transaction(builder, builder.state.height + 1)]
    )
    builder.extend([])
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    node = Node(datadir)
    try:
        early: dict[str, Any] | None = None
        for block in builder.blocks:
            node.store.import_block(block, BlockContext(block.header.timestamp))
            if block.header.height == ACTIVATION - 1:
                early = _early_answers(node)
        assert early is not None
        assert node.store.state_layout is StateLayout.FULL
        server = RpcServer(node)
        tip = builder.state
        purchase = builder.blocks[ACTIVATION + 1]
        ticket_tx = purchase.transactions[1]
        proposal_id = next(iter(tip.governance.proposals))
        coin = txid(builder.blocks[ACTIVATION].transactions[0], DEVNET)

        def ask(*params: Any) -> dict[str, Any]:
            return asyncio.run(server.getproof(list(params)))

        root = light_client_root([b.header for b in builder.blocks])
        codecs = state_codecs(DEVNET)
        coin_value = verified(ask("coin", coin.hex(), 0), root)
        assert coin_value is not None and decode_entry(coin_value, DEVNET).output.value > 0
        ticket_value = verified(ask("ticket", txid(ticket_tx, DEVNET).hex(), 0), root)
        assert ticket_value is not None
        assert decode(codecs.ticket, ticket_value).voting_key == owners[0].public_key
        proposal_value = verified(ask("proposal", proposal_id.hex()), root)
        assert proposal_value is not None
        assert decode(codecs.proposal, proposal_value).proposal.name == b"pool-target"
        treasury = verified(ask("singleton", "treasury"), root)
        assert treasury is not None and int.from_bytes(treasury, "little") == tip.treasury
        deployments = verified(ask("singleton", "deployments"), root)
        assert deployments is not None
        assert [r.agenda_id for r in decode(codecs.deployments, deployments)] == [
            "governed_tickets",
            "state_trie",
            "sidechains",
        ]
        for params in (
            ("masternode", coin.hex(), 0),
            ("vote", proposal_id.hex(), coin.hex(), 0),
            ("quorum", "finality", 10),
            ("quorum", "pose", 10),
            ("executed", proposal_id.hex()),
            ("parameter", "tickets.target_pool_size"),
        ):
            assert verified(ask(*params), root) is None
        answer = ask("coin", coin.hex(), 0)
        assert bytes.fromhex(answer["key"])[0] == 0x01 and answer["layout"] == "full"
        with pytest.raises(TrieError):  # a node that lies about the value is caught
            verify_state_proof(
                root,
                bytes.fromhex(answer["key"]),
                bytes.fromhex(answer["value"]) + b"\x00",
                tuple(bytes.fromhex(n) for n in answer["proof"]),
            )
        with pytest.raises(TrieError):  # an answer for another state does not verify
            verified(early["coin"], root)
        assert verified(ask("singleton", "ticket_price"), root) is not None
        assert TICKET_PRICE_KEY != SCHEDULED_KEY
    finally:
        node.close()


def _early_answers(node: Node) -> dict[str, Any]:
    """Before the fork: a coin proves against STATE-1, any other kind is refused."""
    server = RpcServer(node)
    state = node.store.state
    assert node.store.state_layout is StateLayout.UTXO
    outpoint = next(iter(state.utxos))
    answer = asyncio.run(server.getproof(["coin", outpoint.txid.hex(), outpoint.index]))
    header_root = node.store.block(state.tip_hash)
    assert header_root is not None
    assert verified(answer, header_root.header.state_root) is not None
    assert bytes.fromhex(answer["key"])[0] != 0x01 or len(bytes.fromhex(answer["key"])) == 36
    with pytest.raises(RpcError) as refused:
        asyncio.run(server.getproof(["singleton", "treasury"]))
    assert refused.value.code == INVALID_PARAMS
    return {"coin": answer}


def _store_matches_definition(node: Node) -> None:
    """The stored trie is the tip's commitment under its layout, node for node (counts included)."""
    store = node.store
    state = store.state
    layout = store.state_layout
    expected = build_commitment(state, layout, DEVNET).trie
    assert store.state_root == expected.root_hash
    counts: dict[bytes, int] = {}
    for digest, _, change in stored_node_changes(Trie(), expected):
        counts[digest] = counts.get(digest, 0) + change
    assert {h: refs for h, (_, refs) in store.trie_node_counts().items()} == counts


def test_store_disconnects_and_reconnects_across_the_activation(tmp_path: Path) -> None:
    """STATE-6 in the store: disconnecting from the full-state layout back below the activation
    (where the UTXO trie is rebuilt once) and reconnecting keeps the stored trie equal to the
    definition at every tip, and a reopened store reads it back and continues incrementally."""
    builder = state_trie_chain(DEVNET, ACTIVATION + 3)
    datadir = tmp_path / "node"
    Node.init(datadir, "devnet").close()
    node = Node(datadir)
    try:
        for block in builder.blocks:
            node.store.import_block(block, BlockContext(block.header.timestamp))
        _store_matches_definition(node)
        while node.store.state.height >= ACTIVATION - 1:
            node.store.disconnect_tip()
            _store_matches_definition(node)
        assert node.store.state_layout is StateLayout.UTXO
        for block in builder.blocks[ACTIVATION - 1 : ACTIVATION + 2]:
            node.store.import_block(block, BlockContext(block.header.timestamp))
            _store_matches_definition(node)
    finally:
        node.close()
    reopened = Node(datadir)
    try:
        assert reopened.store.state_layout is StateLayout.FULL
        commitment = reopened.store.state.commitment
        assert commitment is not None and commitment.commits_to(reopened.store.state, StateLayout.FULL)
        last = builder.blocks[ACTIVATION + 2]
        reopened.store.import_block(last, BlockContext(last.header.timestamp))
        _store_matches_definition(reopened)
        assert reopened.store.state == builder.states[ACTIVATION + 3]
    finally:
        reopened.close()
