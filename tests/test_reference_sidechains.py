"""The node's sidechain side (reference/sidechains.py) without sockets: a full round trip.

A devnet mainchain with every fork ACTIVE and sidechain A (FerrisScript, federation = the finality
quorum) registered; the finality quorum's committed key is a 2-of-3 threshold key whose three
members each run a :class:`SidechainService` (their own SQLite database) and hear each other's
blocks, transactions and checkpoint shares at once. Checked end to end through the spec's
``apply_block``: a peg-in is credited on the sidechain once buried, the federation checkpoints the
genesis header and every block (the threshold signature verifies under the committed key), a
transfer and a withdrawal run in a block the proposer built and the other members re-executed,
and the claim is paid on the mainchain from escrow after the challenge period, once.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance import sidechainbuilder as sb
from reference.sidechains import SidechainRejected, account_of, balance_of, ferris_wallet_transaction
from reference.statecodec import decode_governance, decode_sidechains, encode_governance, encode_sidechains
from spec.errors import SpecError, WithdrawalSpent
from spec.governance.proposals import EMPTY_STATE, CreateSidechain, Proposal, ProposalRecord, ProposalStatus
from spec.ledger.transaction import OutPoint, TxOutput, txid
from spec.presets import DEVNET
from spec.sidechain.checkpoint import is_signed_by
from spec.sidechain.header import Checkpoint
from spec.sidechain.state import apply_sidechain_transaction
from spec.sidechain.transactions import DepositMessage, match_sidechain_message
from spec.vm.ferris import FerrisTxKind
from tests.sidechain_helpers import GROUP_KEY as GROUP_KEY
from tests.sidechain_helpers import RESULT as RESULT
from tests.sidechain_helpers import SECRET_SHARES as SECRET_SHARES
from tests.sidechain_helpers import SESSION as SESSION
from tests.sidechain_helpers import World as World
from tests.sidechain_helpers import build_world, run_until, state_with_federation

SPEC = sb.SPEC_A
CHAIN = SPEC.sidechain_id
ALICE_SEED = b"\xa1" * 32
BOB_SEED = b"\xb0" * 32
_state_with_federation = state_with_federation
_run_until = run_until


@pytest.fixture
def world() -> World:
    """A fresh world per test: no test relies on another having run first (or on the same worker)."""
    return build_world((SPEC,))


def test_round_trip_peg_in_transfer_withdrawal_checkpoint_claim(world: World) -> None:
    _round_trip(world)


def _round_trip(world: World) -> None:
    """Peg-in, transfer, withdrawal, threshold checkpoints and the claim paid once (module docstring)."""
    alice, bob = account_of(ALICE_SEED), account_of(BOB_SEED)
    node = world.services[0]
    assert node.info(CHAIN)["height"] == 0
    # the genesis header is checkpointed first (SC-CP-1: height 0, zero parent)
    _run_until(world, lambda: world.builder.state.sidechains.chains[CHAIN].latest is not None)
    # peg-in: credited once buried peg_in_depth blocks (SC-CP-3 / SCB-2)
    world.publish(DepositMessage(CHAIN, alice), (), 50_000)
    world.mine()
    deposit_height = world.builder.state.height
    assert world.builder.state.sidechains.chains[CHAIN].escrow == 50_000
    _run_until(world, lambda: balance_of(node, CHAIN, alice)["balance"] == 50_000)
    block = node.local(CHAIN).blocks[-1]  # type: ignore[union-attr]
    assert block is not None and block.header.deposit_cursor >= deposit_height
    # every member re-executed the proposer's block (SCB-1..5): one tip everywhere
    assert len({s.info(CHAIN)["tip_hash"] for s in world.services}) == 1
    # a transfer and a withdrawal, signed by Alice's key, submitted to one member and flooded
    transfer = ferris_wallet_transaction(node, CHAIN, ALICE_SEED, FerrisTxKind.TRANSFER, 10_000, bob)
    world.flood(0, node.submit(CHAIN, transfer))
    recipient = sb.ALICE
    withdraw = ferris_wallet_transaction(node, CHAIN, ALICE_SEED, FerrisTxKind.WITHDRAW, 5_000, recipient)
    world.flood(0, node.submit(CHAIN, withdraw))
    assert all(len(s.pool(CHAIN)) == 2 for s in world.services)
    empty = ferris_wallet_transaction(node, CHAIN, b"\xc0" * 32, FerrisTxKind.TRANSFER, 1, alice)
    with pytest.raises(SidechainRejected, match="rejects"):  # no balance for the fee (VMF-6)
        node.submit(CHAIN, empty)
    with pytest.raises(SidechainRejected, match="no sidechain"):
        node.submit(CHAIN + 1, transfer)
    _run_until(world, lambda: balance_of(node, CHAIN, bob)["balance"] == 10_000)
    assert all(balance_of(s, CHAIN, bob)["balance"] == 10_000 for s in world.services)
    # the withdrawal is checkpointed, then matures (SC-PEG-3)
    _run_until(
        world, lambda: bool(node.withdrawals(CHAIN)) and bool(node.withdrawals(CHAIN)[0]["checkpointed"])
    )
    entry = node.withdrawals(CHAIN)[0]
    assert entry["amount"] == 5_000 and entry["claimed"] is False
    record = world.builder.state.sidechains.chains[CHAIN]
    posted = next(
        c for c in world.builder.blocks[-1].transactions[1:] for o in c.outputs if _is_checkpoint(o)
    )
    checkpoint = next(m for o in posted.outputs if isinstance(m := _message(o), Checkpoint))
    assert is_signed_by(checkpoint, GROUP_KEY)  # the threshold signature of 2 of 3 shares (SIGN-3)
    while world.builder.state.height + 1 < int(entry["claimable_from"]):  # type: ignore[call-overload]
        world.mine()
    escrow = world.builder.state.sidechains.chains[CHAIN].escrow
    claim = node.claim(CHAIN, int(entry["height"]), int(entry["index"]))  # type: ignore[call-overload]
    after = world.mine()
    payout = after.utxos[OutPoint(txid(claim, DEVNET), 1)].output
    assert payout == TxOutput(5_000, recipient)
    assert after.sidechains.chains[CHAIN].escrow == escrow - 5_000
    assert node.withdrawals(CHAIN)[0]["claimed"] is True
    assert record.checkpoints  # checkpoints accepted along the way
    with pytest.raises(WithdrawalSpent):  # at most once (SC-PEG-4)
        apply_sidechain_transaction(after.sidechains, claim, after.height + 1, {}, DEVNET)


def _message(output: TxOutput) -> object:
    try:
        return match_sidechain_message(output.script_pubkey, DEVNET)
    except SpecError:
        return None


def _is_checkpoint(output: TxOutput) -> bool:
    return isinstance(_message(output), Checkpoint)


def test_a_stored_sidechain_proposal_survives_the_node_state_codec() -> None:
    """The node's stored governance state reads a CREATE_SIDECHAIN proposal whatever the fork (a
    node that had one could not restart: the devnet round trip found it)."""
    record = ProposalRecord(
        b"\x01" * 32, Proposal(b"sidechain 1", 40, CreateSidechain(SPEC)), 1, ProposalStatus.EXECUTED, 3
    )
    state = replace(EMPTY_STATE, proposals={record.proposal_id: record})
    assert decode_governance(encode_governance(state, DEVNET), DEVNET) == state


def test_the_node_stores_the_sidechains_state(world: World) -> None:
    """The store's meta row ``sidechains`` (SC-STATE-1 items) gives back the state after the round
    trip: registry, escrow, checkpoints and the spent withdrawal (a restarted node forgot them)."""
    _round_trip(world)
    state = world.builder.state.sidechains
    assert state.chains[CHAIN].checkpoints and state.spent_withdrawals
    assert decode_sidechains(encode_sidechains(state)) == state
