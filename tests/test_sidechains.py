"""Sidechains on the mainchain (fork ``sidechains``, SC-*): units, scenarios and properties.

Properties (docs/sidechains.md, "Properties"): escrow never negative, a withdrawal paid at most
once, supply conserved across the UTXO set and the escrows, messages delivered exactly once.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import sidechainbuilder as sb
from conformance.chainbuilder import ChainBuilder
from conformance.wallet import spend_p2pkh
from spec.chain.commitment import compute_state_items, compute_state_root, state_from_items
from spec.chain.state import initial_state
from spec.errors import (
    ChallengePeriod,
    CheckpointBadSignature,
    CheckpointCursorTooRecent,
    EscrowUnderflow,
    FederationKeyMissing,
    InsufficientInputValue,
    InvalidEnumTag,
    MerkleRootMismatch,
    MessageAcknowledged,
    MessageNotPending,
    MessageNotTimedOut,
    NotEquivocation,
    SidechainBadSpec,
    SidechainDuplicate,
    SpecError,
    StateItemBadKey,
    StateItemBadValue,
    WithdrawalSpent,
)
from spec.forks import FORKS
from spec.forks.deployment import DeploymentStatus
from spec.governance.proposals import (
    EMPTY_STATE,
    CreateSidechain,
    Proposal,
    ProposalRecord,
    ProposalStatus,
    check_action,
    created_sidechains,
    match_message,
    message_script,
)
from spec.ledger.transaction import OutPoint, Transaction, TxInput, TxOutput, txid
from spec.ledger.utxo import UtxoEntry
from spec.ledger.validation import check_inputs
from spec.masternode.finality import QuorumRecord
from spec.masternode.quorum import QuorumType
from spec.presets import DEVNET, MAINNET
from spec.sidechain.checkpoint import check_equivocation, max_deposit_cursor
from spec.sidechain.items import sidechain_item_key, sidechain_items, sidechains_from_items
from spec.sidechain.messages import is_timed_out
from spec.sidechain.peg import is_matured
from spec.sidechain.registry import (
    EMPTY_SIDECHAINS,
    SidechainSpec,
    SidechainsState,
    check_new_sidechain,
    check_sidechain_spec,
    decode_sidechain_spec,
    encode_sidechain_spec,
    register_sidechains,
    total_escrow,
)
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains, compute_deposits
from spec.sidechain.transactions import (
    DepositMessage,
    RefundClaim,
    decode_sidechain_message,
    encode_sidechain_message,
    match_sidechain_message,
    sidechain_message_script,
)
from spec.vm.interface import OutboxEntry
from tests.hypothesis_profiles import examples

PENDING, EXECUTED = ProposalStatus.PENDING, ProposalStatus.EXECUTED
OUTBOX = [sb.withdrawal(400), sb.withdrawal(300), sb.message(sb.CHAIN_B, 250)]
CP_A = sb.genesis_checkpoint(sb.SPEC_A, 12, OUTBOX)


def _apply(state: SidechainsState, height: int, *txs: list) -> SidechainBlock:  # type: ignore[type-arg]
    return apply_block_to_sidechains(state, sb.block(height, *txs), height, sb.keys(), DEVNET)


def _funded() -> SidechainsState:
    state = _apply(sb.initial(), 12, [sb.deposit_output(sb.CHAIN_A, 1000)]).state
    return _apply(state, 14, [sb.message_output(CP_A)]).state


# ------------------------------------------------------------------------------------ registry


def test_spec_round_trip_and_bounds() -> None:
    assert decode_sidechain_spec(encode_sidechain_spec(sb.SPEC_A)) == sb.SPEC_A
    check_sidechain_spec(sb.SPEC_A, DEVNET)
    with pytest.raises(SidechainBadSpec):
        check_sidechain_spec(sb.SPEC_A, MAINNET)  # devnet-short challenge period
    with pytest.raises(SidechainBadSpec):
        check_sidechain_spec(replace(sb.SPEC_A, max_withdrawal=sb.SPEC_A.max_escrow + 1), DEVNET)
    with pytest.raises(SidechainDuplicate):
        check_new_sidechain(sb.SPEC_A, sb.initial(), DEVNET)
    check_new_sidechain(sb.SPEC_A, EMPTY_SIDECHAINS, DEVNET)


def test_messages_round_trip_through_scripts() -> None:
    for message in (DepositMessage(1, b"x"), CP_A, RefundClaim(1, 2, 3)):
        assert decode_sidechain_message(encode_sidechain_message(message, DEVNET), DEVNET) == message
        assert match_sidechain_message(sidechain_message_script(message, DEVNET), DEVNET) == message
    claim = sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 1))[0]
    assert len(claim.script_pubkey) > 1  # a claim with a proof spans one or more pushes
    assert match_sidechain_message(claim.script_pubkey, DEVNET) is not None


# ------------------------------------------------------------------------------------ scenarios


def test_deposits_are_listed_in_canonical_order() -> None:
    txs = sb.block(
        12,
        [sb.deposit_output(sb.CHAIN_A, 5), sb.deposit_output(sb.CHAIN_B, 6)],
        [sb.deposit_output(sb.CHAIN_A, 7)],
    )
    deposits = compute_deposits(txs, 12, sb.initial(), sb.keys(), DEVNET)
    assert [(d.sidechain_id, d.position, d.amount) for d in deposits] == [(1, 0, 5), (2, 0, 6), (1, 1, 7)]
    assert all(d.mainchain_height == 12 for d in deposits)


def test_withdrawal_after_the_window_exactly_once() -> None:
    state = _funded()
    claim = sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0))
    with pytest.raises(ChallengePeriod):
        _apply(state, 16, list(claim))
    result = _apply(state, 17, list(claim))
    assert result.state.chains[1].escrow == 600 and result.released == (0, 400)
    with pytest.raises(WithdrawalSpent):
        _apply(result.state, 18, list(claim))


def test_forged_proof_and_underflow() -> None:
    state = _funded()
    forged = replace(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0), entry=sb.withdrawal(999))
    with pytest.raises(MerkleRootMismatch):
        _apply(state, 17, list(sb.claim_outputs(forged)))
    poor = _apply(sb.initial(), 12, [sb.deposit_output(sb.CHAIN_A, 100)]).state
    poor = _apply(poor, 14, [sb.message_output(CP_A)]).state
    with pytest.raises(EscrowUnderflow):
        _apply(poor, 17, list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0))))


def test_checkpoint_federation_key_and_depth() -> None:
    state = sb.initial()
    with pytest.raises(CheckpointBadSignature):
        _apply(state, 14, [sb.message_output(sb.sign(CP_A.header, QuorumType.POSE))])
    with pytest.raises(CheckpointCursorTooRecent):
        _apply(state, 13, [sb.message_output(CP_A)])
    assert max_deposit_cursor(14, 2) == 12


def test_message_round_trip_and_refund() -> None:
    state = _funded()
    relay = sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 2))
    relayed = _apply(state, 17, [relay])
    assert [m.amount for m in relayed.inbound] == [250]
    assert relayed.state.chains[2].escrow == 250 and (1, 0, 2) in relayed.state.pending_messages
    refund = sb.refund_output(sb.CHAIN_A, 0, 2)
    with pytest.raises(MessageNotTimedOut):
        _apply(relayed.state, 20, [refund])
    refunded = _apply(relayed.state, 21, [refund])
    assert refunded.state.chains[1].escrow == 1000 and refunded.state.chains[2].escrow == 0
    assert refunded.inbound[0].sidechain_id == sb.CHAIN_A and refunded.inbound[0].source_chain == sb.CHAIN_A
    acked = _apply(relayed.state, 19, [sb.message_output(sb.genesis_checkpoint(sb.SPEC_B, 17))])
    assert (1, 0, 2) in acked.state.pending_messages  # SC-MSG-3: held until B's checkpoint settles
    with pytest.raises(MessageAcknowledged):
        _apply(acked.state, 21, [refund])
    settled = _apply(acked.state, 22, [])  # B's checkpoint posted at 19 matures at 19 + 3
    assert not settled.state.pending_messages
    with pytest.raises(MessageNotPending):
        _apply(settled.state, 22, [refund])


def test_equivocation() -> None:
    key = sb.federation_public(QuorumType.FINALITY)
    a, b = sb.genesis_checkpoint(sb.SPEC_A, 0), sb.genesis_checkpoint(sb.SPEC_A, 1)
    check_equivocation(a, b, key)
    with pytest.raises(NotEquivocation):
        check_equivocation(a, a, key)
    with pytest.raises(NotEquivocation):
        check_equivocation(a, b, sb.federation_public(QuorumType.POSE))


def test_window_arithmetic_boundaries() -> None:
    assert not is_matured(14, 3, 16) and is_matured(14, 3, 17)
    assert not is_timed_out(17, 4, 20) and is_timed_out(17, 4, 21)


# ------------------------------------------------------------------------------------ properties

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "checkpoint", "claim", "relay", "refund", "empty"]),
        st.integers(0, 3),
        st.integers(1, 900),
    ),
    max_size=12,
)


def _outbox(spec: SidechainSpec, height: int) -> list[OutboxEntry]:
    """The outbox every random run's checkpoint at ``height`` of ``spec`` carries."""
    other = sb.CHAIN_B if spec is sb.SPEC_A else sb.CHAIN_A
    return [sb.withdrawal(100 + 37 * height), sb.message(other, 20 + height), sb.withdrawal(55)]


