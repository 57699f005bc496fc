"""The sender of an outbox entry (VM-5, SC-MSG-1, SC-MSG-4, SC-STATE-1): issue 15 item 5.

A message refunded by the mainchain bounces to the account that emitted it: the FerrisScript VM
names the sender in the outbox entry, the checkpoint's outbox root commits to it, the relay copies
it into the inbound message, the pending message keeps it and the bounce pays it back.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance import sidechainbuilder as sb
from spec.encoding import decode, encode
from spec.errors import LengthLimitExceeded
from spec.presets import DEVNET
from spec.sidechain.chain import (
    MainchainInputs,
    apply_sidechain_block,
    build_sidechain_block,
    genesis_state,
    refund_entry,
)
from spec.sidechain.items import sidechain_items, sidechains_from_items
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains
from spec.vm.ferris import FerrisTxKind, get_account
from spec.vm.interface import OUTBOX_ENTRY_CODEC, OutboxEntry, OutboxKind, VmKind
from tests.sidechain_helpers import account, signed_bytes

A = sb.CHAIN_A
FEE = 5000
DEPOSIT = 100_000


def _mainchain(state: SidechainsState, height: int, *txs: list) -> SidechainBlock:  # type: ignore[type-arg]
    return apply_block_to_sidechains(state, sb.block(height, *txs), height, sb.keys(), DEVNET)


def test_entry_codec_encodes_the_sender_last_and_bounds_it() -> None:
    entry = OutboxEntry(OutboxKind.MESSAGE, 2, b"r", 9, b"p", b"\xa1" * 64)
    encoded = encode(OUTBOX_ENTRY_CODEC, entry)
    assert encoded.endswith(b"\x40" + b"\xa1" * 64)
    assert decode(OUTBOX_ENTRY_CODEC, encoded) == entry
    with pytest.raises(LengthLimitExceeded):
        decode(OUTBOX_ENTRY_CODEC, encoded[:-65] + b"\x41" + b"\xa1" * 65)
    # the sender is committed: the same entry from another account is another leaf
    assert sb.entry_leaf(entry) != sb.entry_leaf(replace(entry, sender=b"\xa2" * 64))


def test_refund_round_trip_returns_the_coins_to_the_sender() -> None:
    # mainchain: a deposit funds A's escrow and is handed to sidechain A for account 0
    funded = _mainchain(sb.initial(), 12, [sb.deposit_output(A, DEPOSIT, account(0))])
    # sidechain A block 1 credits it; account 0 sends 250 atoms to sidechain B
    send = signed_bytes(
        0,
        kind=FerrisTxKind.MESSAGE,
        amount=250,
        target_chain=sb.CHAIN_B,
        recipient=sb.BOB_ON_SIDECHAIN,
        chain_id=A,
        fee=FEE,
    )
    side0 = genesis_state(VmKind.FERRIS, A, 1000, sb.ACTIVATION)
    inputs = MainchainInputs(14, sb.SPEC_A.peg_in_depth, funded.deposits, ())
    block = build_sidechain_block(side0, [send], inputs, 1001, 12, DEVNET)
    result = apply_sidechain_block(side0, block, inputs, DEVNET)
    (entry,) = result.outbox
    assert entry.sender == account(0)  # VMF-7 / VM-5
    side1 = result.state
    assert get_account(side1.nodes, side1.tip.state_root, account(0)).balance == DEPOSIT - FEE - 250
    # mainchain: checkpoints of A's blocks 0 and 1 (the second commits the entry), relay, refund
    genesis_cp = sb.sign(side0.tip, sb.SPEC_A.federation)
    block_cp = sb.sign(block.header, sb.SPEC_A.federation)
    state = _mainchain(funded.state, 14, [sb.message_output(genesis_cp)], [sb.message_output(block_cp)]).state
    relayed = _mainchain(state, 17, [sb.relay_output(sb.outbox_proof(sb.SPEC_A, 1, [entry], 0))])
    (inbound,) = relayed.inbound
    assert (inbound.sidechain_id, inbound.sender, inbound.recipient) == (
        sb.CHAIN_B,
        account(0),
        sb.BOB_ON_SIDECHAIN,
    )
    assert relayed.state.pending_messages[(A, 1, 0)].sender == account(0)
    assert sidechains_from_items(sidechain_items(relayed.state)) == relayed.state  # SC-STATE-1 keeps it
    timeout = sb.SPEC_B.message_timeout
    refunded = _mainchain(relayed.state, 17 + timeout, [sb.refund_output(A, 1, 0)])
    (bounce,) = refunded.inbound
    assert (bounce.sidechain_id, bounce.source_chain, bounce.sender, bounce.recipient, bounce.amount) == (
        A,
        A,
        b"",
        account(0),
        250,
    )
    assert refunded.state.chains[A].escrow == DEPOSIT and refunded.state.chains[sb.CHAIN_B].escrow == 0
    # sidechain A credits the bounce to account 0 (SCB-2, VMF-8): no refund entry, the coins are back
    tip = 17 + timeout + sb.SPEC_A.peg_in_depth
    back = MainchainInputs(tip, sb.SPEC_A.peg_in_depth, funded.deposits, refunded.inbound)
    block2 = build_sidechain_block(side1, [], back, 1002, 17 + timeout, DEVNET)
    result2 = apply_sidechain_block(side1, block2, back, DEVNET)
    assert result2.outbox == () and result2.inputs == ((bounce, True),)
    assert get_account(result2.state.nodes, result2.state.tip.state_root, account(0)).balance == DEPOSIT - FEE


def test_a_bounce_without_a_sender_is_stranded() -> None:
    """The gap the sender closes: a bounce naming no account is refunded to the sidechain itself."""
    side = genesis_state(VmKind.FERRIS, A, 1000, sb.ACTIVATION)
    entry = OutboxEntry(OutboxKind.MESSAGE, sb.CHAIN_B, b"b", 5, b"", b"")
    relayed = _mainchain(
        _mainchain(
            _mainchain(sb.initial(), 12, [sb.deposit_output(A, 1000)]).state,
            14,
            [sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 12, [entry]))],
        ).state,
        17,
        [sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, [entry], 0))],
    )
    refunded = _mainchain(relayed.state, 17 + sb.SPEC_B.message_timeout, [sb.refund_output(A, 0, 0)])
    (bounce,) = refunded.inbound
    assert bounce.recipient == b""
    inputs = MainchainInputs(30, sb.SPEC_A.peg_in_depth, (), refunded.inbound)
    block = build_sidechain_block(side, [], inputs, 1001, 17 + sb.SPEC_B.message_timeout, DEVNET)
    result = apply_sidechain_block(side, block, inputs, DEVNET)
    assert result.inputs == ((bounce, False),)
    assert result.outbox == (refund_entry(bounce),) and refund_entry(bounce).target_chain == A
    assert refund_entry(bounce).sender == b""  # SCB-2: no account emitted a refund entry
