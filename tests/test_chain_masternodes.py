"""The masternode list and governance wired into the chain state transition (spec/chain/state.py).

The scenario (conformance/masternodechain.py) registers two masternodes with real collateral and
BLS proofs of possession, pays them in rotation, passes a treasury proposal and pays it at the
first superblock; every block is validated by :func:`spec.chain.state.apply_block`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conformance.chainbuilder import ChainBuilder
from conformance.generators.masternode import operator, registration
from conformance.masternodechain import GRANTEE, MASTERNODES, PAYOUT_COINS, MasternodeChain, masternode_chain
from conformance.wallet import sign_transaction
from reference.statecodec import decode_governance, decode_masternodes, encode_governance, encode_masternodes
from reference.storage import ChainStore
from spec.chain.block import Block
from spec.chain.rewards import block_subsidy, split_reward
from spec.chain.state import BlockContext, ChainState, block_obligations, transition
from spec.errors import BadCoinbasePayout, DuplicateCollateral
from spec.governance.proposals import ProposalStatus, is_superblock
from spec.ledger.transaction import SEQUENCE_FINAL, OutPoint, Transaction, TxInput, TxOutput, txid
from spec.ledger.utxo import UtxoEntry, transaction_diff
from spec.masternode.registry import MasternodeStatus, next_payee, null_data_payload
from spec.masternode.registry import message_script as mn_message_script
from spec.presets import DEVNET

PRESET = DEVNET
EXTRA = PRESET.governance.superblock_interval + 1
"""Run past the second superblock so "paid exactly once" is checked across two superblocks."""


@pytest.fixture(scope="module")
def chain() -> MasternodeChain:
    return masternode_chain(PRESET, EXTRA)


def _burned(parent: ChainState, block: Block) -> tuple[int, int]:
    """(fees, value of null-data outputs) of the block's non-coinbase transactions."""
    fees = burned = 0
    utxos: dict[OutPoint, UtxoEntry] = dict(parent.utxos)
    height = block.header.height
    for tx in block.transactions[1:]:
        diff = transaction_diff(utxos, tx, height, PRESET)
        fees += sum(e.output.value for _, e in diff.spent) - sum(o.value for o in tx.outputs)
        burned += sum(
            o.value for o in tx.outputs if null_data_payload(o.script_pubkey, PRESET.script) is not None
        )
        for outpoint, _ in diff.spent:
            del utxos[outpoint]
        utxos.update(diff.created)
    return fees, burned


def test_registration_then_rotation(chain: MasternodeChain) -> None:
    builder = chain.builder
    registered = builder.states[chain.registration_height + 1].masternodes
    assert set(registered.entries) == set(chain.collaterals.values())
    assert all(e.status is MasternodeStatus.ACTIVE for e in registered.entries.values())
    # Before the registrations no payee is due and the coinbase has the miner output alone.
    for height in range(chain.first_paid_height):
        assert block_obligations(builder.states[height], height, PRESET).masternode_payee is None
    payees: list[OutPoint] = []
    for height in range(chain.first_paid_height, len(builder.blocks)):
        parent, after = builder.states[height], builder.states[height + 1]
        payee = next_payee(parent.masternodes, height)
        assert payee is not None
        payees.append(payee.collateral)
        split = split_reward(
            block_subsidy(height, PRESET) + _burned(parent, builder.blocks[height])[0],
            0,
            True,
            PRESET,
        )
        masternode_output = builder.blocks[height].transactions[0].outputs[1]
        assert (masternode_output.value, masternode_output.script_pubkey) == (
            split.masternode,
            payee.payout_script,
        )
        assert after.masternodes.entries[payee.collateral].last_paid_height == height
    # Every run of len(MASTERNODES) blocks pays each masternode exactly once.
    count = len(MASTERNODES)
    for start in range(0, len(payees) - count + 1):
        assert len(set(payees[start : start + count])) == count


def test_omitting_the_payee_is_rejected(chain: MasternodeChain) -> None:
    builder = chain.builder
    height = chain.first_paid_height
    block = builder.blocks[height]
    coinbase = block.transactions[0]
    outputs = list(coinbase.outputs)
    share = outputs.pop(1)
    outputs[0] = replace(outputs[0], value=outputs[0].value + share.value)
    bad = replace(block, transactions=(replace(coinbase, outputs=tuple(outputs)), *block.transactions[1:]))
    with pytest.raises(BadCoinbasePayout):
        transition(builder.states[height], bad, BlockContext(block.header.timestamp), PRESET)


def test_proposal_paid_exactly_once_and_treasury(chain: MasternodeChain) -> None:
    builder = chain.builder
    amount = PAYOUT_COINS * PRESET.ledger.atoms_per_coin
    grants: list[tuple[int, int]] = []
    for height, block in enumerate(builder.blocks):
        parent, after = builder.states[height], builder.states[height + 1]
        due = block_obligations(parent, height, PRESET)
        grants.extend((height, p.amount) for p in due.payments)
        for output in block.transactions[0].outputs:
            if output.script_pubkey == GRANTEE.script_pubkey:
                grants.append((height, -output.value))
        split = split_reward(
            block_subsidy(height, PRESET) + _burned(parent, block)[0],
            len(block.votes),
            due.masternode_payee is not None,
            PRESET,
        )
        paid = sum(p.amount for p in due.payments)
        assert after.treasury == parent.treasury - paid + split.treasury
        assert after.treasury >= 0
        if not is_superblock(height, PRESET):
            assert due.payments == ()
    superblock = chain.superblock_height
    assert grants == [(superblock, amount), (superblock, -amount)]
    record = builder.states[superblock + 1].governance.proposals[chain.proposal_id]
    assert record.status is ProposalStatus.EXECUTED
    assert (record.yes, record.no, record.abstain) == (len(MASTERNODES), 0, 0)
    assert chain.proposal_id in builder.states[-1].governance.executed
    assert builder.states[superblock].governance.proposals[chain.proposal_id].status is ProposalStatus.PENDING