def _action_block(
    height: int, kind: str, pick: int, amount: int, state: SidechainsState
) -> tuple[Transaction, ...]:
    """One block of a random run: the outputs of one action (valid or not)."""
    spec = sb.SPEC_A if pick % 2 == 0 else sb.SPEC_B
    record = state.chains[spec.sidechain_id]
    if kind == "deposit":
        return sb.block(height, [sb.deposit_output(spec.sidechain_id, amount)])
    if kind == "checkpoint":
        latest = record.latest
        cursor = max(0, min(height - spec.peg_in_depth, (latest.deposit_cursor if latest else 0) + pick))
        parent = latest.header_hash if latest else bytes(32)
        head = sb.header(
            spec, len(record.checkpoints), parent, cursor, _outbox(spec, len(record.checkpoints))
        )
        return sb.block(height, [sb.message_output(sb.sign(head, spec.federation))])
    if kind in ("claim", "relay") and record.checkpoints:
        at = pick % len(record.checkpoints)
        index = 1 if kind == "relay" else 2 * (pick % 2)
        proof = sb.outbox_proof(spec, at, _outbox(spec, at), index)
        outputs = list(sb.claim_outputs(proof)) if kind == "claim" else [sb.relay_output(proof)]
        return sb.block(height, outputs)
    if kind == "refund" and state.pending_messages:
        key = sorted(state.pending_messages)[pick % len(state.pending_messages)]
        return sb.block(height, [sb.refund_output(*key)])
    return sb.block(height)


