"""The reference node's local operations: a data directory with a chain store, a wallet key and
pending transactions; mining blocks from them. Networking, RPC and the devnet come later.

Layout of a data directory:

* ``node.sqlite`` -- the chain (reference/storage.py) plus a ``pending`` table of transactions
  accepted by the spec's mempool rules and not yet mined (and, with ``--watch-sidechains``, the
  watcher's ``watch_items``, reference/watch_store.py);
* ``wallet.seed`` -- the 32-byte Ed25519 seed of the node's single wallet key (created at ``init``
  from the operating system's randomness; the node, unlike the spec, may use randomness);
* ``operator.seed`` -- the 32-byte seed of the node's masternode operator BLS key (created at
  ``init``, or when an older data directory is first opened); the key is used once the node
  registers a masternode (:meth:`Node.register_masternode`, MN-1) and its quorums run
  (reference/quorum.py);
* ``preset`` -- the preset name.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reference.miner import block_template, seal
from reference.privatefiles import (
    DATABASE,
    create_private,
    make_private_directory,
    restrict_datadir,
    write_private,
)
from reference.quorum import QuorumOutput, QuorumService
from reference.sidechains import FAULTS, SidechainService, make_federation_lookup
from reference.snapshots import SnapshotService
from reference.storage import ChainStore, PruningStore
from reference.watch_service import Forged, WatchService
from reference.watch_store import WatchStore
from spec.chain.block import Block
from spec.chain.forkchoice import is_ancestor
from spec.chain.state import (
    BlockContext,
    check_ticket_locks,
    median_time_past,
    ticket_price_at,
    ticket_purchases,
)
from spec.chain.tickets import ticket_script
from spec.crypto import bls, ed25519
from spec.errors import SpecError
from spec.forks import fork_in_force
from spec.forks.deployment import (
    CHOICE_ABSTAIN,
    CHOICE_NO,
    CHOICE_YES,
    begin_window,
    deployment_of,
    vote_bits_for,
)
from spec.governance.proposals import (
    CreateSidechain,
    Proposal,
    Vote,
    VoteChoice,
    check_action,
    proposal_id,
    vote_message,
)
from spec.governance.proposals import message_script as governance_script
from spec.ledger.mempool import EMPTY_MEMPOOL, Mempool, MempoolUtxoView, admit
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    decode_transaction,
    encode_transaction,
    signature_hash,
    txid,
)
from spec.ledger.utxo import UtxoEntry
from spec.ledger.validation import LedgerContext
from spec.masternode.dkg import DkgResult
from spec.masternode.finality import apply_transaction_to_quorums, committed_pose_key
from spec.masternode.registry import (
    MasternodeMessage,
    MasternodeStatus,
    Registration,
    SignedRegistration,
    Unbond,
    apply_transaction_to_list,
    match_message,
    message_script,
    registration_hash,
    unbond_message,
    unlock_height,
)
from spec.masternode.signing import SignatureShare
from spec.masternode.slashing import apply_block_evidence
from spec.presets import Preset, get_preset
from spec.script import Opcode, p2pkh_script, p2pkh_script_sig, script_hash
from spec.sidechain.checkpoint import federation_keys
from spec.sidechain.header import Checkpoint
from spec.sidechain.registry import SidechainSpec, SidechainsState, get_input_mark
from spec.sidechain.state import apply_sidechain_transaction
from spec.sidechain.transactions import (
    DepositMessage,
    SidechainMessage,
    match_sidechain_message,
    sidechain_message_script,
)

NULL_DATA = bytes([Opcode.OP_RETURN])
"""The first byte of every null-data output, the only outputs that carry masternode messages (MN-0)."""

COMMITMENT_FEE = 10_000
"""Atoms a member pays to put a quorum commitment on chain (FIN-5)."""

LOOPBACK_ADDRESS = bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1])
"""MN-1: ``::ffff:127.0.0.1``, the address a devnet masternode registers."""

PENDING_SCHEMA = "CREATE TABLE IF NOT EXISTS pending (position INTEGER PRIMARY KEY, data BLOB NOT NULL)"
VOTE_CHOICES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vote_choices (agenda TEXT PRIMARY KEY, choice INTEGER NOT NULL)"
)
"""UPG-2: the agenda choices (0 abstain, 1 no, 2 yes) the node's tickets vote; absent: abstain."""
TICKET_FEE = 10_000
"""Atoms a ticket purchase pays in fees (POS-1)."""


class InsufficientFunds(ValueError):
    """The wallet's spendable coins do not cover a payment (RPC error ``WALLET_ERROR``)."""


