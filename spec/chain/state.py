"""Contextual header and block validation and the chain state transition (protocol steps "HDR-*", "BLK-*").

:func:`apply_block` is the state transition of the chain: it checks a block against the state of
its parent and returns the state after it. The order of checks is fixed (vectors rely on it):

1. :func:`~spec.chain.block.check_block_shape` (HDR-1, BLK-1..3, TX-1..6);
2. :func:`check_header` (HDR-2 parent, HDR-3 median time past, HDR-4 clock drift, POW-4 bits,
   POW-1/2 proof of work);
3. POS-3/4 votes of the selected tickets on the parent;
4. the transactions after the coinbase in order, each against the UTXO set as updated by the
   ones before it: POS-2 ticket locks, TX-7..12, POS-1 ticket purchases at the POS-5 price;
5. RWD-3 the coinbase payout (BLK-5), including the masternode payee (MN-7) and, at a superblock,
   the treasury payments of the passed proposals (GOV-6);
6. MN-5 the masternode list after the block (registrations, collateral spends, PoSe penalties),
   then SLASH-2..5 the block's slashing evidence (burning the convicted collaterals;
   spec/masternode/slashing.py),
   then FIN-5/6 the finality quorum records (the block's quorum commitments, then the quorum based
   at this block if its height is a base height; spec/masternode/finality.py);
7. GOV-0..4 the governance messages of the block (proposals, votes);
8. BLK-6 the header's state root equals the root of the state after the block under the fork's
   layout (``fork.state_layout()``): the UTXO set (STATE-1) before fork ``state_trie``, every
   committed state item (STATE-2..4, spec/chain/commitment.py) from its activation (ST-1).
   The root is kept incrementally (STATE-6): ``ChainState.commitment`` holds the parent's
   persistent trie and the block applies only the items it changed.

Sidechains (fork ``sidechains``, SC-FORK-1, docs/sidechains.md): when the fork in force has
``sidechains_enabled()``, before step 4 the block's sidechain messages are applied to
``ChainState.sidechains`` (SC-BLK-1..3, :func:`~spec.sidechain.state.apply_block_to_sidechains`,
federation keys from the quorum records, FIN-5..7) and each transaction's withdrawal payouts count
as input value in TX-9 (SC-PEG-4); the sidechain proposals GOV-6 executed at a superblock are
registered first (SC-REG-2, ``created_sidechains``). The dispute games the block settles
(SC-DSP-14..18, spec/sidechain/games.py) name the federations to penalise: after SLASH-2..5 in step
6 every member of each such quorum is SLASHED and its collateral burnt (SC-DSP-13,
:func:`penalise_federations`), and each settlement's winner is owed SC-DSP-25's reward out of the
collaterals it newly slashed (:func:`~spec.sidechain.games.pay_rewards`, a payable bond claimed by
a later kind 7 message). Before the fork the sidechains state stays empty.

Forks (UPG-1..6, spec/forks/, docs/upgrades.md): before step 3 the deployment records after the
parent are stepped for the block (``begin_window``, a state change only at a window start) and give
the fork in force (UPG-6); POS-5 reads ``fork.ticket_price_preset`` and GOV-0..7 read
``fork.governance_preset`` (GT-1/2); after step 7 the block's votes are counted into the window
tally of every STARTED deployment (UPG-5). No check moves, so no error code of a block changes.

The masternode list and the governance state are part of :class:`ChainState` and derived from the
blocks alone, so the masternode payee is not an input. For the block at height ``h`` on ``state``
(everything below reads the state after ``h - 1``):

* **GOV-7/5/6** ``payments, gov = begin_block(state.governance, state.masternodes, state.treasury,
  h)``: scheduled parameter changes activate, the proposals due at a superblock are tallied and
  the passed ones executed. ``effective = effective_preset(preset, gov.parameters)`` is the preset
  for every masternode and governance rule of the block (the governable parameters are governance
  and masternode parameters only; the other rules read ``preset``).
* **RWD-3 / MN-7** the coinbase pays the miner, the voters, then ``payee_script(state.masternodes,
  h)`` (when an ACTIVE masternode is due), then one output per payment ``(amount, script)`` in
  execution order. The payments come out of the treasury, not out of the block reward.
* **Treasury** ``treasury' = state.treasury - sum(payments) + split.treasury``; never negative
  because ``begin_block`` only pays what the balance holds (GOV-6).
* **MN-5** ``apply_block_to_list(state.masternodes, block, state.utxos, h, effective,
  committed_pose_key(state.quorums, h))``: the payee is recorded as paid, scores decay, then
  collateral spends, registrations and PoSe penalties in block order. The PoSe quorum's key is the
  one its members committed on chain (FIN-7), like the finality keys (FIN-5/6).
* **GOV-0..4** ``apply_block_to_governance(gov, block.transactions, state.masternodes, h,
  preset)``: votes are checked against the list *before* the block.

* **HDR-3** ``timestamp > median(last median_time_blocks timestamps)`` (no rule for genesis).
* **HDR-4** ``timestamp <= now + max_future_block_seconds``, where ``now`` is the validating node's
  clock, passed in :class:`BlockContext` (the only non-deterministic input; vectors fix it).
* The ticket pool after a block: selected tickets leave (voted or missed), tickets that can no
  longer be live for the next block leave (expired), and the block's purchases join.
* The PoSe quorum's group public key is committed on chain by its members (FIN-7, MN-0 kind 5),
  as the finality quorums' keys are (FIN-5/6); until it is, every PoSe penalty is
  ``MN_WRONG_POSE_QUORUM``.
* Before fork ``state_trie`` the state root commits to the UTXO set only (STATE-1); from its
  activation to the ticket pool, the ticket price, the treasury balance, the masternode list, the
  governance state, the quorum records and the deployment records too (ST-1, STATE-2..4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from spec.chain.block import Block, BlockHeader, block_hash, check_block_shape
from spec.chain.commitment import StateCommitment, advance_commitment_encoded, state_from_items
from spec.chain.layout import StateLayout
from spec.chain.pow import check_difficulty, check_proof_of_work, decode_compact, work_of_target
from spec.chain.rewards import RewardSplit, block_subsidy, split_reward
from spec.chain.tickets import (
    Ticket,
    check_votes,
    is_expired,
    live_tickets,
    match_ticket,
    next_ticket_price,
    select_voters,
)
from spec.errors import (
    BadCoinbasePayout,
    BadStateRoot,
    TicketLocked,
    TimestampTooEarly,
    TimestampTooFarAhead,
    TooManyTickets,
    WrongPreviousBlock,
    WrongTicketPrice,
)
from spec.forks import fork_for_block, fork_in_force
from spec.forks.deployment import Deployments, begin_window, count_votes, initial_deployments
from spec.governance.proposals import (
    EMPTY_STATE,
    GovernanceState,
    Payment,
    activate_parameters,
    apply_block_to_governance,
    begin_block,
    created_sidechains,
    effective_preset,
)
from spec.ledger.transaction import (
    OutPoint,
    Transaction,
    TxOutput,
    coinbase_transaction,
    is_coinbase,
    txid,
)
from spec.ledger.utxo import UtxoEntry, created_entries
from spec.ledger.validation import LedgerContext, is_checked, plain_p2pkh_fee, validate_transaction
from spec.masternode.finality import (
    EMPTY_QUORUMS,
    QuorumRegistry,
    apply_block_to_quorums_after_parent,
    committed_pose_key,
    record_quorum,
)
from spec.masternode.registry import (
    EMPTY_LIST,
    MasternodeList,
    apply_block_to_list,
    message_carriers,
    payee_script,
)
from spec.masternode.slashing import (
    apply_block_evidence,
    burnt_collaterals,
    federation_culprits,
    slash_federation,
)
from spec.presets import Preset
from spec.script import P2PKH_PREFIX, P2PKH_SCRIPT_BYTES, P2PKH_SUFFIX, p2pkh_script
from spec.sidechain.checkpoint import federation_keys
from spec.sidechain.games import Penalty, pay_rewards
from spec.sidechain.registry import EMPTY_SIDECHAINS, SidechainsState
from spec.sidechain.settlement import federation_quorum
from spec.sidechain.state import SidechainBlock, apply_block_to_sidechains

GENESIS_PARENT = bytes(32)


@dataclass(frozen=True)
class ChainState:
    """Everything block validation needs to know about the chain up to its tip."""

    tip_hash: bytes
    height: int
    bits: int
    timestamps: tuple[int, ...]
    utxos: Mapping[OutPoint, UtxoEntry]
    tickets: Mapping[OutPoint, Ticket]
    ticket_price: int
    treasury: int
    cumulative_work: int
    masternodes: MasternodeList = field(default=EMPTY_LIST)
    governance: GovernanceState = field(default=EMPTY_STATE)
    quorums: QuorumRegistry = field(default=EMPTY_QUORUMS)
    deployments: Deployments = ()
    """UPG-4/5: the deployment records after the tip (``()`` before genesis: all DEFINED)."""
    sidechains: SidechainsState = field(default=EMPTY_SIDECHAINS)
    """SC-REG-4: the sidechains state after the tip (empty before fork ``sidechains``)."""
    commitment: StateCommitment | None = field(default=None, compare=False, repr=False)
    """STATE-6: the persistent trie whose root the tip's header commits to (``None``: not built;
    the next block builds it from the whole state). Not part of the state's value: equal states
    compare equal whatever trie they carry."""


@dataclass(frozen=True)
class BlockContext:
    """What the validating node adds: its clock (HDR-4). The PoSe quorum's key comes from the chain
    (FIN-7, ``committed_pose_key``), no longer from the node."""

    now: int


def initial_state(preset: Preset) -> ChainState:
    """The state before genesis (height -1)."""
    return ChainState(
        tip_hash=GENESIS_PARENT,
        height=-1,
        bits=preset.chain.pow_limit_bits,
        timestamps=(),
        utxos={},
        tickets={},
        ticket_price=preset.tickets.initial_ticket_price,
        treasury=0,
        cumulative_work=0,
        masternodes=EMPTY_LIST,
        governance=EMPTY_STATE,
        quorums=EMPTY_QUORUMS,
        deployments=initial_deployments(preset),
    )


def chain_state_from_items(
    items: Mapping[bytes, bytes],
    tip_hash: bytes,
    height: int,
    bits: int,
    timestamps: tuple[int, ...],
    cumulative_work: int,
    preset: Preset,
) -> ChainState:
    """STATE-5: the chain state whose committed items are ``items`` (``state_from_items``, same
    errors) at a tip the header chain gives (hash, height, bits, timestamps, cumulative work: the
    parts the header chain already commits to). The state carries no trie yet: its next block
    builds it from the items (or attach the verified trie with ``attach_commitment``)."""
    committed = state_from_items(items, preset)
    return ChainState(
        tip_hash=tip_hash,
        height=height,
        bits=bits,
        timestamps=timestamps,
        utxos=committed.utxos,
        tickets=committed.tickets,
        ticket_price=committed.ticket_price,
        treasury=committed.treasury,
        cumulative_work=cumulative_work,
        masternodes=committed.masternodes,
        governance=committed.governance,
        quorums=committed.quorums,
        deployments=committed.deployments,
        sidechains=committed.sidechains,
    )


def tip_state_layout(state: ChainState, preset: Preset) -> StateLayout:
    """BLK-6 / ST-1: what the tip's header committed to (the layout of the fork in force for the
    tip block: its records after the block carry the statuses it was validated under, UPG-6)."""
    return fork_in_force(state.deployments, preset).state_layout()


def quorums_with_pending(state: ChainState, preset: Preset) -> QuorumRegistry:
    """FIN-6 / ST-2: the tip's quorum records plus, under ``state_trie``, the quorums based at the
    tip itself, which the next block records (selected from the tip's hash and masternode list)."""
    if not fork_in_force(state.deployments, preset).quorums_from_parent():
        return state.quorums
    return record_quorum(state.quorums, state.masternodes, state.tip_hash, state.height, preset)


def median_time_past(timestamps: tuple[int, ...], preset: Preset) -> int:
    """HDR-3: the median of the last ``median_time_blocks`` timestamps (lower median; 0 if none)."""
    window = sorted(timestamps[-preset.chain.median_time_blocks :])
    return window[(len(window) - 1) // 2] if window else 0


def check_header(state: ChainState, header: BlockHeader, context: BlockContext, preset: Preset) -> None:
    """HDR-2..4 and POW-1/2/4: the header against its parent's state."""
    if header.previous_block_hash != state.tip_hash or header.height != state.height + 1:
        raise WrongPreviousBlock(
            f"header at height {header.height} does not extend {state.tip_hash.hex()[:16]}"
        )
    if state.timestamps and header.timestamp <= median_time_past(state.timestamps, preset):
        raise TimestampTooEarly(f"timestamp {header.timestamp} not above the median time past")
    if header.timestamp > context.now + preset.chain.max_future_block_seconds:
        raise TimestampTooFarAhead(f"timestamp {header.timestamp} too far ahead of {context.now}")
    check_difficulty(header.height, header.bits, state.bits, state.timestamps, preset)
    check_proof_of_work(block_hash(header, preset), header.bits, preset)


def required_coinbase_outputs(
    split: RewardSplit,
    voters: tuple[Ticket, ...],
    masternode_payee: bytes | None,
    payments: Sequence[Payment] = (),
) -> tuple[tuple[int, bytes | None], ...]:
    """RWD-3: ``(value, script or None for "any script")`` for every coinbase output, in order.

    The miner, the voters, the masternode payee if one is due, then the superblock's treasury
    payments (GOV-6) in execution order.
    """
    outputs: list[tuple[int, bytes | None]] = [(split.miner, None)]
    outputs.extend((split.per_voter, p2pkh_script(t.owner_key_hash)) for t in voters)
    if masternode_payee is not None:
        outputs.append((split.masternode, masternode_payee))
    outputs.extend((payment.amount, payment.script) for payment in payments)
    return tuple(outputs)


@dataclass(frozen=True)
class BlockObligations:
    """What the block at ``height`` on a state owes beyond the reward split: computed from the state."""

    masternode_payee: bytes | None
    payments: tuple[Payment, ...]
    governance: GovernanceState


def block_obligations(state: ChainState, height: int, preset: Preset) -> BlockObligations:
    """MN-7 and GOV-5..7 for the block at ``height`` on ``state``: its masternode payee script (or
    ``None``), the superblock payments, and the governance state after ``begin_block``."""
    payments, governance = begin_block(state.governance, state.masternodes, state.treasury, height, preset)
    return BlockObligations(payee_script(state.masternodes, height), payments, governance)


def check_coinbase(coinbase: Transaction, required: tuple[tuple[int, bytes | None], ...]) -> None:
    """RWD-3 (BLK-5): the coinbase pays exactly the required outputs."""
    if len(coinbase.outputs) != len(required):
        raise BadCoinbasePayout(f"{len(coinbase.outputs)} outputs, {len(required)} required")
    for position, (output, (value, script)) in enumerate(zip(coinbase.outputs, required, strict=True)):
        if output.value != value:
            raise BadCoinbasePayout(f"output {position} pays {output.value}, required {value}")
        if script is not None and output.script_pubkey != script:
            raise BadCoinbasePayout(f"output {position} pays the wrong script")
    if match_ticket(coinbase.outputs[0].script_pubkey) is not None:
        raise WrongTicketPrice("a coinbase cannot buy a ticket")


def ticket_price_at(state: ChainState, height: int, preset: Preset) -> int:
    """POS-5: the ticket price in force for the block at ``height`` on top of ``state``, under the
    tickets preset of the fork in force (UPG-6; GT-2 reads the governed values, GOV-7)."""
    fork = fork_for_block(state.deployments, height, preset)
    governed = effective_preset(preset, activate_parameters(state.governance, height).parameters)
    params = fork.ticket_price_preset(preset, governed)
    live = len(live_tickets(state.tickets, height, params))
    return next_ticket_price(height, state.ticket_price, live, params)


def check_ticket_locks(tx: Transaction, pool: Mapping[OutPoint, Ticket], bought_here: set[OutPoint]) -> None:
    """POS-2: ``tx`` spends no pooled ticket, nor one bought earlier in the same block."""
    for tx_input in tx.inputs:
        if tx_input.previous_output in pool or tx_input.previous_output in bought_here:
            raise TicketLocked("a ticket is spent before it voted, was missed or expired")


def ticket_purchases(tx: Transaction, height: int, price: int, preset: Preset) -> list[Ticket]:
    """POS-1: the tickets ``tx`` buys; raise for a ticket-template output of the wrong value."""
    bought: list[Ticket] = []
    for index, output in enumerate(tx.outputs):
        matched = match_ticket(output.script_pubkey)
        if matched is None:
            continue
        if output.value != price:
            raise WrongTicketPrice(f"ticket output of {output.value} atoms, price {price}")
        bought.append(Ticket(OutPoint(txid(tx, preset), index), height, matched[0], matched[1]))
    return bought


_U32_LIMIT = 1 << 32
_P2PKH_LENGTH = bytes((P2PKH_SCRIPT_BYTES,))
"""STATE-1: the length prefix of a P2PKH script inside an encoded UTXO entry (below 0x80: one byte)."""


def plain_spend(
    tx: Transaction,
    utxos: Mapping[OutPoint, UtxoEntry],
    pool: Mapping[OutPoint, Ticket],
    bought_here: set[OutPoint],
    context: LedgerContext,
    preset: Preset,
    released: int = 0,
) -> tuple[int, tuple[tuple[OutPoint, UtxoEntry], ...], tuple[tuple[bytes, bytes | None], ...]] | None:
    """Step 4 of :func:`apply_block` in one pass for the common transaction, or ``None`` where the
    readable steps must decide (issue 14: the per-transaction calls cost more than the rules).

    For a transaction that passed TX-1..6 under this very ``preset`` object (in
    ``check_block_shape``: :func:`~spec.ledger.validation.is_checked`), spends no pooled ticket nor
    one bought earlier in the block (POS-2), pays only P2PKH outputs (the 37-byte SCRIPT-19
    template: none is a POS-1 ticket, none is unspendable under the limits ``plain_p2pkh_fee``
    requires), is not a coinbase, and whose TX-7..12 :func:`~spec.ledger.validation.plain_p2pkh_fee`
    answers: its fee, the entries it creates (UTXO-1, :func:`~spec.ledger.utxo.created_entries`)
    and its STATE-1 changes, encoded (the key of each spent outpoint to ``None``, then the key and
    value of each created entry: :func:`~spec.ledger.state.encode_outpoint` and
    :func:`~spec.ledger.state.encode_entry` of the 37-byte template written out), which
    :func:`~spec.chain.commitment.advance_commitment_encoded` takes as they are.
    Then :func:`check_ticket_locks`, :func:`~spec.ledger.validation.validate_transaction` and
    :func:`ticket_purchases` pass, in that order, with that fee and no purchase. On any other
    transaction, or any failed check, it returns ``None`` and those run from the start (they raise
    the error code). ``tests/test_fast_paths.py`` checks it agrees with them.
    """
    if not is_checked(tx, preset):
        return None
    # TX-1..6 passed: each outpoint encodes (a 32-byte txid, a u32 index), each value is in range
    changes: list[tuple[bytes, bytes | None]] = []
    for tx_input in tx.inputs:
        outpoint = tx_input.previous_output
        if outpoint in pool or (bought_here and outpoint in bought_here):  # mostly none bought yet
            return None
        changes.append((outpoint.txid + outpoint.index.to_bytes(4, "little"), None))
    outputs = tx.outputs
    for output in outputs:
        script = output.script_pubkey
        if (
            script.__class__ is not bytes
            or len(script) != P2PKH_SCRIPT_BYTES
            or not script.startswith(P2PKH_PREFIX)
            or not script.endswith(P2PKH_SUFFIX)
        ):
            return None
    if is_coinbase(tx):
        return None
    fee = plain_p2pkh_fee(tx, utxos, context, preset, released)
    if fee is None:
        return None
    tx_id, height = txid(tx, preset), context.height
    if height.__class__ is not int or not 0 <= height < _U32_LIMIT:  # STATE-1 holds a u32 height
        return None
    tail = height.to_bytes(4, "little") + b"\x00"  # STATE-1: the height, not a coinbase
    created: list[tuple[OutPoint, UtxoEntry]] = []
    for index, output in enumerate(outputs):
        created.append((OutPoint(tx_id, index), UtxoEntry(output, height, False)))
        value = output.value.to_bytes(8, "little") + _P2PKH_LENGTH + output.script_pubkey + tail
        changes.append((tx_id + index.to_bytes(4, "little"), value))
    return fee, tuple(created), tuple(changes)


def _sidechain_step(
    state: ChainState,
    block: Block,
    due: BlockObligations,
    preset: Preset,
    carriers: Sequence[int] | None = None,
) -> SidechainBlock:
    """SC-BLK-1..4 of ``block`` on ``state`` (its parent's state), the fork being in force;
    ``carriers`` as :func:`~spec.sidechain.state.apply_block_to_sidechains` reads it."""
    height = block.header.height
    keys = federation_keys(state.quorums, height, preset)
    activated = created_sidechains(state.governance, due.governance)
    quorums = state.quorums

    def keys_at(posted: int) -> dict[int, bytes]:
        return federation_keys(quorums, posted, preset)  # SC-DSP-8: the key that accepted a checkpoint

    return apply_block_to_sidechains(
        state.sidechains, block.transactions, height, keys, preset, activated, keys_at, carriers
    )


def penalise_federations(
    masternodes: MasternodeList,
    quorums: QuorumRegistry,
    penalties: Sequence[Penalty],
    preset: Preset,
    utxos: Mapping[OutPoint, UtxoEntry],
) -> tuple[MasternodeList, tuple[tuple[int, ...], ...]]:
    """SC-DSP-13/17: the list with every member of each penalised federation quorum SLASHED (its
    collateral burnt with the block's other slashings, SLASH-4); a quorum the chain holds no
    committed record of penalises nobody. SC-DSP-25: with each penalty, the values (in ``utxos``,
    where every listed collateral is unspent) of the collaterals it newly slashed, in member
    order: a member an earlier penalty or the block's slashing evidence slashed counts for that
    one only."""
    slashed: list[tuple[int, ...]] = []
    for penalty in penalties:
        quorum = federation_quorum(quorums, penalty.quorum_type, penalty.posted_height, preset)
        if quorum is None:
            slashed.append(())
            continue
        culprits = federation_culprits(masternodes, quorum.members)
        slashed.append(tuple(utxos[entry.collateral].output.value for entry in culprits))
        masternodes = slash_federation(masternodes, quorum.members)
    return masternodes, tuple(slashed)


def sidechain_outputs(state: ChainState, block: Block, preset: Preset) -> SidechainBlock | None:
    """SC-BLK-1..4 as :func:`transition` runs them: what ``block`` (connected on ``state``, its
    parent's state) hands each sidechain (deposits, inbound messages) and releases; ``None`` when
    fork ``sidechains`` is not in force at the block. A node calls it to follow deposits."""
    height = block.header.height
    fork = fork_in_force(begin_window(state.deployments, height, preset), preset)
    if not fork.sidechains_enabled():
        return None
    return _sidechain_step(state, block, block_obligations(state, height, preset), preset)


def transition(
    state: ChainState, block: Block, context: BlockContext, preset: Preset
) -> tuple[ChainState, bytes]:
    """Steps 3-5 of :func:`apply_block`: votes, transactions, coinbase; the new state and its root.

    Does not check the header (step 2) or compare the state root (step 6): block producers call it
    to learn the state root they must put in the header.
    """
    header = block.header
    height = header.height
    upgrades = begin_window(state.deployments, height, preset)
    fork = fork_in_force(upgrades, preset)
    selected = select_voters(state.tickets, state.tip_hash, height, preset)
    voters = check_votes(block.votes, selected, state.tip_hash, preset)
    price = ticket_price_at(state, height, preset)

    due = block_obligations(state, height, preset)
    sidechains = state.sidechains
    released = (0,) * len(block.transactions)
    penalties: tuple[Penalty, ...] = ()
    # MN-0 / GOV-0 / SC-TX-0: only a transaction with an OP_RETURN output carries a message, so
    # the scans of the block's messages visit those alone (issue 14; the others change nothing).
    carriers = message_carriers(block.transactions)
    if fork.sidechains_enabled():
        pegged = _sidechain_step(state, block, due, preset, carriers)
        sidechains, released, penalties = pegged.state, pegged.released, pegged.penalties

    ledger_context = LedgerContext(height, median_time_past(state.timestamps, preset))
    utxos: dict[OutPoint, UtxoEntry] = dict(state.utxos)
    touched: list[OutPoint] = []
    encoded: dict[bytes, bytes | None] = {}  # STATE-1 changes the plain spends hand over encoded
    others: list[OutPoint] = []  # the touched outpoints whose changes are not in ``encoded``
    fees = 0
    bought: list[Ticket] = []
    bought_here: set[OutPoint] = set()
    for position, tx in enumerate(block.transactions[1:], start=1):
        plain = plain_spend(tx, utxos, state.tickets, bought_here, ledger_context, preset, released[position])
        if plain is None:  # the readable steps decide (and raise)
            check_ticket_locks(tx, state.tickets, bought_here)
            fees += validate_transaction(tx, utxos, ledger_context, preset, released[position])
            purchases = ticket_purchases(tx, height, price, preset)
            bought.extend(purchases)
            bought_here.update(t.outpoint for t in purchases)
            created: tuple[tuple[OutPoint, UtxoEntry], ...] = created_entries(tx, height, preset)
            others.extend(tx_input.previous_output for tx_input in tx.inputs)
            others.extend(outpoint for outpoint, _ in created)
        else:
            fee, created, changes = plain
            fees += fee
            encoded.update(changes)
        # UTXO-1, the transaction's diff applied in place: validate_transaction found every input
        # in the set (TX-7) and distinct (TX-5), so no spend can fail and the diff's spent entries
        # need no second lookup (issue 14: no UtxoDiff per transaction); the spent outpoints, then
        # the created ones, are touched, as the diff lists them.
        for tx_input in tx.inputs:
            spent = tx_input.previous_output
            del utxos[spent]
            touched.append(spent)
        for outpoint, entry in created:
            utxos[outpoint] = entry
            touched.append(outpoint)
    if len(bought) > preset.tickets.max_tickets_per_block:
        raise TooManyTickets(f"{len(bought)} purchases")

    masternode_due = due.masternode_payee is not None
    split = split_reward(block_subsidy(height, preset) + fees, len(voters), masternode_due, preset)
    coinbase = block.transactions[0]
    check_coinbase(coinbase, required_coinbase_outputs(split, voters, due.masternode_payee, due.payments))
    paid = created_entries(coinbase, height, preset)
    utxos.update(paid)
    touched.extend(outpoint for outpoint, _ in paid)
    others.extend(outpoint for outpoint, _ in paid)

    effective = effective_preset(preset, due.governance.parameters)
    pose_key = committed_pose_key(state.quorums, height, preset)
    # MN-5 replays the block's UTXO changes. When the ledger and script rules it reads are the
    # ones applied above, every input is known to exist, and the replay brings its view of the set
    # up to date only where a registration reads it (issue 14); else it recomputes every diff.
    same_rules = effective.ledger == preset.ledger and effective.script == preset.script
    carrying = [block.transactions[position] for position in carriers]
    listed = apply_block_to_list(
        state.masternodes, block, state.utxos, height, effective, pose_key, same_rules, carriers
    )
    masternodes = apply_block_evidence(listed, state.quorums, carrying, effective)
    masternodes, slashed = penalise_federations(masternodes, state.quorums, penalties, preset, utxos)
    sidechains = pay_rewards(sidechains, penalties, slashed, preset.dispute)  # SC-DSP-25
    for outpoint in burnt_collaterals(listed, masternodes):
        del utxos[outpoint]  # SLASH-4: a listed collateral is unspent after the block
        touched.append(outpoint)
        others.append(outpoint)
    tip_hash = block_hash(header, preset)
    # FIN-6 / ST-2: under ``state_trie`` the parent's quorums are recorded here, not by the parent
    parent_fork = fork_in_force(state.deployments, preset)
    quorums = apply_block_to_quorums_after_parent(
        state.quorums,
        carrying,
        state.masternodes,
        state.tip_hash,
        masternodes,
        tip_hash,
        height,
        effective,
        parent_rule=parent_fork.quorums_from_parent(),
        own_rule=not fork.quorums_from_parent(),
    )
    governance = apply_block_to_governance(
        due.governance, carrying, state.masternodes, height, fork.governance_preset(preset)
    )
    paid_out = sum(payment.amount for payment in due.payments)

    leaving = {t.outpoint for t in selected}
    tickets = {
        o: t for o, t in state.tickets.items() if o not in leaving and not is_expired(t, height + 1, preset)
    }
    tickets.update((t.outpoint, t) for t in bought)
    touched_tickets = [o for o in state.tickets if o not in tickets]
    touched_tickets.extend(t.outpoint for t in bought)
    after = ChainState(
        tip_hash=tip_hash,
        height=height,
        bits=header.bits,
        timestamps=(*state.timestamps, header.timestamp),
        utxos=utxos,
        tickets=tickets,
        ticket_price=price,
        treasury=state.treasury - paid_out + split.treasury,
        cumulative_work=state.cumulative_work + work_of_target(decode_compact(header.bits)),
        masternodes=masternodes,
        governance=governance,
        quorums=quorums,
        deployments=count_votes(upgrades, block.votes, preset),
        sidechains=sidechains,
    )
    commitment = advance_commitment_encoded(
        state.commitment, state, after, fork.state_layout(), touched, touched_tickets, preset, encoded, others
    )
    return replace(after, commitment=commitment), commitment.root


def apply_block(state: ChainState, block: Block, context: BlockContext, preset: Preset) -> ChainState:
    """HDR-*, BLK-*, POS-*, RWD-*: validate ``block`` on ``state`` and return the state after it."""
    check_block_shape(block, preset)
    check_header(state, block.header, context, preset)
    after, state_root = transition(state, block, context, preset)
    if block.header.state_root != state_root:
        raise BadStateRoot("state_root does not commit to the state after this block")
    return after


def coinbase_for(
    height: int,
    fees: int,
    miner_script: bytes,
    voters: tuple[Ticket, ...],
    masternode_payee: bytes | None,
    preset: Preset,
    payments: Sequence[Payment] = (),
) -> Transaction:
    """RWD-3: the coinbase a block producer must write (used by miners and generators).

    ``masternode_payee`` and ``payments`` are what :func:`block_obligations` gives for the block.
    """
    split = split_reward(
        block_subsidy(height, preset) + fees, len(voters), masternode_payee is not None, preset
    )
    outputs = [
        TxOutput(value, miner_script if script is None else script)
        for value, script in required_coinbase_outputs(split, voters, masternode_payee, payments)
    ]
    return coinbase_transaction(height, outputs)
