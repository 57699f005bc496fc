"""A real devnet chain for fast sync with finality (SNAP-9, reference/snapshots.py): a finality
quorum commits its key on chain (FIN-5) in the first block under fork ``state_trie``, so that the
full-state snapshots from there carry the key their certificates verify under.

The quorum is based before the fork (devnet: 30). The chain may run past the next base height (60):
under ``state_trie`` the quorums based at 60 are recorded by block 61 from its ``prev_hash`` (ST-2,
spec/forks/state_trie.py), so block 60's header never commits to a record of its own hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from conformance.chainbuilder import ChainBuilder
from conformance.dkgbuilder import Finished, certify, finish, quorum_of_session
from conformance.generators.masternode import operator, registration
from conformance.masternodechain import FEE_COIN_COINS, _spend
from conformance.upgradechain import (
    TICKETS,
    _buy_tickets,
    _voting_builder,
    state_trie_purchase_height,
    state_trie_voter,
    unanimous,
)
from conformance.upgradechain import (
    voter as _first_voter,
)
from spec.chain.block import Block, block_hash
from spec.chain.forkchoice import FinalityCertificate
from spec.forks.deployment import CHOICE_YES, vote_bits_for
from spec.ledger.transaction import OutPoint, Transaction, TxOutput, txid
from spec.masternode.finality import (
    build_commitment,
    commitment_signature,
    commitment_window,
    finality_dkg_session,
)
from spec.masternode.registry import message_script as mn_message_script
from spec.presets import Preset

LABEL = "quorum-trie-chain"


QUORUM_MEMBERS = ("alice", "bob", "carol")
"""The masternodes :func:`state_trie_quorum_chain` registers (devnet's ``dkg.min_members``)."""


@dataclass(frozen=True)
class QuorumTrieChain:
    """The chain, the finality quorum's base and commitment heights, and the finished DKG that signs
    certificates (:meth:`certificate`)."""

    builder: ChainBuilder
    base_height: int
    commitment_height: int
    finished: Finished

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(self.builder.blocks)

    def certificate(self, height: int) -> FinalityCertificate:
        """The quorum's certificate of the chain's block at ``height`` (members 1..t sign)."""
        block = block_hash(self.builder.blocks[height].header, self.builder.preset)
        return certify(self.finished, height, block, range(1, self.finished.result.threshold + 1))


FUNDING_HEIGHT = 8
"""The block funding the masternodes' collaterals and fee coins (spends coinbase 1)."""


@cache
def state_trie_quorum_chain(preset: Preset, length: int) -> QuorumTrieChain:
    """A chain of ``length`` blocks (devnet): the two ticket batches of
    :func:`conformance.upgradechain.state_trie_chain` (``state_trie`` ACTIVE from 50); three
    masternodes funded at :data:`FUNDING_HEIGHT` and registered in the next block; the finality
    quorum based at 30 commits its key at 50 (its commitment window opens there) and certifies
    55..84."""
    deployment = next(f.deployment for f in preset.forks if f.name == "state_trie")
    assert deployment is not None
    interval = preset.masternodes.finality_quorum_interval
    base_height = interval
    commitment_height, _ = commitment_window(base_height, preset)
    if commitment_height < 5 * deployment.window_blocks:
        raise ValueError("the scenario needs the commitment under state_trie")
    builder = _voting_builder(preset, unanimous(), "miner")
    second = [state_trie_voter(i) for i in range(TICKETS)]
    for owner in second:
        builder.register_voter(owner)
        builder.vote_bits[owner.public_key] = vote_bits_for([(deployment.vote_bit, CHOICE_YES)])
    first_purchase = preset.ledger.coinbase_maturity + 1
    second_purchase = state_trie_purchase_height(preset)
    miner = builder.miner
    unit = preset.ledger.atoms_per_coin
    finished: Finished | None = None
    funding_id = b""
    while len(builder.blocks) < length:
        height = builder.state.height + 1
        transactions: list[Transaction] = []
        if height == first_purchase:
            transactions.append(_buy_tickets(builder, 0, [_first_voter(i) for i in range(TICKETS)]))
        elif height == second_purchase:
            transactions.append(_buy_tickets(builder, 2, second))
        if height == FUNDING_HEIGHT:
            outputs: list[TxOutput] = []
            for label in QUORUM_MEMBERS:
                owner = operator(label).owner
                outputs += [
                    TxOutput(preset.masternodes.collateral, owner.script_pubkey),
                    TxOutput(FEE_COIN_COINS * unit, owner.script_pubkey),
                ]
            coin = OutPoint(txid(builder.blocks[1].transactions[0], preset), 0)
            funding = _spend(builder, coin, miner, outputs, preset)
            funding_id = txid(funding, preset)
            transactions.append(funding)
        elif height == FUNDING_HEIGHT + 1:
            for i, label in enumerate(QUORUM_MEMBERS):
                signed = registration(label, OutPoint(funding_id, 2 * i), preset)
                script = mn_message_script(signed, preset)
                owner = operator(label).owner
                transactions.append(
                    _spend(builder, OutPoint(funding_id, 2 * i + 1), owner, [TxOutput(0, script)], preset)
                )
        elif height == commitment_height:
            assert finished is not None
            session = finished.quorum.session
            signatures = {
                j: commitment_signature(
                    secret,
                    base_height,
                    session.session_id,
                    finished.group_public_key,
                    finished.key_shares_root,
                )
                for j, secret in enumerate(finished.quorum.secrets, start=1)
                if j <= session.threshold
            }
            commitment = build_commitment(
                base_height,
                session.session_id,
                finished.group_public_key,
                finished.key_shares_root,
                signatures,
            )
            coin = OutPoint(txid(builder.blocks[3].transactions[0], preset), 0)
            transactions.append(
                _spend(builder, coin, miner, [TxOutput(0, mn_message_script(commitment, preset))], preset)
            )
        builder.extend(transactions)
        if height == base_height:
            after = builder.state
            session = finality_dkg_session(after.masternodes, after.tip_hash, base_height, preset)
            secrets = {operator(label).public_key: operator(label).secret for label in QUORUM_MEMBERS}
            finished = finish(quorum_of_session(f"{LABEL}/{preset.name}/{base_height}", session, secrets))
    assert finished is not None
    return QuorumTrieChain(builder, base_height, commitment_height, finished)