@dataclass(frozen=True)
class Wallet:
    """One Ed25519 key paying to P2PKH."""

    seed: bytes

    @property
    def public_key(self) -> bytes:
        return ed25519.public_key_from_seed(self.seed)

    @property
    def key_hash(self) -> bytes:
        """The P2PKH key hash, shown to users as the hex 'address' (no address format is specified yet)."""
        return script_hash(self.public_key)

    @property
    def script_pubkey(self) -> bytes:
        return p2pkh_script(self.key_hash)


def _most_block_inputs(sidechains: SidechainsState, height: int) -> int:
    """SC-BLK-7 across a template: the most inputs the transactions stepped so far at ``height``
    hand one sidechain (each step extends the sidechain's mark at ``height``, SC-DSP-20)."""
    return max(
        (
            get_input_mark(record.input_marks, height).count
            - get_input_mark(record.input_marks, height - 1).count
            for record in sidechains.chains.values()
        ),
        default=0,
    )


def _has_null_data_output(tx: Transaction) -> bool:
    """Whether an output starts with OP_RETURN, the only outputs that can carry masternode messages."""
    return any(o.script_pubkey[:1] == NULL_DATA for o in tx.outputs)


def _masternode_message(script: bytes, preset: Preset) -> object:
    """The masternode message a null-data script carries, or ``None`` (also for a malformed one)."""
    try:
        return match_message(script, preset)
    except SpecError:
        return None