def _random_run_start() -> SidechainsState:
    """Both sidechains funded at 12 and checkpointed at 14, so random actions reach every rule."""
    funding = [sb.deposit_output(sb.CHAIN_A, 2000), sb.deposit_output(sb.CHAIN_B, 2000)]
    state = apply_block_to_sidechains(sb.initial(), sb.block(12, funding), 12, sb.keys(), DEVNET).state
    checkpoints = [
        sb.message_output(sb.sign(sb.header(spec, 0, bytes(32), 12, _outbox(spec, 0)), spec.federation))
        for spec in (sb.SPEC_A, sb.SPEC_B)
    ]
    return apply_block_to_sidechains(state, sb.block(14, checkpoints), 14, sb.keys(), DEVNET).state


@settings(max_examples=examples(60))
@given(ACTIONS)
def test_escrow_supply_and_at_most_once(actions: list[tuple[str, int, int]]) -> None:
    state = _random_run_start()
    utxo_delta = -total_escrow(state)  # value into the UTXO set minus value out, by sidechain messages
    paid: dict[tuple[int, int, int], int] = {}
    relayed: dict[tuple[int, int, int], int] = {}
    height = 14
    for kind, pick, amount in actions:
        height += 2
        txs = _action_block(height, kind, pick, amount, state)
        before = total_escrow(state)
        try:
            result = apply_block_to_sidechains(state, txs, height, sb.keys(), DEVNET)
        except SpecError:
            continue  # an invalid block changes nothing
        deposited = sum(d.amount for d in result.deposits)
        released = sum(result.released)
        utxo_delta += released - deposited
        # supply: what left the UTXO set is what the escrows gained
        assert total_escrow(result.state) - before == deposited - released
        for key in result.state.spent_withdrawals - state.spent_withdrawals:
            paid[key] = paid.get(key, 0) + 1
        for key in result.state.delivered_messages - state.delivered_messages:
            relayed[key] = relayed.get(key, 0) + 1
        state = result.state
        for record in state.chains.values():
            assert 0 <= record.escrow <= record.spec.max_escrow
    assert total_escrow(state) == -utxo_delta
    assert all(count == 1 for count in paid.values())
    assert all(count == 1 for count in relayed.values())
    assert set(state.pending_messages) <= state.delivered_messages