def test_value_conservation(chain: MasternodeChain) -> None:
    builder = chain.builder
    minted = burned_total = 0
    for height, block in enumerate(builder.blocks):
        parent, after = builder.states[height], builder.states[height + 1]
        burned = _burned(parent, block)[1]
        minted += block_subsidy(height, PRESET)
        burned_total += burned
        held = sum(e.output.value for e in after.utxos.values())
        assert held + after.treasury + burned_total == minted
    assert burned_total == PRESET.governance.proposal_fee


def test_chain_without_masternodes_pays_none() -> None:
    """A chain with no registration never owes a payee or a payment (the old behaviour)."""
    builder = ChainBuilder(PRESET)
    for _ in range(PRESET.governance.superblock_interval + 1):
        builder.extend()
    for height, block in enumerate(builder.blocks):
        assert len(block.transactions[0].outputs) == 1
        due = block_obligations(builder.states[height], height, PRESET)
        assert (due.masternode_payee, due.payments) == (None, ())
    assert builder.state.masternodes.entries == {}
    assert builder.state.governance.proposals == {}


def test_state_codecs_round_trip(chain: MasternodeChain) -> None:
    for state in chain.builder.states:
        assert decode_masternodes(encode_masternodes(state.masternodes)) == state.masternodes
        assert decode_governance(encode_governance(state.governance, PRESET), PRESET) == state.governance


def test_storage_persists_masternodes_and_governance(chain: MasternodeChain, tmp_path: Path) -> None:
    builder = chain.builder
    path = tmp_path / "chain.sqlite"
    store = ChainStore(path, PRESET)
    for block in builder.blocks:
        store.import_block(block, BlockContext(now=block.header.timestamp))
    store.close()
    reopened = ChainStore(path, PRESET)
    assert reopened.state.masternodes == builder.state.masternodes
    assert reopened.state.governance == builder.state.governance
    assert reopened.state.treasury == builder.state.treasury
    # Disconnecting back below the superblock restores the pending proposal and the treasury.
    while reopened.state.height >= chain.superblock_height:
        reopened.disconnect_tip()
    expected = builder.states[chain.superblock_height]
    assert reopened.state.governance == expected.governance
    assert reopened.state.masternodes == expected.masternodes
    assert reopened.state.treasury == expected.treasury
    # And the superblock reconnects, paying the grant again on this branch exactly once.
    block = builder.blocks[chain.superblock_height]
    after = reopened.import_block(block, BlockContext(now=block.header.timestamp))
    assert after.governance == builder.states[chain.superblock_height + 1].governance
    reopened.close()


def test_invalid_masternode_message_rejects_block(chain: MasternodeChain) -> None:
    """A block re-registering a registered collateral is invalid (MN_DUPLICATE_COLLATERAL)."""
    builder = chain.builder
    height = chain.registration_height + 1
    label = MASTERNODES[0]
    registration_tx = builder.blocks[chain.registration_height].transactions[1]
    change = OutPoint(txid(registration_tx, PRESET), 1)
    owner = operator(label).owner
    spent = builder.states[height].utxos[change].output
    message = mn_message_script(registration(label, chain.collaterals[label], PRESET), PRESET)
    unsigned = Transaction(
        1,
        (TxInput(change, b"", SEQUENCE_FINAL),),
        (TxOutput(0, message), TxOutput(spent.value - 10_000, owner.script_pubkey)),
        0,
    )
    tx = sign_transaction(unsigned, [spent], [owner], PRESET)
    fork = ChainBuilder(PRESET, states=[builder.states[height]])
    with pytest.raises(DuplicateCollateral):
        fork.build([tx])


@pytest.mark.slow
def test_penalty_chain_penalises_slashes_and_resumes() -> None:
    """MN-6, SLASH-4 and STATE-5 on :func:`conformance.masternodechain.penalty_chain` (about 15 s to
    build on a loaded machine, hence slow: RUSTY_SLOW=1; the chain vectors run it in the default suite)."""
    from conformance.handlers.chain import resumed_from_items
    from conformance.masternodechain import penalty_chain
    from spec.chain.state import BlockContext, apply_block
    from spec.masternode.registry import MasternodeStatus

    chain = penalty_chain(PRESET)
    builder = chain.builder
    after_penalty = builder.states[chain.penalty_height + 1].masternodes.entries[chain.penalised]
    assert after_penalty.pose_score > 0
    assert after_penalty.last_penalty_quorum_height == chain.pose_base_height
    final = builder.state
    assert final.masternodes.entries[chain.slashed].status is MasternodeStatus.SLASHED
    assert chain.slashed not in final.utxos
    assert chain.slashed in builder.states[chain.evidence_height].utxos
    resumed = resumed_from_items(builder.states[chain.penalty_height], PRESET)
    for block in builder.blocks[chain.penalty_height :]:
        resumed = apply_block(resumed, block, BlockContext(block.header.timestamp), PRESET)
    assert resumed == final
