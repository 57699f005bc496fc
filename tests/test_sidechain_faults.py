"""The devnet's misbehaving federation for the non-interactive proofs (reference/sidechains.py
``forge_overdraw`` / ``forge_equivocation``, ``--sidechain-fault=overdraw|equivocate``) and the RPCs
that hand a watcher what such a federation publishes (``submitsidechainheader``,
``submitsidechainoutbox``, reference/rpc.py).

Over the chain of :mod:`conformance.fraudchain` (checkpoint 1 posted with an outbox, escrow
2,100,000 atoms): what the faulty member signs is exactly what SC-DSP-8 / SC-DSP-9 prove, and a
watcher fed through the RPCs posts the proof. The processes are run by
tests/test_devnet_fraud_proofs.py (slow).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from conformance import fraudchain as fc
from conformance import sidechainbuilder as sb
from reference.node import Node
from reference.rpc import INVALID_PARAMS, REJECTED, RpcServer
from reference.sidechains import FAULTS, OVERDRAW_RECIPIENT, forge_equivocation, forge_overdraw
from spec.encoding import encode
from spec.errors import DisputeNotFraud
from spec.ledger.transaction import TxOutput
from spec.presets import DEVNET
from spec.sidechain.chain import compute_outbox_proof, compute_outbox_root
from spec.sidechain.dispute import check_equivocation_proof, check_escrow_overdraw_proof
from spec.sidechain.header import compute_header_hash, encode_checkpoint
from spec.sidechain.proofs import EquivocationProof
from spec.sidechain.transactions import match_sidechain_message
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxKind

PAYOUT = OVERDRAW_RECIPIENT


def test_the_overdraw_forgery_commits_a_withdrawal_above_the_escrow() -> None:
    """The forged header differs from the honest one in its ``outbox_root`` alone, which folds the
    honest entries and one more withdrawal to the member's script above the escrow: SC-DSP-9
    proves that entry, and none of the honest ones."""
    chain = fc.chain(DEVNET)
    honest = chain.checkpoint_1.header
    forged = forge_overdraw(honest, (b"\x01" * 32,), chain.outbox, fc.ESCROW, PAYOUT)
    assert forged.kind == "overdraw" and forged.honest == honest and forged.trace == (b"\x01" * 32,)
    assert replace(forged.header, outbox_root=honest.outbox_root) == honest
    assert forged.outbox[:-1] == chain.outbox
    assert forged.header.outbox_root == compute_outbox_root(forged.outbox)
    taken = forged.outbox[-1]
    assert (taken.kind, taken.target_chain, taken.recipient) == (OutboxKind.WITHDRAWAL, 0, PAYOUT)
    assert taken.amount > fc.ESCROW
    count = len(forged.outbox)
    proof = compute_outbox_proof(forged.outbox, count - 1)
    assert check_escrow_overdraw_proof(forged.header, taken, count - 1, count, proof, fc.ESCROW) == 1
    for index, entry in enumerate(forged.outbox[:-1]):
        with pytest.raises(DisputeNotFraud):
            check_escrow_overdraw_proof(
                forged.header,
                entry,
                index,
                count,
                compute_outbox_proof(forged.outbox, index),
                fc.ESCROW,
            )


def test_the_equivocation_forgery_is_a_second_header_at_the_height() -> None:
    """The second header names the same block at the same height under another state root; signed
    by the federation's key beside the accepted one it is SC-DSP-8 equivocation."""
    chain = fc.chain(DEVNET)
    accepted = chain.checkpoint_1
    forged = forge_equivocation(accepted.header, ())
    assert forged.kind == "equivocate" and forged.honest == accepted.header
    second = forged.header
    assert (second.sidechain_id, second.height, second.tx_root) == (
        accepted.header.sidechain_id,
        accepted.header.height,
        accepted.header.tx_root,
    )
    assert compute_header_hash(second) != compute_header_hash(accepted.header)
    key = sb.keys()[fc.SPEC.federation]
    assert check_equivocation_proof(accepted, sb.sign(second, fc.SPEC.federation), key) == 1


def _posted(posts: list[list[TxOutput]]) -> list[object]:
    return [match_sidechain_message(outputs[0].script_pubkey, DEVNET) for outputs in posts]


def _call(server: RpcServer, method: str, *params: Any) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    return cast(dict[str, Any], asyncio.run(server.answer(body)))