# ------------------------------------------------------------------------------------ in the chain


def _chain(active: bool) -> ChainBuilder:
    """A devnet chain with every fork ACTIVE from genesis (or none) and sidechains A and B registered."""
    base = initial_state(DEVNET)
    if not active:
        return ChainBuilder(DEVNET, states=[base])
    records = tuple(replace(r, status=DeploymentStatus.ACTIVE) for r in base.deployments)
    return ChainBuilder(DEVNET, states=[replace(base, deployments=records, sidechains=sb.initial())])


def _deposit_tx(builder: ChainBuilder, amount: int) -> Transaction:
    coinbase = builder.blocks[0].transactions[0]
    outpoint = OutPoint(txid(coinbase, DEVNET), 0)
    value = builder.state.utxos[outpoint].output.value
    outputs = [
        sb.deposit_output(sb.CHAIN_A, amount),
        TxOutput(value - amount - 10_000, builder.miner.script_pubkey),
    ]
    return spend_p2pkh(builder.state.utxos, [outpoint], [builder.miner], outputs, DEVNET)


@pytest.mark.parametrize("active", [True, False])
def test_chain_moves_deposits_into_escrow_under_the_fork(active: bool) -> None:
    builder = _chain(active)
    for _ in range(DEVNET.ledger.coinbase_maturity + 1):
        builder.add(builder.build())
    supply_before = sum(e.output.value for e in builder.state.utxos.values())
    tx = _deposit_tx(builder, 123_456)
    block = builder.build([tx])
    after = builder.add(block)
    subsidy = sum(o.value for o in block.transactions[0].outputs)
    assert sum(e.output.value for e in after.utxos.values()) == supply_before + subsidy - 10_000 - 123_456
    if active:
        assert after.sidechains.chains[sb.CHAIN_A].escrow == 123_456  # SC-PEG-1, SC-PEG-6
        items = compute_state_items(after, DEVNET)  # SC-STATE-1: committed, incrementally and by definition
        assert items[bytes([0x10]) + (1).to_bytes(8, "big")]
        assert block.header.state_root == compute_state_root(after, DEVNET)
        assert state_from_items(items, DEVNET).sidechains == after.sidechains
    else:
        assert after.sidechains == EMPTY_SIDECHAINS  # before the fork: plain null data, value burnt


def test_chain_rejects_a_checkpoint_without_a_committed_federation_key() -> None:
    builder = _chain(True)
    for _ in range(DEVNET.ledger.coinbase_maturity + 1):
        builder.add(builder.build())
    coinbase = builder.blocks[0].transactions[0]
    outpoint = OutPoint(txid(coinbase, DEVNET), 0)
    value = builder.state.utxos[outpoint].output.value
    checkpoint = sb.genesis_checkpoint(sb.SPEC_A, 0)
    outputs = [sb.message_output(checkpoint), TxOutput(value - 10_000, builder.miner.script_pubkey)]
    tx = spend_p2pkh(builder.state.utxos, [outpoint], [builder.miner], outputs, DEVNET)
    with pytest.raises(FederationKeyMissing):  # the chain committed no quorum key (FIN-5..7)
        builder.build([tx])


