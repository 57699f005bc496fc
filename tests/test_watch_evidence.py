"""The watcher's fraud-proof evidence across restarts, and the second signed header's way in
(reference/watch_store.py rows ``inputs``, ``signed``, ``outbox``; ``WatchService.offer_checkpoint``,
RPC ``submitsidechainheader``, the mempool's refused checkpoints; docs/node.md "Watching sidechains").

* a watcher restarted after the evidence of a fraud arrived and before the proof is due (the
  checkpoint it proves is posted after the restart) still posts the proof, for each kind: the
  inputs of a wrong-credits proof (8), a second header the federation signed (9), the outbox of an
  overdraw (10); without the store the same restart posts nothing;
* over many checkpoints the evidence rows stay within the open windows (stored bytes flat);
* a second signed header reaches the watcher through the RPC (a kind-9 proof that the block
  transition accepts) and through a transaction the mempool refuses; garbage, the accepted header
  itself and an unsigned header are refused with their codes and nothing is kept.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from conformance import creditschain as cc
from conformance import fraudchain as fc
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from reference import watch_service
from reference.node import Node
from reference.rpc import INVALID_PARAMS, REJECTED, RpcServer
from reference.watch_service import Applied, WatchService
from reference.watch_store import WatchStore
from reference.watcher import WatchedBlock
from spec.chain.state import ChainState
from spec.errors import SpecError
from spec.ledger.transaction import TxOutput
from spec.masternode.finality import QuorumRegistry
from spec.merkle import merkle_root
from spec.sidechain.accumulator import CreditsProof
from spec.sidechain.header import (
    Checkpoint,
    Deposit,
    InboundMessage,
    SidechainHeader,
    compute_header_hash,
    encode_checkpoint,
)
from spec.sidechain.proofs import EquivocationProof
from spec.sidechain.registry import CheckpointRecord, SidechainsState, get_sidechain
from spec.sidechain.state import apply_block_to_sidechains
from spec.sidechain.transactions import match_sidechain_message
from tests.watch_harness import PAYEE, PRESET, Wallet

CHAIN = fc.SPEC.sidechain_id
Blocks = Sequence[tuple[int, Sequence[Sequence[TxOutput]]]]
Feed = Callable[[WatchService, SidechainsState, int], tuple[list[Applied], list[Checkpoint]]]


def _keys(_height: int) -> dict[int, bytes]:
    return sb.keys()


def _open(path: Path, wallet: Wallet, store: bool) -> tuple[WatchService, sqlite3.Connection]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    watch = WatchService(
        PRESET, PAYEE, lambda: cast(ChainState, None), wallet, store=WatchStore(db) if store else None
    )
    return watch, db


def _nothing(
    _watch: WatchService, _state: SidechainsState, _height: int
) -> tuple[list[Applied], list[Checkpoint]]:
    return [], []


def _follow(blocks: Blocks, path: Path, restart_after: int, feed: Feed, store: bool = True) -> list[object]:
    """Connect ``blocks`` (from :func:`conformance.gamechain.initial`); after each one the watcher
    is fed (the block's inputs and transactions, and what ``feed`` gives at that height), decides,
    posts and saves; after the block at ``restart_after`` it is closed and reopened from ``path``
    (nothing fed again). The messages it posted, each checked by the block after it."""
    wallet = Wallet()
    watch, db = _open(path, wallet, store)
    state = gc.initial(fc.SPEC)
    posted: list[object] = []
    for height, outputs in blocks:
        transactions = sb.block(height, *outputs)
        result = apply_block_to_sidechains(state, transactions, height, sb.keys(), PRESET)
        state = result.state
        applied, offered = feed(watch, state, height)
        inputs: list[tuple[int, tuple[Deposit | InboundMessage, ...]]] = [
            (height, (*result.deposits, *result.inbound))
        ]
        posts = watch.decide(state, height + 1, [tuple(transactions)], applied, (), _keys, inputs, offered)
        watch.persist()
        before = len(wallet.posted)
        watch.post(posts, height)
        watch.persist()
        for outputs_ in wallet.posted[before:]:
            posted.append(match_sidechain_message(outputs_[0].script_pubkey, PRESET))
            after = apply_block_to_sidechains(
                state, sb.block(height + 1, outputs_), height + 1, sb.keys(), PRESET
            )
            assert after.penalties  # the proof is valid in the next block: it reverts and penalises
        if height == restart_after:
            db.close()
            watch, db = _open(path, wallet, store)
    db.close()
    return posted


@pytest.mark.parametrize("store", [True, False])
def test_inputs_seen_before_a_restart_still_prove_wrong_credits(tmp_path: Path, store: bool) -> None:
    """Kind 8: the deposits at 11 and 13 are fed before the restart, the checkpoint crediting them
    wrongly is posted at 16 after it."""
    chain = cc.chain(PRESET, cc.WRONG_CREDITS["never_credited"])
    posted = _follow(chain.blocks, tmp_path / "node.sqlite", cc.CHECKPOINT_0_AT, _nothing, store)
    if store:
        assert posted == [CreditsProof(chain.checkpoint_1.header, cc.INPUTS, payout_script=PAYEE)]
    else:
        assert posted == []  # the control: the restarted watcher lost the inputs


@pytest.mark.parametrize("store", [True, False])
def test_a_second_header_seen_before_a_restart_still_proves_equivocation(tmp_path: Path, store: bool) -> None:
    """Kind 9: the federation's other header at height 1 is offered (off the mainchain) before
    checkpoint 1 is posted; the watcher restarts; checkpoint 1 is posted at 16."""
    chain = fc.chain(PRESET)
    forged = fc.forged(chain.checkpoint_1.header)

    def offer(
        watch: WatchService, state: SidechainsState, height: int
    ) -> tuple[list[Applied], list[Checkpoint]]:
        if height != cc.CHECKPOINT_0_AT:
            return [], []
        from reference.watcher import check_offered_checkpoint

        assert check_offered_checkpoint(watch.watcher, state, forged, height + 1, _keys) is False  # kept
        return [], [forged]

    posted = _follow(chain.blocks, tmp_path / "node.sqlite", cc.CHECKPOINT_0_AT, offer, store)
    assert posted == ([EquivocationProof(chain.checkpoint_1, forged, PAYEE)] if store else [])


@pytest.mark.parametrize("store", [True, False])
def test_an_outbox_seen_before_a_restart_still_proves_an_overdraw(tmp_path: Path, store: bool) -> None:
    """Kind 10: the follower applies sidechain block 1 (its outbox withdraws more than the escrow)
    before the restart; its checkpoint is posted at 16 after it."""
    fraud = fc.chain(PRESET, fc.ESCROW + 1)
    header = fraud.checkpoint_1.header

    def apply(
        _watch: WatchService, _state: SidechainsState, height: int
    ) -> tuple[list[Applied], list[Checkpoint]]:
        if height != cc.CHECKPOINT_0_AT:
            return [], []
        block = WatchedBlock(CHAIN, 1, (), (), {})
        return [Applied(block, header, (), outbox=fraud.outbox)], []

    posted = _follow(fraud.blocks, tmp_path / "node.sqlite", cc.CHECKPOINT_0_AT, apply, store)
    assert posted == ([replace(fc.overdraw(fraud), payout_script=PAYEE)] if store else [])


def test_evidence_rows_stay_within_the_open_windows_over_many_checkpoints(tmp_path: Path) -> None:
    """200 checkpoints, one per mainchain block, challenge period 5, cursor one block behind: at
    every tip the watcher holds the inputs above the cursor of the oldest in-window checkpoint's
    parent, the signed headers and outboxes from that checkpoint up; the store holds the same rows
    and its bytes stay flat."""
    period = 5
    spec = replace(fc.SPEC, challenge_period=period)
    base = gc.initial(spec)
    record = base.chains[CHAIN]
    watch, db = _open(tmp_path / "node.sqlite", Wallet(), True)
    header0 = fc.chain(PRESET).checkpoint_0.header
    checkpoints: list[CheckpointRecord] = []
    sizes: list[int] = []

    def header_at(height: int) -> SidechainHeader:
        return replace(header0, height=height, tx_root=merkle_root([height.to_bytes(4, "big")]))

    deposit = sb.deposit_output(CHAIN, 5, sb.BOB_ON_SIDECHAIN)
    for height in range(1, 201):
        tip = 100 + height
        header = header_at(height)
        checkpoints.append(CheckpointRecord(height, compute_header_hash(header), tip - 1, bytes(32), tip))
        state: SidechainsState = replace(
            base, chains={CHAIN: replace(record, checkpoints=tuple(checkpoints))}
        )
        deposits = apply_block_to_sidechains(base, sb.block(tip, [deposit]), tip, sb.keys(), PRESET).deposits
        outbox = (sb.withdrawal(height),)
        applied = [Applied(WatchedBlock(CHAIN, height, (), (), {}), header, (), outbox=outbox)]
        offered = [sb.sign(header, fc.SPEC.federation)]
        watch.decide(state, tip + 1, [], applied, [], _keys, [(tip, deposits)], offered)
        watch.persist()
        in_window = [c for c in checkpoints if c.posted_height + period > tip + 1]
        oldest = in_window[0].height if in_window else len(checkpoints)
        floor = checkpoints[oldest - 1].deposit_cursor
        assert sorted(at for _, at in watch.watcher.inputs) == list(range(floor + 1, tip + 1)), height
        assert sorted(h for _, h in watch.watcher.signed) == list(range(oldest, height + 1))
        assert sorted(h for _, h in watch.watcher.outboxes) == list(range(oldest, height + 1))
        assert len(watch.watcher.inputs) <= period + 1 and len(watch.watcher.signed) <= period + 1
        counts = watch.store.count() if watch.store else {}
        assert counts.get("inputs", 0) == len(watch.watcher.inputs)
        assert counts.get("signed", 0) == len(watch.watcher.signed)
        assert counts.get("outbox", 0) == len(watch.watcher.outboxes)
        sizes.append(watch.store.size() if watch.store else 0)
    assert max(sizes[50:]) <= max(sizes[10:50]) * 1.01  # flat: the windows, not the history
    db.close()
    again, db = _open(tmp_path / "node.sqlite", Wallet(), True)
    assert again.watcher.inputs == watch.watcher.inputs and again.watcher.signed == watch.watcher.signed
    assert again.watcher.outboxes == watch.watcher.outboxes and again.store is not None
    assert again.store.problems == []
    db.close()


def test_a_corrupt_evidence_row_is_set_aside(tmp_path: Path) -> None:
    """A ``signed`` row whose checkpoint is not the one its key names, an ``outbox`` row whose
    entries do not fold to its root and an ``inputs`` row of another sidechain are moved aside;
    the sound rows load."""
    import hashlib

    chain = fc.chain(PRESET, fc.ESCROW + 1)
    watch, db = _open(tmp_path / "node.sqlite", Wallet(), True)
    watch.watcher.observe_checkpoint(chain.checkpoint_1)
    watch.watcher.observe_outbox(CHAIN, 1, chain.outbox)
    watch.watcher.observe_inputs(11, apply_block_to_sidechains(
        gc.initial(fc.SPEC), sb.block(11, [sb.deposit_output(CHAIN, 5)]), 11, sb.keys(), PRESET
    ).deposits)  # fmt: skip
    assert watch.persist() == 3
    rows = {
        kind: (bytes(key), bytes(data))
        for kind, key, data in db.execute("SELECT kind, key, data FROM watch_items")
    }
    damaged = {
        "signed": (rows["signed"][0][:-1] + b"\x00", rows["signed"][1]),
        "outbox": (rows["outbox"][0][:-1] + b"\x00", rows["outbox"][1]),
        "inputs": ((CHAIN + 1).to_bytes(8, "big") + rows["inputs"][0][8:], rows["inputs"][1]),
    }
    for kind, (key, data) in damaged.items():
        db.execute(
            "INSERT INTO watch_items VALUES (?, ?, ?, ?)", (kind, key, data, hashlib.sha256(data).digest())
        )
    db.close()
    again, db = _open(tmp_path / "node.sqlite", Wallet(), True)
    assert again.store is not None and len(again.store.problems) == 1
    assert "3 corrupt watcher rows" in again.store.problems[0]
    assert again.watcher.signed == watch.watcher.signed and again.watcher.outboxes == watch.watcher.outboxes
    assert again.watcher.inputs == watch.watcher.inputs
    db.close()


# ------------------------------------------------------------------------------ the second header's way in


def _tip(state: SidechainsState, height: int) -> ChainState:
    fields = {"sidechains": state, "height": height, "quorums": QuorumRegistry({})}
    return cast(ChainState, type("Tip", (), fields)())


@pytest.fixture
def watching_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A devnet node watching sidechains whose watcher sees the tip of :mod:`conformance.fraudchain`
    (checkpoints 0 and 1 accepted, the federation keys of :mod:`conformance.sidechainbuilder`) and
    posts through a recording wallet."""
    chain = fc.chain(PRESET)
    node = Node.init(tmp_path / "node", "devnet")
    watch = node.start_watching()
    tip = _tip(chain.state, fc.PROOF_AT - 1)
    watch.chain_state = lambda: tip
    wallet = Wallet()
    watch.publish = wallet
    monkeypatch.setattr(watch_service, "_keys_at", lambda _quorums, _preset, _height: sb.keys())
    watch.watcher.on_block(sb.block(cc.CHECKPOINT_1_AT, [sb.message_output(chain.checkpoint_1, 0, PRESET)]))
    try:
        yield node, chain, wallet
    finally:
        node.close()


def _call(node: Node, method: str, params: list[Any]) -> dict[str, Any]:
    import json

    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    return cast(dict[str, Any], asyncio.run(RpcServer(node).answer(request)))


def test_submitsidechainheader_posts_an_equivocation_proof_that_is_mined(watching_node: Any) -> None:
    node, chain, wallet = watching_node
    forged = fc.forged(chain.checkpoint_1.header)
    answer = _call(node, "submitsidechainheader", [encode_checkpoint(forged).hex()])["result"]
    assert answer["evidence"] is True and len(answer["posted"]) == 1
    assert answer["header_hash"] == compute_header_hash(forged.header).hex() and answer["height"] == 1
    (outputs,) = wallet.posted
    assert match_sidechain_message(outputs[0].script_pubkey, PRESET) == EquivocationProof(
        chain.checkpoint_1, forged, node.watch.watcher.payout_script
    )
    mined = apply_block_to_sidechains(
        chain.state, sb.block(fc.PROOF_AT, outputs), fc.PROOF_AT, sb.keys(), PRESET
    )
    assert len(get_sidechain(mined.state, CHAIN).checkpoints) == 1 and mined.penalties
    info = _call(node, "getwatcherinfo", [])["result"]
    assert info["evidence"] == {"inputs": 0, "signed_headers": 2, "outboxes": 0}
    assert info["stored_rows"]["signed"] == 2 and info["counts"] == {"proof_posted": 1}
    again = _call(node, "submitsidechainheader", [encode_checkpoint(forged).hex()])["result"]
    assert again["evidence"] is True and again["posted"] == [] and len(wallet.posted) == 1  # once


@pytest.mark.parametrize(
    ("param", "code", "spec_code"),
    [
        ("zz", INVALID_PARAMS, None),
        ("00", REJECTED, "DECODE_TRUNCATED"),
        ("accepted", REJECTED, "DSP_NOT_FRAUD"),
        ("unsigned", REJECTED, "DSP_NOT_FRAUD"),
        ("unknown", REJECTED, "SC_UNKNOWN_SIDECHAIN"),
        ("far ahead", REJECTED, "SC_CHECKPOINT_HEIGHT"),
    ],
)
def test_submitsidechainheader_refuses_what_proves_nothing(
    watching_node: Any, param: str, code: int, spec_code: str | None
) -> None:
    node, chain, wallet = watching_node
    other = fc.forged(chain.checkpoint_1.header)
    made = {
        "accepted": chain.checkpoint_1,
        "unsigned": replace(other, signature=chain.checkpoint_1.signature),
        "unknown": sb.sign(replace(other.header, sidechain_id=CHAIN + 99), fc.SPEC.federation),
        "far ahead": sb.sign(replace(other.header, height=40), fc.SPEC.federation),
    }
    hex_ = encode_checkpoint(made[param]).hex() if param in made else param
    error = _call(node, "submitsidechainheader", [hex_])["error"]
    assert error["code"] == code, error
    if spec_code is not None:
        assert error["data"]["code"] == spec_code, error
    assert wallet.posted == [] and node.watch is not None and not node.watch._offered
    assert node.watch.watcher.signed.get((CHAIN, 1), {}).keys() == {
        compute_header_hash(chain.checkpoint_1.header)
    }


def test_a_refused_checkpoint_transaction_hands_its_header_to_the_watcher(
    watching_node: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mempool refuses a checkpoint at a height already checkpointed (SC-BLK-1 on the fraud
    chain's state, the node's ``_sidechain_step``), after the watcher kept it: the next run posts
    the kind-9 proof. An honest refused transaction hands nothing."""
    node, chain, wallet = watching_node
    from spec.sidechain.state import apply_sidechain_transaction

    def step(_sidechains: SidechainsState, tx: Any, _height: int) -> tuple[SidechainsState, int]:
        return apply_sidechain_transaction(chain.state, tx, fc.PROOF_AT, sb.keys(), PRESET, _keys)

    monkeypatch.setattr(node, "_sidechain_step", step)
    forged = fc.forged(chain.checkpoint_1.header)
    for checkpoint in (chain.checkpoint_1, forged):
        tx = sb.block(fc.PROOF_AT, [sb.message_output(checkpoint, 0, PRESET)])[1]
        with pytest.raises(SpecError) as refused:
            node.queue(tx)
        assert refused.value.code == "SC_CHECKPOINT_HEIGHT"
    assert node.watch._offered == [forged]
    asyncio.run(node.watch.on_tip())
    assert [match_sidechain_message(o[0].script_pubkey, PRESET) for o in wallet.posted] == [
        EquivocationProof(chain.checkpoint_1, forged, node.watch.watcher.payout_script)
    ]


def test_no_watcher_no_method(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "node", "devnet")
    try:
        error = _call(node, "submitsidechainheader", ["00"])["error"]
        assert error["code"] == INVALID_PARAMS and "--watch-sidechains" in error["message"]
    finally:
        node.close()


def test_a_restarted_node_reads_the_rescanned_blocks_inputs_again(tmp_path: Path) -> None:
    """``Node.start_watching``: the inputs the follower stored for the best chain's blocks in the
    rescan range (``sc_inputs``, written when each was connected) are handed to the watcher again
    (a kill between a block's connection and the watcher's save loses none); the follower's hook
    then feeds the service, never the watcher directly."""
    import time

    from spec.encoding import encode
    from spec.sidechain.header import DEPOSIT_CODEC

    node = Node.init(tmp_path / "node", "devnet")
    try:
        node.mine_block(int(time.time()))
        genesis = node.store.best_hash_at(0)
        assert genesis is not None
        deposit = Deposit(CHAIN, 0, 0, bytes(32), 1, bytes(32), 5)
        node.store.db.execute(
            "INSERT INTO sc_inputs (block_hash, height, kind, data) VALUES (?, 0, 0, ?)",
            (genesis, encode(DEPOSIT_CODEC, deposit)),
        )
        node.store.db.execute(  # a block off the best chain at the same height: not read
            "INSERT INTO sc_inputs (block_hash, height, kind, data) VALUES (?, 0, 0, ?)",
            (bytes(32), encode(DEPOSIT_CODEC, replace(deposit, amount=6))),
        )
        watch = node.start_watching()
        assert watch._inputs == [(0, (deposit,))]
        assert node.sidechains.on_inputs == [watch.on_inputs]
    finally:
        node.close()


def test_at_most_two_offered_headers_are_kept_per_height(watching_node: Any) -> None:
    """Headers the federation signed at a height not yet checkpointed: each is kept until two are
    held at that height (``MAX_OFFERED_PER_HEIGHT``); one offered again is not kept twice."""
    node, chain, wallet = watching_node
    assert node.watch is not None
    header_2 = replace(chain.checkpoint_1.header, height=2)
    offers = [
        sb.sign(replace(header_2, state_root=bytes([tag]) * 32), fc.SPEC.federation) for tag in (1, 2, 3)
    ]
    for checkpoint in (offers[0], offers[0], *offers[1:]):
        answer = _call(node, "submitsidechainheader", [encode_checkpoint(checkpoint).hex()])["result"]
        assert answer["evidence"] is False and answer["posted"] == []
    assert node.watch._offered == offers[:2] and wallet.posted == []