class Node:
    """A data directory opened for local work."""

    def __init__(self, datadir: Path, prune: int | None = None) -> None:
        """Open ``datadir``; ``prune=N`` keeps the last N block bodies (:class:`PruningStore`)."""
        self.datadir = datadir
        self.preset: Preset = get_preset((datadir / "preset").read_text().strip())
        restrict_datadir(datadir)
        create_private(datadir / DATABASE)
        self.store: ChainStore = (
            ChainStore(datadir / DATABASE, self.preset)
            if prune is None
            else PruningStore(datadir / DATABASE, self.preset, prune)
        )
        self.store.db.execute(PENDING_SCHEMA)
        self.store.db.execute(VOTE_CHOICES_SCHEMA)
        self.wallet = Wallet((datadir / "wallet.seed").read_bytes())
        operator_seed = datadir / "operator.seed"
        if not operator_seed.exists():
            write_private(operator_seed, os.urandom(32))
        self.quorum = QuorumService(
            self.store.db,
            self.preset,
            operator_seed.read_bytes(),
            self.store.best_hash_at,
            self.store.stored_index,
            lambda: self.store.state,
            self.publish_commitment,
        )
        self.store.on_connect.append(self.quorum.on_connect)
        self.snapshots = SnapshotService(
            self.store.db,
            self.preset,
            lambda: self.quorum.finalized,
            self.store.best_hash_at,
            certificates=self.quorum.certificates,
            best_hashes=self.store.best_hashes,
        )
        self.store.on_connect.append(self.snapshots.on_connect)
        self.sidechains = SidechainService(
            self.store.db,
            self.preset,
            lambda: self.store.state,
            self.store.best_hash_at,
            make_federation_lookup(self._quorum_sessions),
            self.publish_sidechain,
        )
        self.store.on_connect_parent.append(self.sidechains.on_connect)
        self.watch: WatchService | None = None
        self.quorum.share_handlers.append(self._checkpoint_share)
        self.quorum.resume()
        finalized = self.quorum.finalized
        tip = self.store.state.tip_hash
        if finalized is not None and not is_ancestor(self.store.stored_index(), finalized, tip):
            # FORK-2 again at start: a stop may have come between finality and the switch. The
            # ancestor walk reads a few rows; the full fork choice runs only when it is needed.
            self.store.follow_finalized(finalized, int(time.time()))

    def start_watching(self, challenge: bool = True, faulty: bool | str | None = None) -> WatchService:
        """``rusty node --watch-sidechains`` (``challenge``): re-execute every checkpointed sidechain
        block and challenge a checkpoint that does not match; as a federation member, defend the
        checkpoints it signed (reference/watch_service.py). Its memory is reloaded from (and saved to)
        the node's database (reference/watch_store.py) and the best chain's blocks since the tip it
        last ran on are read again for checkpoints. ``faulty`` (``--sidechain-fault``, a
        devnet test hook, ``"trace"`` (``True``), ``"credits"``, ``"overdraw"`` or
        ``"equivocate"``, reference/sidechains.py ``FAULTS``): sign one forged checkpoint per
        sidechain (a wrong trace, wrong credits, an outbox above the escrow) and defend it, or
        sign a second header at an accepted height."""
        fault = "trace" if faulty is True else faulty or None
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown sidechain fault {fault!r} (one of {', '.join(FAULTS)})")
        self.sidechains.faulty = fault is not None
        self.sidechains.fault = fault or "trace"
        watch = WatchService(
            self.preset,
            self.wallet.script_pubkey,
            lambda: self.store.state,
            self.publish_outputs,
            challenge=challenge,
            forged=lambda: [Forged(f.header, f.trace) for f in self.sidechains.forged.values()],
            store=WatchStore(self.store.db),
        )
        tip = self.store.state.height
        for height in range(watch.rescan_from(tip), tip + 1):  # what it may have missed while down
            hash_ = self.store.best_hash_at(height)
            if hash_ is not None:  # the inputs as the follower stored them when it connected it
                watch.on_inputs(height, self.sidechains.connected_inputs(hash_))
            block = None if hash_ is None else self.store.block(hash_)
            if block is not None:  # a pruned body has no checkpoint left to challenge
                watch.rescan(block.transactions)
        self.sidechains.on_applied.append(watch.on_applied)
        self.sidechains.on_inputs.append(watch.on_inputs)
        self.store.on_connect_parent.append(watch.before_connect)
        self.store.on_connect.append(watch.on_connect)
        self.watch = watch
        return watch

    @staticmethod
    def init(datadir: Path, preset_name: str) -> Node:
        """Create a data directory (fails if it already holds a node)."""
        get_preset(preset_name)
        make_private_directory(datadir)
        if (datadir / "wallet.seed").exists():
            raise FileExistsError(f"{datadir} already holds a node")
        (datadir / "preset").write_text(preset_name + "\n")
        write_private(datadir / "wallet.seed", os.urandom(32))
        return Node(datadir)

    def close(self) -> None:
        self.store.close()

    @property
    def is_pruned(self) -> bool:
        """Whether this node prunes or pruned before (it serves recent bodies only, P2P-PRUNE-1)."""
        return isinstance(self.store, PruningStore) or self.store.has_pruned()

    def prune_step(self) -> int:
        """One bounded pruning step (:meth:`PruningStore.prune_step` under this node's finalized
        block); 0 when there is nothing to prune or the node does not prune."""
        if not isinstance(self.store, PruningStore):
            return 0
        return self.store.prune_step(self.quorum.finalized)

    def pending(self) -> list[Transaction]:
        """Transactions waiting to be mined, in arrival order."""
        rows = self.store.db.execute("SELECT data FROM pending ORDER BY position")
        return [decode_transaction(bytes(data), self.preset) for (data,) in rows]

    def mempool(self) -> Mempool:
        """The spec mempool holding the pending transactions that are still valid on the tip.

        Besides the mempool's own rules (MEMPOOL-1..3), a transaction must pass the chain's ticket
        rules for the next block (POS-1 price, POS-2 locks) and its masternode messages must pass
        MN-1..6 and FIN-5 on the list and quorum records as the transactions before it leave them,
        so a template never holds a transaction that would make the block invalid (a second
        commitment of one quorum waits and is dropped once the first is mined); at most
        ``max_tickets_per_block`` purchases.
        """
        pool = EMPTY_MEMPOOL
        state = self.store.state
        height = state.height + 1
        context = LedgerContext(height, median_time_past(state.timestamps, self.preset))
        price = ticket_price_at(state, height, self.preset)
        purchases = 0
        masternodes, quorums = state.masternodes, state.quorums
        pose_key = committed_pose_key(state.quorums, height, self.preset)  # MN-6 / FIN-7
        spent_in_pool: set[OutPoint] = set()
        registered_in_pool: set[OutPoint] = set()
        sidechains = state.sidechains
        for tx in self.pending():
            inputs = {i.previous_output for i in tx.inputs}
            registers = {
                m.registration.collateral
                for o in tx.outputs
                if isinstance(m := _masternode_message(o.script_pubkey, self.preset), SignedRegistration)
            }
            if inputs & registered_in_pool or registers & spent_in_pool:
                continue  # MN-2 would then depend on the template's order, which is by fee rate
            try:
                check_ticket_locks(tx, state.tickets, set())
                bought = len(ticket_purchases(tx, height, price, self.preset))
                if purchases + bought > self.preset.tickets.max_tickets_per_block:
                    continue
                carries_message = _has_null_data_output(tx)
                # Only messages read the UTXO set (MN-2); the mempool view costs O(pool), so build it then.
                view = (
                    MempoolUtxoView(state.utxos, pool, height, self.preset)
                    if carries_message
                    else state.utxos
                )
                next_masternodes = apply_transaction_to_list(
                    masternodes, tx, view, height, self.preset, pose_key
                )
                if carries_message:  # SLASH-2..5: no second evidence against one masternode
                    next_masternodes = apply_block_evidence(
                        next_masternodes, state.quorums, [tx], self.preset
                    )
                next_quorums = (
                    apply_transaction_to_quorums(quorums, tx, height, self.preset)
                    if carries_message
                    else quorums
                )
                # SC-BLK-1: the sidechain messages in the order the template mines them; a claim's
                # escrow release counts as input value (SC-PEG-4, TX-9), a second checkpoint of
                # one height or a second claim of one withdrawal is dropped here.
                next_sidechains, released = (
                    self._sidechain_step(sidechains, tx, height) if carries_message else (sidechains, 0)
                )
                if (
                    carries_message
                    and _most_block_inputs(next_sidechains, height) > self.preset.sidechains.max_block_inputs
                ):
                    continue  # SC-BLK-7 over the template: the marks at this height count its inputs
                pool, _ = admit(pool, tx, state.utxos, context, self.preset, released)
                purchases += bought
                sidechains = next_sidechains
                masternodes, quorums = next_masternodes, next_quorums
                spent_in_pool |= inputs
                registered_in_pool |= registers
            except SpecError:  # a pending transaction invalidated by a block is dropped
                continue
        return pool

    def _sidechain_step(
        self, sidechains: SidechainsState, tx: Transaction, height: int
    ) -> tuple[SidechainsState, int]:
        """SC-BLK-1 of ``tx`` in the block at ``height`` (nothing before fork ``sidechains``)."""
        state = self.store.state
        fork = fork_in_force(begin_window(state.deployments, height, self.preset), self.preset)
        if not fork.sidechains_enabled():
            return sidechains, 0
        keys = federation_keys(state.quorums, height, self.preset)
        quorums, preset = state.quorums, self.preset

        def keys_at(posted: int) -> dict[int, bytes]:
            return federation_keys(quorums, posted, preset)  # SC-DSP-8: the key at posting

        return apply_sidechain_transaction(sidechains, tx, height, keys, self.preset, keys_at)

    def _checkpoint_share(self, share: SignatureShare) -> list[QuorumOutput] | None:
        """A sidechain checkpoint share (SIGN-2 over SC-HDR-3's message), or ``None``."""
        handled = self.sidechains.receive_share(share)
        if handled is None:
            return None
        return [m for m in handled if isinstance(m, SignatureShare | Transaction)]

    def _quorum_sessions(self) -> list[tuple[int, bytes, DkgResult | None, int | None, object | None]]:
        """The quorum side's DKG sessions for the sidechain federations (SC-CP-4)."""
        return [
            (
                int(r.kind),
                r.state.session_id,
                r.result,
                None if r.member is None else r.member.index,
                None if r.member is None else r.member.secret_share,
            )
            for r in self.quorum.sessions.values()
            if self.store.best_hash_at(r.base_height) == r.base_hash
        ]

    def publish_sidechain(
        self, message: SidechainMessage, extra: Sequence[TxOutput] = (), value: int = 0
    ) -> Transaction | None:
        """SC-TX-0: queue a transaction carrying ``message`` (output 0, ``value`` atoms), then the
        ``extra`` outputs (a claim's payout) and change, paid from wallet coins with fee
        ``COMMITMENT_FEE``; ``None`` when the wallet cannot pay or the mempool rejects it."""
        return self.publish_outputs([TxOutput(value, sidechain_message_script(message, self.preset)), *extra])

    def publish_outputs(self, message_outputs: Sequence[TxOutput]) -> Transaction | None:
        """Queue a transaction with ``message_outputs`` (a sidechain message output, then the
        outputs its release funds: a claim's payout) and change; output 0's value (a deposit, a
        dispute bond) and the fee ``COMMITMENT_FEE`` are paid from wallet coins. ``None`` when the
        wallet cannot pay or the mempool rejects it."""
        outputs = list(message_outputs)
        value = outputs[0].value
        needed = value + COMMITMENT_FEE  # a claim's payout (the later outputs) is funded by a release
        chosen: list[tuple[OutPoint, TxOutput]] = []
        total = 0
        for outpoint, entry in self._spendable_coins():
            if total > needed or len(chosen) >= self.preset.script.max_sigops_per_tx:
                break
            chosen.append((outpoint, entry.output))
            total += entry.output.value
        if total <= needed:
            return None
        outputs.append(TxOutput(total - needed, self.wallet.script_pubkey))
        tx = self.signed_transaction(chosen, outputs)
        try:
            self.queue(tx)
        except SpecError:
            return None
        return tx

    def deposit(self, sidechain_id: int, recipient: bytes, amount: int) -> Transaction:
        """SC-PEG-1: queue a peg-in of ``amount`` atoms to ``recipient`` (an account id on the sidechain)."""
        if sidechain_id not in self.store.state.sidechains.chains:
            raise ValueError(f"no sidechain {sidechain_id} is registered")
        tx = self.publish_sidechain(DepositMessage(sidechain_id, recipient), (), amount)
        if tx is None:
            raise InsufficientFunds(f"the wallet cannot pay {amount} atoms and the fee {COMMITMENT_FEE}")
        return tx

    def _governance_preset(self) -> Preset:
        """GOV-0 under the fork in force for the next block (SC-FORK-2: sidechain proposals)."""
        state = self.store.state
        deployments = begin_window(state.deployments, state.height + 1, self.preset)
        return fork_in_force(deployments, self.preset).governance_preset(self.preset)

    def propose_sidechain(self, spec: SidechainSpec, name: bytes) -> tuple[Transaction, bytes]:
        """GOV-1..3 / SC-FORK-2: queue a ``CREATE_SIDECHAIN`` proposal (paying ``proposal_fee`` into
        its null-data output) for the first superblock at least ``voting_period`` + 2 blocks after
        the next one; returns the transaction and the proposal id."""
        preset = self._governance_preset()
        governance = preset.governance
        check_action(CreateSidechain(spec), preset)
        earliest = self.store.state.height + 1 + governance.voting_period + 2
        interval = governance.superblock_interval
        start = -(-earliest // interval) * interval
        proposal = Proposal(name, start, CreateSidechain(spec))
        outputs = [TxOutput(governance.proposal_fee, governance_script(proposal, preset))]
        tx = self._pay(outputs, governance.proposal_fee)
        self.queue(tx)
        return tx, proposal_id(proposal, preset)

    def vote_proposal(self, proposal: bytes, choice: VoteChoice, revision: int = 0) -> Transaction:
        """GOV-4: queue this node's masternode's vote (signed with its operator key) on ``proposal``."""
        entry = next(
            (
                e
                for e in self.store.state.masternodes.entries.values()
                if e.operator_public_key == self.quorum.public_key and e.status is MasternodeStatus.ACTIVE
            ),
            None,
        )
        if entry is None:
            raise ValueError("this node has no ACTIVE masternode")
        message = vote_message(proposal, entry.collateral, choice, revision)
        vote = Vote(proposal, entry.collateral, choice, revision, bls.sign(self.quorum.secret_key, message))
        tx = self._pay([TxOutput(0, governance_script(vote, self._governance_preset()))], 0)
        self.queue(tx)
        return tx

    def _pay(self, outputs: list[TxOutput], value: int) -> Transaction:
        """A wallet transaction with ``outputs`` (worth ``value``) plus change, fee ``COMMITMENT_FEE``."""
        needed = value + COMMITMENT_FEE
        chosen: list[tuple[OutPoint, TxOutput]] = []
        total = 0
        for outpoint, entry in self._spendable_coins():
            if total > needed or len(chosen) >= self.preset.script.max_sigops_per_tx:
                break
            chosen.append((outpoint, entry.output))
            total += entry.output.value
        if total <= needed:
            raise InsufficientFunds(f"the wallet has {total} spendable atoms in reach, needs {needed}")
        return self.signed_transaction(
            chosen, [*outputs, TxOutput(total - needed, self.wallet.script_pubkey)]
        )

    def restore_pending(self, blocks: Sequence[Block]) -> int:
        """After a reorganisation: queue again the transactions of ``blocks`` that left the best chain
        (coinbases excepted) that the spec's mempool rules still admit; return how many came back."""
        candidates = [tx for block in reversed(blocks) for tx in block.transactions[1:]]  # oldest first
        row = self.store.db.execute("SELECT MIN(position) FROM pending").fetchone()
        first = (1 if row is None or row[0] is None else int(row[0])) - len(candidates)
        restored = 0
        for offset, tx in enumerate(candidates):
            try:  # ahead of what was pending, so parents come before children that spend them
                self.queue(tx, position=first + offset)
                restored += 1
            except SpecError:
                continue  # mined again on the new branch, or now in conflict with it
        return restored

    def prune_pending(self) -> None:
        """Drop pending transactions that the new tip mined or made invalid."""
        keep = {encode_transaction(entry.tx, self.preset) for entry in self.mempool().entries.values()}
        rows = list(self.store.db.execute("SELECT position, data FROM pending"))
        stale = [(position,) for position, data in rows if bytes(data) not in keep]
        self.store.db.executemany("DELETE FROM pending WHERE position = ?", stale)

    def balance(self) -> int:
        """Atoms in confirmed outputs paying to the wallet."""
        script = self.wallet.script_pubkey
        return sum(
            e.output.value for e in self.store.state.utxos.values() if e.output.script_pubkey == script
        )

    def send(self, key_hash: bytes, amount: int, fee: int, reserve: int = 0) -> Transaction:
        """Build, sign and queue a payment of ``amount`` atoms to P2PKH ``key_hash`` (spec-validated).

        ``reserve``: at least this much change must remain (output 1).
        """
        chosen: list[tuple[OutPoint, TxOutput]] = []
        total = 0
        for outpoint, entry in self._spendable_coins():
            if total >= amount + fee + reserve or len(chosen) >= self.preset.script.max_sigops_per_tx:
                break
            chosen.append((outpoint, entry.output))
            total += entry.output.value
        if total < amount + fee + reserve:
            needed = amount + fee + reserve
            raise InsufficientFunds(f"the wallet has {total} spendable atoms in reach, needs {needed}")
        outputs = [TxOutput(amount, p2pkh_script(key_hash))]
        if total - amount - fee > 0:
            outputs.append(TxOutput(total - amount - fee, self.wallet.script_pubkey))
        tx = self.signed_transaction(chosen, outputs)
        self.queue(tx)
        return tx

    def _spendable_coins(self) -> list[tuple[OutPoint, UtxoEntry]]:
        """Confirmed wallet outputs the next block may spend, in outpoint order: mature, not spent by a
        pending transaction, and not the collateral of a masternode still registered, unless it has
        unbonded and its collateral unlocks by the next block (MN-8; spending it drops the masternode)."""
        state = self.store.state
        height = state.height + 1
        maturity = self.preset.ledger.coinbase_maturity
        locked = {
            o
            for o, e in state.masternodes.entries.items()
            if (unlock := unlock_height(e, self.preset)) is None or height < unlock
        }
        in_use = {i.previous_output for tx in self.pending() for i in tx.inputs} | locked
        script = self.wallet.script_pubkey
        return sorted(
            (o, e)
            for o, e in state.utxos.items()
            if e.output.script_pubkey == script
            and (not e.is_coinbase or height - e.height >= maturity)
            and o not in in_use
        )

    def signed_transaction(
        self, spent: Sequence[tuple[OutPoint, TxOutput]], outputs: Sequence[TxOutput]
    ) -> Transaction:
        """A version-1 transaction spending the wallet's P2PKH outputs ``spent`` to ``outputs``, each
        input signed over its SIGHASH (TX-9..11)."""
        unsigned = Transaction(1, tuple(TxInput(o, b"", SEQUENCE_FINAL) for o, _ in spent), tuple(outputs), 0)
        inputs = tuple(
            TxInput(
                outpoint,
                p2pkh_script_sig(
                    ed25519.sign(self.wallet.seed, signature_hash(unsigned, index, output, self.preset)),
                    self.wallet.public_key,
                ),
                SEQUENCE_FINAL,
            )
            for index, (outpoint, output) in enumerate(spent)
        )
        return Transaction(1, inputs, tuple(outputs), 0)

    def register_masternode(self, port: int, fee: int) -> tuple[Transaction, Transaction]:
        """MN-1/2: fund a collateral output to the wallet and register it, as two queued transactions.

        The first pays ``masternodes.collateral`` atoms to the wallet's own P2PKH script (output 0) with
        change (output 1); the second spends that change into the registration message (operator key
        and proof of possession from ``operator.seed``, owner and payout = the wallet key, address
        ``::ffff:127.0.0.1`` and ``port``) and change again. Both may be mined in one block: MN-2 reads
        the UTXO set as updated by the transactions before the registration.
        """
        collateral_value = self.preset.masternodes.collateral
        funding = self.send(self.wallet.key_hash, collateral_value, fee, reserve=fee + 1)
        funding_id = txid(funding, self.preset)
        change = funding.outputs[1]
        registration = Registration(
            collateral=OutPoint(funding_id, 0),
            operator_public_key=self.quorum.public_key,
            proof_of_possession=bls.pop_prove(self.quorum.secret_key),
            owner_public_key=self.wallet.public_key,
            payout_script=self.wallet.script_pubkey,
            address=LOOPBACK_ADDRESS,
            port=port,
        )
        signed = SignedRegistration(
            registration, ed25519.sign(self.wallet.seed, registration_hash(registration, self.preset))
        )
        outputs = (
            TxOutput(0, message_script(signed, self.preset)),
            TxOutput(change.value - fee, self.wallet.script_pubkey),
        )
        tx = self.signed_transaction([(OutPoint(funding_id, 1), change)], outputs)
        self.queue(tx)
        return funding, tx

    def unbond_masternode(self, fee: int) -> Transaction:
        """MN-8: queue the owner's unbond of this wallet's ACTIVE masternode (paid from one wallet coin);
        its collateral becomes spendable ``unbonding_blocks`` after the block that mines it."""
        entry = next(
            (
                e
                for e in self.store.state.masternodes.entries.values()
                if e.owner_public_key == self.wallet.public_key and e.status is MasternodeStatus.ACTIVE
            ),
            None,
        )
        if entry is None:
            raise ValueError("the wallet owns no ACTIVE masternode")
        coin = next(((o, e.output) for o, e in self._spendable_coins() if e.output.value > fee), None)
        if coin is None:
            raise ValueError(f"the wallet has no spendable coin above the fee {fee}")
        unbond = Unbond(entry.collateral, ed25519.sign(self.wallet.seed, unbond_message(entry.collateral)))
        outputs = (
            TxOutput(0, message_script(unbond, self.preset)),
            TxOutput(coin[1].value - fee, self.wallet.script_pubkey),
        )
        tx = self.signed_transaction([coin], outputs)
        self.queue(tx)
        return tx

    def set_vote_choice(self, agenda_id: str, choice: int) -> None:
        """UPG-2: the choice (0 abstain, 1 no, 2 yes) the votes of this node's tickets give ``agenda_id``."""
        if deployment_of(self.preset, agenda_id) is None:
            raise ValueError(f"no agenda {agenda_id!r} on {self.preset.name}")
        if choice not in (CHOICE_ABSTAIN, CHOICE_NO, CHOICE_YES):
            raise ValueError("choice must be 0 (abstain), 1 (no) or 2 (yes)")
        self.store.db.execute(
            "INSERT OR REPLACE INTO vote_choices (agenda, choice) VALUES (?, ?)", (agenda_id, choice)
        )

    def vote_choices(self) -> dict[str, int]:
        """The configured agenda choices, by agenda id."""
        return {str(a): int(c) for a, c in self.store.db.execute("SELECT agenda, choice FROM vote_choices")}

    def vote_bits(self) -> int:
        """UPG-2: the vote bits of this node's ticket votes (bit 0 clear: it approves the parent)."""
        choices = self.vote_choices()
        return vote_bits_for(
            [
                (f.deployment.vote_bit, choices.get(f.deployment.agenda_id, CHOICE_ABSTAIN))
                for f in self.preset.forks
                if f.deployment is not None
            ]
        )

    @property
    def ticket_script(self) -> bytes:
        """POS-1: the node's tickets: voting key and owner are the wallet key."""
        return ticket_script(self.wallet.public_key, self.wallet.key_hash)

    def buy_tickets(self, count: int, fee: int = TICKET_FEE) -> Transaction:
        """POS-1: queue one transaction buying ``count`` tickets at the price of the next block."""
        state = self.store.state
        price = ticket_price_at(state, state.height + 1, self.preset)
        if not 0 < count <= self.preset.tickets.max_tickets_per_block:
            raise ValueError(f"count must be in 1..{self.preset.tickets.max_tickets_per_block}")
        chosen: list[tuple[OutPoint, TxOutput]] = []
        total = 0
        for outpoint, entry in self._spendable_coins():
            if total > price * count + fee or len(chosen) >= self.preset.script.max_sigops_per_tx:
                break
            chosen.append((outpoint, entry.output))
            total += entry.output.value
        if total <= price * count + fee:
            raise InsufficientFunds(
                f"the wallet has {total} spendable atoms in reach, needs {price * count + fee}"
            )
        outputs = [TxOutput(price, self.ticket_script) for _ in range(count)]
        outputs.append(TxOutput(total - price * count - fee, self.wallet.script_pubkey))
        tx = self.signed_transaction(chosen, outputs)
        self.queue(tx)
        return tx

    def publish_commitment(self, commitment: MasternodeMessage) -> Transaction | None:
        """FIN-5 / SLASH-1: queue a transaction carrying a quorum commitment or slashing evidence (one
        wallet coin, fee ``COMMITMENT_FEE``).

        ``None`` when the wallet has no spendable coin besides its collaterals.
        """
        coins = [(o, e) for o, e in self._spendable_coins() if e.output.value > COMMITMENT_FEE]
        if not coins:
            return None
        outpoint, entry = coins[0]
        outputs = (
            TxOutput(0, message_script(commitment, self.preset)),
            TxOutput(entry.output.value - COMMITMENT_FEE, self.wallet.script_pubkey),
        )
        tx = self.signed_transaction([(outpoint, entry.output)], outputs)
        try:
            self.queue(tx)
        except SpecError:
            return None
        return tx

    def queue(self, tx: Transaction, position: int | None = None) -> None:
        """MEMPOOL-1..3 on the tip; store ``tx`` as pending if the spec admits it (else its SpecError).

        ``position``: where it goes in arrival order (default: last).
        """
        state = self.store.state
        context = LedgerContext(state.height + 1, median_time_past(state.timestamps, self.preset))
        released = 0
        if _has_null_data_output(tx):
            try:
                released = self._sidechain_step(state.sidechains, tx, state.height + 1)[1]
            except SpecError:
                self._offer_checkpoints(tx)  # a second header at a checkpointed height: evidence
                raise
        admit(self.mempool(), tx, state.utxos, context, self.preset, released)
        self.store.db.execute(
            "INSERT INTO pending (position, data) VALUES (?, ?)",
            (position, encode_transaction(tx, self.preset)),
        )

    def _offer_checkpoints(self, tx: Transaction) -> None:
        """Hand the checkpoints of a transaction the mempool refuses to the watcher (SC-DSP-8: one
        for a height already checkpointed may be the federation's second header there); each is
        kept only if ``WatchService.offer_checkpoint`` finds it evidence or signed."""
        if self.watch is None:
            return
        for output in tx.outputs:
            try:
                message = match_sidechain_message(output.script_pubkey, self.preset)
                if isinstance(message, Checkpoint):
                    self.watch.offer_checkpoint(message)
            except SpecError:
                continue

    def next_timestamp(self, now: int) -> int:
        """The clock time, raised if needed to one second above the median time past (HDR-3)."""
        return max(now, median_time_past(self.store.state.timestamps, self.preset) + 1)

    def mine_block(self, now: int, progress: Callable[[int], None] | None = None) -> Block:
        """Mine one block on the tip with the pending transactions and store it (``now``: the clock)."""
        template, context = self.block_template(now)
        block = seal(template, self.preset, progress=progress)
        if block is None:
            raise RuntimeError("no nonce found")
        self.store_mined(block, context)
        return block

    def block_template(self, now: int) -> tuple[Block, BlockContext]:
        """An unsealed block on the tip with the pending transactions, and the context it is valid in."""
        state = self.store.state
        timestamp = self.next_timestamp(now)
        context = BlockContext(now=now)
        pool = self.mempool()
        # POS-4: the node signs the votes of its own tickets, with its agenda choices (UPG-2).
        voting = {self.wallet.public_key: self.wallet.seed}
        bits = {self.wallet.public_key: self.vote_bits()}
        try:
            template = block_template(
                state, pool, self.wallet.script_pubkey, timestamp, voting, context, self.preset, bits
            )
        except SpecError:
            # A template the chain rejects must not stop the miner: mine without masternode and
            # quorum messages (and what depends on them) rather than not at all.
            plain = EMPTY_MEMPOOL
            ledger = LedgerContext(state.height + 1, median_time_past(state.timestamps, self.preset))
            for entry in pool.entries.values():
                if not _has_null_data_output(entry.tx):
                    with contextlib.suppress(SpecError):
                        plain, _ = admit(plain, entry.tx, state.utxos, ledger, self.preset)
            template = block_template(
                state, plain, self.wallet.script_pubkey, timestamp, voting, context, self.preset, bits
            )
        return template, context

    def store_mined(self, block: Block, context: BlockContext) -> None:
        """Connect a block this node sealed and drop its transactions from the pending list."""
        self.store.import_block(block, context)
        mined = {encode_transaction(tx, self.preset) for tx in block.transactions[1:]}
        self.store.db.executemany("DELETE FROM pending WHERE data = ?", [(data,) for data in mined])