def test_escrow_release_counts_as_input_value() -> None:
    """SC-PEG-4 / TX-9: a claim's payout is funded by the escrow, not by the claimant's inputs."""
    utxos = {OutPoint(b"\x01" * 32, 0): UtxoEntry(TxOutput(100, sb.ALICE), 0, False)}
    claim, payout = sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0))
    tx = Transaction(1, (TxInput(OutPoint(b"\x01" * 32, 0), b"", 0xFFFFFFFF),), (claim, payout), 0)
    with pytest.raises(InsufficientInputValue):
        check_inputs(tx, utxos, 10, DEVNET)
    assert check_inputs(tx, utxos, 10, DEVNET, released=400) == 100  # the fee: 100 + 400 - 400


# ------------------------------------------------------------------------------------ registry by governance


def test_sidechain_proposals_decode_only_under_the_fork() -> None:
    """SC-FORK-2: GOV-0's action tag 2 is DECODE_INVALID_TAG before fork ``sidechains``."""
    proposal = Proposal(b"sidechain A", 40, CreateSidechain(sb.SPEC_A))
    forked = FORKS[-1].governance_preset(DEVNET)
    script = message_script(proposal, forked)
    assert match_message(script, forked) == proposal
    with pytest.raises(InvalidEnumTag):
        match_message(script, FORKS[2].governance_preset(DEVNET))
    check_action(proposal.action, forked)
    with pytest.raises(SidechainBadSpec):
        check_action(CreateSidechain(replace(sb.SPEC_A, vm_kind=9)), forked)


def test_created_sidechains_in_execution_order() -> None:
    """SC-REG-2: the specs executed between two governance states, net yes descending."""

    def record(spec: SidechainSpec, status: ProposalStatus, yes: int) -> ProposalRecord:
        return ProposalRecord(
            bytes([spec.sidechain_id]) * 32, Proposal(b"x", 40, CreateSidechain(spec)), 1, status, yes
        )

    before = replace(
        EMPTY_STATE,
        proposals={r.proposal_id: r for r in (record(sb.SPEC_A, PENDING, 0), record(sb.SPEC_B, PENDING, 0))},
    )
    passed = (record(sb.SPEC_A, EXECUTED, 3), record(sb.SPEC_B, EXECUTED, 5))
    after = replace(
        before,
        proposals={r.proposal_id: r for r in passed},
        executed=frozenset(r.proposal_id for r in passed),
    )
    assert created_sidechains(before, after) == (sb.SPEC_B, sb.SPEC_A)
    assert created_sidechains(after, after) == ()
    registered = register_sidechains(
        EMPTY_SIDECHAINS, (sb.SPEC_B, sb.SPEC_A, replace(sb.SPEC_A, peg_in_depth=9)), 40
    )
    assert registered.chains[sb.CHAIN_A].spec == sb.SPEC_A  # a repeated id is skipped


def test_sidechain_items_round_trip_and_reject_bad_keys() -> None:
    """SC-STATE-1: the items of a state after a message round trip decode back to it."""
    state = _funded()
    relayed = _apply(state, 17, [sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 2))]).state
    claimed = _apply(relayed, 18, list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0)))).state
    items = sidechain_items(claimed)
    assert {key[0] for key in items} == {0x10, 0x11, 0x12, 0x13, 0x14, 0x18}
    assert sidechains_from_items(items) == claimed
    assert sidechain_items(EMPTY_SIDECHAINS) == {}  # before the fork nothing is committed
    gap = dict(items)
    checkpoint_key = next(k for k in items if k[0] == 0x11)
    gap[checkpoint_key[:-1] + b"\x01"] = gap.pop(checkpoint_key)  # height 1 without height 0
    with pytest.raises(StateItemBadKey):
        sidechains_from_items(gap)
    marker = dict(items)
    spent_key = next(k for k in items if k[0] == 0x12)
    marker[spent_key] = b"\x02"
    with pytest.raises(StateItemBadValue):
        sidechains_from_items(marker)


