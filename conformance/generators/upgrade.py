"""Vectors of the ``upgrade`` flow (fork ``governed_tickets``): UPG-1..6 and GT-1 (docs/upgrades.md).

Both presets: the fork registry, agenda choices from vote bits, the vote message with and without
vote bits, and every transition of the deployment state machine at its boundaries (quorum exactly
met and one vote short, threshold exactly met and one vote short, expiry, the last window before
expiry, a no supermajority). Devnet also gets mined chains (conformance/upgradechain.py): the
blocks around lock-in and activation, a vote that fails, one that misses the quorum, one below the
threshold, votes whose signature does not cover their bits, the fork's rule (GT-1) one block
before and at activation, and reorganisations across the activation boundary.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from conformance.generators.chain import reseal
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.upgradechain import (
    AGENDA,
    UpgradeChain,
    branch,
    proposal_block,
    split,
    state_trie_busy_chain,
    state_trie_chain,
    supported,
    unanimous,
    upgrade_chain,
    voter,
)
from spec.chain.block import Block, encode_block
from spec.chain.tickets import vote_message
from spec.crypto import ed25519
from spec.forks.deployment import CHOICE_NO, CHOICE_YES, DeploymentStatus, deployment_of, vote_bits_for
from spec.ledger.transaction import OutPoint
from spec.presets import Deployment, Preset

FORK = "governed_tickets"


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error, fork=FORK)


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """Upgrade vectors for one preset."""
    deployment = deployment_of(preset, AGENDA)
    if deployment is None:
        return
    yield _case("forks", "registry", "UPG-1: the forks in order and their deployment parameters", {})
    yield from _choice_cases(deployment)
    yield from _vote_bits_cases(preset)
    yield from _fork_rule_cases(preset)
    yield from _message_cases(deployment)
    yield from _state_cases(deployment)
    if supported(preset):
        yield from _chain_cases(preset, deployment)


def _choice_cases(deployment: Deployment) -> Iterator[CaseSpec]:
    bit = deployment.vote_bit
    for name, bits, meaning in (
        ("no_bits", 0, "vote bits 0: abstain"),
        ("no", 1 << bit, "choice 1: no"),
        ("yes", 2 << bit, "choice 2: yes"),
        ("both_bits", 3 << bit, "choice 3 is not a choice and counts as abstain"),
        ("yes_with_unknown_bits", (2 << bit) | 0x80, "bits of no known agenda are ignored"),
        ("other_agenda_only", 2 << ((bit + 2) % 6 + 1 if bit != 5 else 1), "another agenda's field only"),
    ):
        yield _case(
            "agenda_choice",
            name,
            f"UPG-2: {meaning}",
            {"agenda_id": deployment.agenda_id, "vote_bits": bits},
        )


def _vote_bits_cases(preset: Preset) -> Iterator[CaseSpec]:
    """UPG-2, voter side: the vote bits of a set of choices (what a ticket holder's wallet writes)."""
    bits = [f.deployment.vote_bit for f in preset.forks if f.deployment is not None]
    for name, choices, meaning in (
        ("no_choices", [], "no agenda chosen: 0, an approving vote with no agenda choice"),
        ("one_yes", [(bits[0], CHOICE_YES)], "yes on the first agenda"),
        (
            "every_agenda",
            [(bits[0], CHOICE_YES), (bits[1], CHOICE_NO), (bits[2], CHOICE_YES)],
            "yes, no and yes on three agendas: their fields side by side",
        ),
        ("no_then_abstain", [(bits[1], CHOICE_NO), (bits[0], 0)], "no on one agenda, abstain on another"),
    ):
        yield _case(
            "vote_bits",
            name,
            f"UPG-2: {meaning}",
            {"choices": [{"vote_bit": b, "choice": c} for b, c in choices]},
        )


def _fork_rule_cases(preset: Preset) -> Iterator[CaseSpec]:
    """UPG-1: the rules each fork changes (GT-1/2, ST-1, SC-FORK-1/2), with a governed pool target."""
    from conformance.upgradechain import GOVERNED_PARAMETER, NEW_POOL_TARGET

    governed: dict[str, JSON] = {GOVERNED_PARAMETER.decode(): NEW_POOL_TARGET}
    for fork in preset.forks:
        yield CaseSpec(
            "fork_rules",
            f"rules_{fork.name}",
            f"UPG-1: what fork {fork.name} changes, with tickets.target_pool_size governed to "
            f"{NEW_POOL_TARGET} (GT-2 reads it from governed_tickets on)",
            {"name": fork.name, "governed": governed},
            fork=fork.name,
        )
    yield CaseSpec(
        "fork_rules",
        "rules_genesis_nothing_governed",
        "UPG-1: genesis' rules with no governed value",
        {"name": preset.forks[0].name, "governed": {}},
        fork=preset.forks[0].name,
    )
    yield _case(
        "fork_rules",
        "unknown_fork",
        "UPG-1: a fork name the spec does not have",
        {"name": "no_such_fork", "governed": {}},
        "PRESET_INVALID",
    )


def _message_cases(deployment: Deployment) -> Iterator[CaseSpec]:
    parent = seeded_bytes("upgrade/parent", 32)
    txid = seeded_bytes("upgrade/ticket", 32)
    for name, bits, meaning in (
        ("approve_only", 0, "bits 0: the message signed before forks existed"),
        ("yes", 2 << deployment.vote_bit, "a yes vote: the bits are appended"),
        ("no", 1 << deployment.vote_bit, "a no vote: another message than yes"),
    ):
        yield _case(
            "vote_message",
            name,
            f"UPG-3: {meaning}",
            {"parent_hash": parent.hex(), "txid": txid.hex(), "index": 3, "vote_bits": bits},
        )


def _state_cases(d: Deployment) -> Iterator[CaseSpec]:
    window = d.window_blocks
    start = -(-d.start_height // window) * window or window
    expiry = -(-d.expiry_height // window) * window
    quorum = d.quorum_votes
    # yes + no = total with yes exactly at the threshold, and one yes fewer.
    total = max(quorum, 4)
    while (total * d.threshold_bps) % 10_000:
        total += 1
    exact_yes = total * d.threshold_bps // 10_000
    defined, started, locked = (
        s.value for s in (DeploymentStatus.DEFINED, DeploymentStatus.STARTED, DeploymentStatus.LOCKED_IN)
    )
    rows: Sequence[tuple[str, str, str, int, int, int, bool]] = (
        (
            "defined_to_started",
            "the first window at or after the start height starts the vote",
            defined,
            start,
            0,
            0,
            True,
        ),
        (
            "defined_previous_fork_inactive",
            "a fork starts only once the previous fork is active",
            defined,
            start,
            0,
            0,
            False,
        ),
        (
            "defined_to_failed_at_expiry",
            "a vote that never started fails at expiry",
            defined,
            expiry,
            0,
            0,
            True,
        ),
        (
            "started_locks_in_at_threshold",
            f"{exact_yes} yes of {total}: exactly the threshold",
            started,
            start + window,
            exact_yes,
            total - exact_yes,
            True,
        ),
        (
            "started_below_threshold",
            f"{exact_yes - 1} yes of {total}: one vote short of the threshold",
            started,
            start + window,
            exact_yes - 1,
            total - exact_yes + 1,
            True,
        ),
        (
            "started_quorum_exactly_met",
            f"{quorum} yes and no abstentions counted: the quorum exactly",
            started,
            start + window,
            quorum,
            0,
            True,
        ),
        (
            "started_quorum_missed",
            f"{quorum - 1} yes: one vote short of the quorum, unanimous",
            started,
            start + window,
            quorum - 1,
            0,
            True,
        ),
        (
            "started_voted_down",
            f"{exact_yes} no of {total}: the no votes meet the threshold",
            started,
            start + window,
            total - exact_yes,
            exact_yes,
            True,
        ),
        (
            "started_expires_undecided",
            "an undecided vote fails at expiry",
            started,
            expiry,
            exact_yes - 1,
            total - exact_yes + 1,
            True,
        ),
        (
            "started_locks_in_at_expiry",
            "the last window before expiry still counts",
            started,
            expiry,
            exact_yes,
            total - exact_yes,
            True,
        ),
        (
            "locked_in_to_active",
            "activation one window after lock-in",
            locked,
            start + 2 * window,
            0,
            0,
            True,
        ),
        ("active_stays", "active is final", DeploymentStatus.ACTIVE.value, expiry, 0, total, True),
        ("failed_stays", "failed is final", DeploymentStatus.FAILED.value, start + window, total, 0, True),
    )
    for name, meaning, status, at, yes, no, previous in rows:
        yield _case(
            "next_state",
            name,
            f"UPG-4/5: {meaning}",
            {
                "agenda_id": d.agenda_id,
                "status": status,
                "window_start": at,
                "yes": yes,
                "no": no,
                "previous_fork_active": previous,
            },
        )


def _hex(blocks: Sequence[Block], preset: Preset) -> list[JSON]:
    return [encode_block(b, preset).hex() for b in blocks]


def _chain_cases(preset: Preset, d: Deployment) -> Iterator[CaseSpec]:
    window = d.window_blocks
    lock_in, activation = 2 * window, 3 * window
    yes = upgrade_chain(preset, unanimous(), activation + 2)
    blocks = yes.builder.blocks

    def through(chain: UpgradeChain | list[Block], height: int, name: str, meaning: str) -> CaseSpec:
        chosen = chain.builder.blocks if isinstance(chain, UpgradeChain) else chain
        return _case(
            "apply_blocks", name, f"UPG-4..6: {meaning}", {"blocks": _hex(chosen[: height + 1], preset)}
        )

    yield through(
        yes, -1, "before_genesis", "no block: the records before genesis (UPG-4), every deployment DEFINED"
    )
    yield through(yes, 0, "genesis_only", "the records after genesis: every deployment DEFINED, no votes")
    yield through(
        yes,
        lock_in - 1,
        "last_block_of_voting_window",
        "all 20 tickets voted yes; the tally is still counting",
    )
    yield through(yes, lock_in, "lock_in", "the first block of the next window locks the agenda in")
    yield through(
        yes, activation - 2, "two_blocks_before_activation", "locked in; the next block is still genesis"
    )
    yield through(
        yes, activation - 1, "one_block_before_activation", "the next block is the first of the new fork"
    )
    yield through(yes, activation, "activation", "the first block under governed_tickets")
    yield through(yes, activation + 1, "after_activation", "the fork stays in force")
    yield _case(
        "apply_blocks",
        "governed_parameter_one_block_before_activation",
        "GT-1: a tickets.target_pool_size proposal in the last genesis block is GOV_UNKNOWN_PARAMETER",
        {"blocks": _hex([*blocks[: activation - 1], proposal_block(yes, activation - 1)], preset)},
        "GOV_UNKNOWN_PARAMETER",
    )
    yield _case(
        "apply_blocks",
        "governed_parameter_at_activation",
        "GT-1: the same proposal in the first block of the fork is accepted",
        {"blocks": _hex([*blocks[:activation], proposal_block(yes, activation)], preset)},
    )
    for name, choices, meaning in (
        ("voted_down", unanimous(CHOICE_NO), "every ticket votes no: the agenda fails at the window's end"),
        (
            "quorum_missed",
            split(d.quorum_votes - 1, 0),
            "unanimous yes one vote short of the quorum: still started",
        ),
        (
            "quorum_exactly_met",
            split(d.quorum_votes, 0),
            "yes exactly at the quorum, the others abstain: locked in",
        ),
        ("below_threshold", split(14, 6), "14 yes, 6 no (70 %): still started"),
        ("threshold_exactly_met", split(15, 5), "15 yes, 5 no (75 %): locked in"),
    ):
        chain = upgrade_chain(preset, choices, lock_in + 1)
        yield through(chain, lock_in, name, meaning)
    yield from _bad_vote_cases(yes, preset, d)
    yield from _reorganisation_cases(yes, preset, window)


def _bad_vote_cases(chain: UpgradeChain, preset: Preset, d: Deployment) -> Iterator[CaseSpec]:
    builder = chain.builder
    height = next(h for h, b in enumerate(builder.blocks) if b.votes)
    block, state = builder.blocks[height], builder.states[height]
    first = block.votes[0]
    owner = next(
        voter(i)
        for i in range(20)
        if ed25519.public_key_from_seed(voter(i).seed)
        == state.tickets[OutPoint(first.ticket_txid, first.ticket_index)].voting_key
    )
    yes_bits, no_bits = vote_bits_for([(d.vote_bit, CHOICE_YES)]), vote_bits_for([(d.vote_bit, CHOICE_NO)])
    outpoint = OutPoint(first.ticket_txid, first.ticket_index)

    def with_first(vote_bits: int, signed_bits: int) -> Block:
        signature = ed25519.sign(owner.seed, vote_message(first.parent_hash, outpoint, signed_bits))
        vote = replace(first, vote=vote_bits, signature=signature)
        return reseal(state, replace(block, votes=(vote, *block.votes[1:])), preset)

    prefix = _hex(builder.blocks[:height], preset)
    for name, bits, signed, meaning in (
        ("vote_bits_changed_after_signing", no_bits, yes_bits, "a yes vote whose bits were turned into no"),
        ("vote_bits_not_signed", yes_bits, 0, "a yes vote signed over the message without bits"),
        (
            "reject_bit_with_agenda_choice",
            yes_bits | 1,
            yes_bits | 1,
            "bit 0 (reject) set next to a yes choice",
        ),
    ):
        yield _case(
            "apply_blocks",
            name,
            f"UPG-2/3, POS-4: {meaning}",
            {"blocks": [*prefix, encode_block(with_first(bits, signed), preset).hex()]},
            "POS_BAD_VOTES",
        )


def _reorganisation_cases(yes: UpgradeChain, preset: Preset, window: int) -> Iterator[CaseSpec]:
    activation = 3 * window
    old = yes.builder.blocks

    def reorg(name: str, meaning: str, fork_at: int, new: list[Block], error: str | None = None) -> CaseSpec:
        data: dict[str, JSON] = {
            "common": _hex(old[:fork_at], preset),
            "old_branch": _hex(old[fork_at:], preset),
            "new_branch": _hex(new[fork_at:], preset),
        }
        return _case("reorganise", name, f"UPG-6: {meaning}", data, error)

    after_lock_in = branch(yes, 2 * window + 5, unanimous(), activation + 3)
    yield reorg(
        "after_lock_in",
        "a longer branch forking after lock-in activates at the same height",
        2 * window + 5,
        after_lock_in.blocks,
    )
    voted_down = branch(yes, window + 1, unanimous(CHOICE_NO), activation + 3)
    yield reorg(
        "across_activation_to_failed",
        "a longer branch forking before the votes, whose tickets vote no: the fork never activates",
        window + 1,
        voted_down.blocks,
    )
    governed = proposal_block(UpgradeChain(voted_down, yes.purchase_height, unanimous(CHOICE_NO)), activation)
    yield reorg(
        "new_branch_without_the_fork",
        "the new branch (no activation) carries a proposal only the fork allows",
        window + 1,
        [*voted_down.blocks[:activation], governed],
        "GOV_UNKNOWN_PARAMETER",
    )


STATE_TRIE_FORK = "state_trie"


def state_trie_cases(preset: Preset) -> Iterator[CaseSpec]:
    """ST-1 on a mined devnet chain (conformance/upgradechain.py ``state_trie_chain``): the blocks
    around ``state_trie``'s activation, and a header committing to the wrong layout on either side."""
    from conformance.chainbuilder import mine
    from spec.chain.commitment import compute_state_root
    from spec.ledger.state import utxo_state_root

    deployment = deployment_of(preset, STATE_TRIE_FORK)
    if deployment is None or not supported(preset):
        return
    activation = 5 * deployment.window_blocks
    builder = state_trie_chain(preset, activation + 2)
    blocks = builder.blocks
    busy = state_trie_busy_chain(preset)
    for height in range(len(busy.blocks)):  # STATE-6 against the definitions, on every block
        after = busy.states[height + 1]
        definition = (
            compute_state_root(after, preset)
            if height >= activation
            else utxo_state_root(after.utxos, preset)
        )
        if busy.blocks[height].header.state_root != definition:
            raise AssertionError(f"block {height}: the incremental state root is not the definitional one")

    def case(name: str, meaning: str, chosen: Sequence[Block], error: str | None = None) -> CaseSpec:
        data: dict[str, JSON] = {"blocks": _hex(chosen, preset)}
        return CaseSpec(
            "apply_blocks", name, f"ST-1: {meaning}", data, expect_error=error, fork=STATE_TRIE_FORK
        )

    def with_root(height: int, root: bytes) -> list[Block]:
        block = blocks[height]
        header = mine(replace(block.header, state_root=root), preset)
        return [*blocks[:height], replace(block, header=header)]

    yield case(
        "state_trie_locked_in", "the vote locks state_trie in", blocks[: 4 * deployment.window_blocks + 1]
    )
    yield case("state_trie_one_block_before_activation", "the last UTXO-root header", blocks[:activation])
    yield case("state_trie_activation", "the first full-state-root header", blocks[: activation + 1])
    yield case("state_trie_after_activation", "the fork stays in force", blocks[: activation + 2])
    yield case(
        "state_trie_tickets_and_proposal",
        "tickets bought and a proposal submitted under the full-state layout (STATE-6)",
        busy.blocks,
    )
    before, at = builder.states[activation], builder.states[activation + 1]
    yield case(
        "state_trie_full_root_before_activation",
        "a header committing to the full state one block early",
        with_root(activation - 1, compute_state_root(before, preset)),
        "BLK_BAD_STATE_ROOT",
    )
    yield case(
        "state_trie_utxo_root_at_activation",
        "the first header under the fork still committing to the UTXO set",
        with_root(activation, utxo_state_root(at.utxos, preset)),
        "BLK_BAD_STATE_ROOT",
    )


SIDECHAINS_FORK = "sidechains"


def sidechains_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-FORK-1 on a mined devnet chain (conformance/upgradechain.py ``sidechains_chain``): a
    sidechain deposit is plain null data in the last block before ``sidechains`` is in force (its
    value is burnt) and a sidechain message from the first block under it (a deposit to a sidechain
    that was never registered is ``SC_UNKNOWN_SIDECHAIN``)."""
    from conformance import sidechainbuilder as sb
    from conformance.chainbuilder import ChainBuilder
    from conformance.upgradechain import sidechains_chain
    from conformance.wallet import spend_p2pkh
    from spec.ledger.transaction import Transaction, TxOutput, txid

    deployment = deployment_of(preset, SIDECHAINS_FORK)
    if deployment is None or not supported(preset) or preset is not sb.PRESET:
        return
    activation = 7 * deployment.window_blocks
    chain = sidechains_chain(preset, activation + 1)
    blocks = chain.blocks

    def payment(height: int, outputs: Sequence[TxOutput]) -> Transaction:
        """A payment from block 5's coinbase to ``outputs`` and the change (no fee, so the
        coinbase stays what it was)."""
        state = chain.states[height]
        coin = OutPoint(txid(blocks[5].transactions[0], preset), 0)
        value = state.utxos[coin].output.value
        change = TxOutput(value - sum(o.value for o in outputs), chain.miner.script_pubkey)
        return spend_p2pkh(state.utxos, [coin], [chain.miner], [*outputs, change], preset)

    def block_with(height: int, outputs: Sequence[TxOutput]) -> Block:
        """The chain's block at ``height`` plus :func:`payment` (valid: built and sealed)."""
        state = chain.states[height]
        builder = ChainBuilder(preset, miner=chain.miner, voters=dict(chain.voters), states=[state])
        return builder.build([payment(height, outputs)])

    def case(name: str, meaning: str, chosen: Sequence[Block], error: str | None = None) -> CaseSpec:
        data: dict[str, JSON] = {"blocks": _hex(chosen, preset)}
        return CaseSpec(
            "apply_blocks", name, f"SC-FORK-1: {meaning}", data, expect_error=error, fork=SIDECHAINS_FORK
        )

    deposit = sb.deposit_output(sb.CHAIN_A, 1000)
    pay = TxOutput(1000, chain.miner.script_pubkey)
    yield case(
        "sidechains_locked_in", "the vote locks sidechains in", blocks[: 6 * deployment.window_blocks + 1]
    )
    yield case(
        "sidechain_deposit_before_activation",
        "the last block before the fork carries a sidechain deposit: plain null data, its value burnt",
        [*blocks[: activation - 1], block_with(activation - 1, [deposit])],
    )
    yield case(
        "sidechains_activation_with_payment",
        "the first block under the fork carries a plain payment: the SC-* rules run and find no message",
        [*blocks[:activation], block_with(activation, [pay])],
    )
    paid = block_with(activation, [pay])
    body = (paid.transactions[0], payment(activation, [deposit]))
    with_deposit = reseal(chain.states[activation], replace(paid, transactions=body), preset, root=False)
    yield case(
        "sidechain_deposit_at_activation",
        "the same deposit in the first block under the fork is a sidechain message: the sidechain "
        "was never registered",
        [*blocks[:activation], with_deposit],
        "SC_UNKNOWN_SIDECHAIN",
    )

    def outputs(
        name: str, meaning: str, chosen: Sequence[Block], block: Block, error: str | None = None
    ) -> CaseSpec:
        data: dict[str, JSON] = {"blocks": _hex(chosen, preset), "block": encode_block(block, preset).hex()}
        return CaseSpec(
            "sidechain_outputs",
            name,
            f"SC-BLK-1..4: {meaning}",
            data,
            expect_error=error,
            fork=SIDECHAINS_FORK,
        )

    yield outputs(
        "before_activation",
        "the last block before the fork hands the sidechains nothing (no sidechain rule is in force)",
        blocks[: activation - 1],
        block_with(activation - 1, [deposit]),
    )
    yield outputs(
        "at_activation_with_payment",
        "the first block under the fork, a plain payment: no deposit, no inbound message, nothing released",
        blocks[:activation],
        paid,
    )
    yield outputs(
        "deposit_to_unknown_sidechain",
        "a deposit to a sidechain that was never registered, in the first block under the fork",
        blocks[:activation],
        with_deposit,
        "SC_UNKNOWN_SIDECHAIN",
    )


def sidechain_registration_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SC-REG-2 on a full mainchain (conformance/upgradechain.py ``sidechains_chain``): after the fork
    two masternodes register, a CREATE_SIDECHAIN proposal for sidechain A passes with their votes,
    and the superblock registers it: the state after that block (whose root commits to the
    sidechain's record, STATE-2) and the next block."""
    from conformance import sidechainbuilder as sb
    from conformance.chainbuilder import ChainBuilder
    from conformance.generators.masternode import operator, registration
    from conformance.masternodechain import FEE_COIN_COINS, _coinbase, _spend
    from conformance.upgradechain import sidechains_chain
    from spec.crypto import bls
    from spec.governance.proposals import CreateSidechain, Proposal, Vote, VoteChoice, proposal_id
    from spec.governance.proposals import message_script as gov_message_script
    from spec.governance.proposals import vote_message as gov_vote_message
    from spec.ledger.transaction import TxOutput, txid
    from spec.masternode.registry import message_script as mn_message_script

    deployment = deployment_of(preset, SIDECHAINS_FORK)
    if deployment is None or not supported(preset) or preset is not sb.PRESET:
        return
    activation = 7 * deployment.window_blocks
    base = sidechains_chain(preset, activation + 1)
    builder = ChainBuilder(
        preset,
        miner=base.miner,
        voters=dict(base.voters),
        vote_bits=dict(base.vote_bits),
        states=list(base.states),
        blocks=list(base.blocks),
    )
    miner = builder.miner
    labels = ("alice", "bob")
    unit = preset.ledger.atoms_per_coin
    funding_outputs: list[TxOutput] = []
    for label in labels:
        owner = operator(label).owner
        funding_outputs.append(TxOutput(preset.masternodes.collateral, owner.script_pubkey))
        funding_outputs.append(TxOutput(FEE_COIN_COINS * unit, owner.script_pubkey))
    funding = _spend(builder, _coinbase(builder, activation - 10, preset), miner, funding_outputs, preset)
    funding_id = txid(funding, preset)
    builder.extend([funding])
    collaterals = {label: OutPoint(funding_id, 2 * i) for i, label in enumerate(labels)}
    builder.extend(
        [
            _spend(
                builder,
                OutPoint(funding_id, 2 * i + 1),
                operator(label).owner,
                [TxOutput(0, mn_message_script(registration(label, collaterals[label], preset), preset))],
                preset,
            )
            for i, label in enumerate(labels)
        ]
    )
    interval = preset.governance.superblock_interval
    superblock = -(-(builder.state.height + 1 + preset.governance.voting_period) // interval) * interval
    proposal = Proposal(b"sidechain-a", superblock, CreateSidechain(sb.SPEC_A))
    identifier = proposal_id(proposal, preset)
    burn = TxOutput(preset.governance.proposal_fee, gov_message_script(proposal, preset))
    builder.extend([_spend(builder, _coinbase(builder, activation - 9, preset), miner, [burn], preset)])
    yes = VoteChoice.YES
    votes = [
        Vote(
            identifier,
            collaterals[label],
            yes,
            0,
            bls.sign(operator(label).secret, gov_vote_message(identifier, collaterals[label], yes, 0)),
        )
        for label in labels
    ]
    ballots = [TxOutput(0, gov_message_script(v, preset)) for v in votes]
    builder.extend([_spend(builder, _coinbase(builder, activation - 8, preset), miner, ballots, preset)])
    while builder.state.height < superblock + 1:
        builder.extend([])
    if sb.CHAIN_A not in builder.states[superblock + 1].sidechains.chains:
        raise AssertionError("the sidechain proposal did not pass")
    yield CaseSpec(
        "apply_blocks",
        "sidechain_registered_at_superblock",
        f"SC-REG-2: two masternodes register after the fork, vote a CREATE_SIDECHAIN proposal in, and "
        f"superblock {superblock} registers sidechain A (its root commits to the record); one more block",
        {"blocks": _hex(builder.blocks[: superblock + 2], preset)},
        fork=SIDECHAINS_FORK,
    )