def test_the_rpcs_hand_the_watcher_a_second_header_and_an_outbox(tmp_path: Path) -> None:
    """``submitsidechainheader [hex]`` and ``submitsidechainoutbox [id, height, [hex, ...]]``: only
    on a watching node; bad hex, a bad encoding or an empty outbox is an error and hands nothing;
    what they hand is what the watcher proves SC-DSP-8/9 from (on the fraudchain's state)."""
    chain = fc.chain(DEVNET, fc.ESCROW + 1)
    second = fc.forged(chain.checkpoint_1.header)
    entries = [encode(OUTBOX_ENTRY_CODEC, entry).hex() for entry in chain.outbox]
    node = Node.init(tmp_path / "node", "devnet")
    try:
        server = RpcServer(node)
        refused = _call(server, "submitsidechainheader", encode_checkpoint(second).hex())
        assert refused["error"]["code"] == INVALID_PARAMS  # not watching
        with pytest.raises(ValueError, match="unknown sidechain fault"):
            node.start_watching(faulty="mint")
        assert set(FAULTS) == {"trace", "credits", "equivocate", "overdraw"}
        watch = node.start_watching()
        watcher = watch.watcher
        # (its exact error codes and result are the RPC's own tests'; here: refused, nothing kept)
        assert "error" in _call(server, "submitsidechainheader", "zz")
        assert "error" in _call(server, "submitsidechainheader", "00ff")
        assert _call(server, "submitsidechainoutbox", 7, 1, [])["error"]["code"] == INVALID_PARAMS
        assert _call(server, "submitsidechainoutbox", 7, 1, ["00"])["error"]["code"] == REJECTED
        assert _call(server, "submitsidechainoutbox", "7", 1, entries)["error"]["code"] == INVALID_PARAMS
        assert watcher.signed == {} and watcher.outboxes == {}

        # this node's chain has no sidechain: the header RPC refuses it with the spec's code
        # (tests/test_watch_evidence.py runs it on a chain that has one); the devnet's path into
        # the watcher is the same ``observe_checkpoint``
        refused = _call(server, "submitsidechainheader", encode_checkpoint(second).hex())
        assert refused["error"]["data"]["code"] == "SC_UNKNOWN_SIDECHAIN"
        watcher.observe_checkpoint(second)
        assert set(watcher.signed[(fc.SPEC.sidechain_id, 1)]) == {compute_header_hash(second.header)}
        answer = _call(server, "submitsidechainoutbox", fc.SPEC.sidechain_id, 1, entries)["result"]
        assert answer == {"outbox_root": compute_outbox_root(chain.outbox).hex(), "entries": 2}
        queued = list(watch._offered_outboxes)  # handed to the watcher's next decision
        assert queued == [(fc.SPEC.sidechain_id, 1, tuple(chain.outbox))]
        watcher.on_block(sb.block(fc.PROOF_AT, [sb.message_output(chain.checkpoint_1, 0, DEVNET)]))
        posts = watcher.on_tip(chain.state, fc.PROOF_AT, lambda _height: sb.keys())
        assert _posted(posts) == [EquivocationProof(chain.checkpoint_1, second, watcher.payout_script)]
        watcher.signed, watcher.fraud_proven = {}, set()  # the outbox alone, through the decision
        posts = watch.decide(chain.state, fc.PROOF_AT, [], [], [], lambda _height: sb.keys(), outboxes=queued)
        assert _posted(posts) == [replace(fc.overdraw(chain), payout_script=watcher.payout_script)]
    finally:
        node.close()


def test_the_proof_runs_are_separate_devnet_runs() -> None:
    """``rusty devnet``: at most one of ``--dispute-credits``, ``--dispute-equivocation`` and
    ``--dispute-overdraw`` (each ends with the federation slashed); a usage error before any node
    starts. ``run_devnet`` refuses a proof run it does not know."""
    from click.testing import CliRunner

    from reference.cli import main
    from reference.devnet import PROOF_FAULTS, DevnetError, run_devnet

    result = CliRunner().invoke(main, ["devnet", "3", "--dispute-credits", "--dispute-overdraw"])
    assert result.exit_code == 2 and "separate runs" in result.output
    assert set(PROOF_FAULTS) == set(FAULTS) - {"trace"}
    with pytest.raises(DevnetError, match="no proof run"):
        asyncio.run(run_devnet(3, 10, Path("/nonexistent"), show_progress=False, proof="trace"))