def test_chain_round_trip_deposit_checkpoint_window_claim() -> None:
    """SC-PEG-1..5 end to end through ``apply_block``: the federation key is a committed finality
    quorum key (FIN-5/6), the claim's payout is funded by the escrow (TX-9 ``released``)."""
    builder = _chain(True)
    while builder.state.height < 26:  # the finality quorum based at 0 is in charge from 25 on
        builder.add(builder.build())
    record = QuorumRecord(0, bytes(32), bytes(32), (), 1, sb.federation_public(QuorumType.FINALITY), 0)
    tip = builder.state
    builder.states[-1] = replace(
        tip, quorums=replace(tip.quorums, records={**tip.quorums.records, 0: record})
    )
    deposit_height = builder.state.height + 1
    builder.add(builder.build([_deposit_tx(builder, 5_000)]))
    builder.add(builder.build())
    checkpoint = sb.genesis_checkpoint(sb.SPEC_A, deposit_height, OUTBOX)
    coinbase = builder.blocks[1].transactions[0]
    funding = OutPoint(txid(coinbase, DEVNET), 0)
    value = builder.state.utxos[funding].output.value
    outputs = [sb.message_output(checkpoint), TxOutput(value - 10_000, builder.miner.script_pubkey)]
    builder.add(
        builder.build([spend_p2pkh(builder.state.utxos, [funding], [builder.miner], outputs, DEVNET)])
    )
    posted = builder.state.height
    assert builder.state.sidechains.chains[sb.CHAIN_A].checkpoints[0].posted_height == posted
    while builder.state.height < posted + sb.SPEC_A.challenge_period - 1:
        builder.add(builder.build())
    coinbase = builder.blocks[2].transactions[0]
    funding = OutPoint(txid(coinbase, DEVNET), 0)
    value = builder.state.utxos[funding].output.value
    claim, payout = sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0))
    change = TxOutput(value - 10_000, builder.miner.script_pubkey)
    tx = spend_p2pkh(builder.state.utxos, [funding], [builder.miner], [claim, payout, change], DEVNET)
    builder.fees = lambda transactions: 10_000  # type: ignore[method-assign]  # the escrow pays the payout
    after = builder.add(builder.build([tx]))
    assert after.height == posted + sb.SPEC_A.challenge_period
    assert after.sidechains.chains[sb.CHAIN_A].escrow == 5_000 - 400
    assert after.utxos[OutPoint(txid(tx, DEVNET), 1)].output == TxOutput(400, sb.ALICE)
    assert (sb.CHAIN_A, 0, 0) in after.sidechains.spent_withdrawals
    with pytest.raises(WithdrawalSpent):  # the sidechain step runs before the inputs are checked
        builder.build([tx])


def test_getproof_names_every_sidechain_item() -> None:
    """STATE-7 over SC-STATE-1: ``getproof``'s sidechain kinds name exactly the committed keys
    (the record with its escrow, checkpoints, spent withdrawals, delivered and pending messages)."""
    from reference.rpc import SIDECHAIN_ITEM_KINDS, RpcError, state_item_key
    from spec.chain.layout import StateLayout
    from spec.presets import DEVNET

    state = _funded()
    relayed = _apply(state, 17, [sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 2))]).state
    claimed = _apply(relayed, 18, list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 0, OUTBOX, 0)))).state
    names = {kind: name for name, kind in SIDECHAIN_ITEM_KINDS.items()}
    for key in sidechain_items(claimed):
        parts = [int.from_bytes(key[i : i + 8], "big") for i in range(1, len(key), 8)]
        assert state_item_key([names[key[0]], *parts], StateLayout.FULL, DEVNET) == key
    with pytest.raises(StateItemBadKey):
        sidechain_item_key(0x10, 1, 2)
    with pytest.raises(StateItemBadKey):
        sidechain_item_key(0x0F, 1)
    with pytest.raises(RpcError):
        state_item_key(["checkpoint", 1], StateLayout.FULL, DEVNET)
    with pytest.raises(RpcError):
        state_item_key(["sidechain", 1], StateLayout.UTXO, DEVNET)  # coins only before the fork
