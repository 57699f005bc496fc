"""``rusty node --watch-sidechains``: the watcher in the node's loop (issue 16 item 8, docs/node.md
"Watching sidechains", docs/disputes.md).

Every rule is the spec's; the decisions are :mod:`reference.watcher`'s (``SidechainWatcher``
challenges, ``SidechainDefender`` defends). This module feeds them what the node has and posts
what they decide:

* **blocks** the sidechain follower (reference/sidechains.py) applies every sidechain block it
  receives, produces or fetches (P2P-SC-1/3) before any checkpoint of it is posted; each applied
  block is handed over (:meth:`WatchService.on_applied`) with the nodes of its post-state (a
  superset of the parent's, so both the re-execution from the parent checkpoint's root and the
  one-step witnesses of later steps read from it) and its credits (its mainchain inputs in
  crediting order, SCB-2). A block the mainchain checkpoints under another header is still held:
  it is the block a forged checkpoint names (same ``tx_root``);
* **checkpoints** every connected mainchain block's transactions are read for checkpoint
  headers (SC-TX-0 kind 1);
* **on each new tip** the watcher runs off the event loop (``asyncio.to_thread``: the
  re-execution of a block is the only costly step) on the tip's immutable
  :class:`~spec.sidechain.registry.SidechainsState`; the outputs it returns (an opening with the
  bond, a move, a bond claim with its payout) are each posted as one wallet transaction
  (:meth:`reference.node.Node.publish_outputs`: the bond and the fee from the node's coins, signed
  with its wallet key) and relayed. A message already posted is not posted again for
  :data:`REPOST_AFTER_BLOCKS` blocks (it waits in the mempool), an opening the wallet cannot pay
  is retried on the next tip;
* **events** what happened to the node's games is read from the change of the sidechains state
  across each connected block (opened, ended and how, checkpoint reverted, bond claimed):
  :attr:`WatchService.events` (RPC ``getwatcherinfo``), log lines (logger ``rusty.watcher``) and the
  ``rusty_watcher_events`` counter (reference/metrics.py).

* **evidence** the inputs each connected block hands the sidechains (the follower's
  ``on_inputs``, :meth:`WatchService.on_inputs`) and the signed checkpoints offered off the
  mainchain (:meth:`WatchService.offer_checkpoint`: RPC ``submitsidechainheader``, a checkpoint
  transaction the mempool refuses; kept only if ``check_offered_checkpoint`` finds it evidence or
  signed) are queued on the event loop like the blocks and handed to the watcher where it decides;
  they, the outboxes of applied blocks and the rest are stored and pruned alike;

* **memory** a block is held with only the nodes its steps read (``compute_held_nodes``); after
  each decision what no open window and no open game needs is dropped (``compute_live``:
  blocks from the oldest checkpoint still in its challenge window up, headers from its parent
  up, the openings and defences of those checkpoints and of the open games), and with a
  :class:`~reference.watch_store.WatchStore` the rest is saved (one SQLite transaction, before
  anything is posted, and again after): a restarted node reloads it, rescans the mainchain
  blocks since the tip it last ran on (:meth:`WatchService.rescan_from`), and keeps answering
  its games.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from reference.watch_store import Memory, WatchStore
from reference.watcher import (
    Live,
    Outputs,
    SidechainDefender,
    SidechainWatcher,
    WatchedBlock,
    check_offered_checkpoint,
    compute_held_nodes,
    compute_live,
    header_block_key,
)
from spec.chain.block import Block
from spec.chain.state import ChainState
from spec.errors import SpecError
from spec.ledger.transaction import Transaction, TxOutput
from spec.masternode.finality import QuorumRegistry
from spec.presets import Preset
from spec.sidechain.accumulator import CreditsProof
from spec.sidechain.chain import BlockResult, SidechainBlock, SidechainState, vm_table
from spec.sidechain.checkpoint import federation_keys
from spec.sidechain.dispute import Party, compute_step_count
from spec.sidechain.games import (
    MOVE_ONE_STEP,
    BondClaim,
    DisputeMoveMessage,
    DisputeOpenMessage,
    is_expired,
    on_chain_params,
)
from spec.sidechain.header import (
    BlockCredit,
    Checkpoint,
    Deposit,
    InboundMessage,
    SidechainHeader,
    compute_header_hash,
)
from spec.sidechain.proofs import EquivocationProof, EscrowOverdrawProof, KeysAt
from spec.sidechain.registry import SidechainsState
from spec.sidechain.transactions import match_sidechain_message
from spec.vm.interface import ExecutionContext, OutboxEntry, VmKind

log = logging.getLogger("rusty.watcher")

REPOST_AFTER_BLOCKS = 3
"""Mainchain blocks a posted dispute message waits to be mined before the node posts it again."""

MAX_OFFERED_PER_HEIGHT = 2
"""Signed headers offered off the mainchain the watcher keeps per sidechain height (SC-DSP-8 needs
one besides the accepted one; of two distinct, one always differs from whichever is accepted)."""

MAX_EVENTS = 1_000
"""Events kept for RPC (the oldest are dropped)."""

RESCAN_MARGIN = 10
"""Mainchain blocks below the tip the watcher last ran on that a restart reads again (a
reorganisation while it was down); a watcher with no saved tip reads the longest challenge
period plus this many. Either way it reads down to the posting of every checkpoint still in its
window and of the oldest one's parent (:meth:`WatchService.rescan_from`)."""


class Applied(NamedTuple):
    """A sidechain block the follower applied, as the watcher receives it: the block (with the
    nodes of its post-state), its header, the roots of its steps (SC-DSP-1: the post-state roots
    of its transactions, or an empty block's root after its credits; empty: not defended) and, to
    keep only the nodes its steps read, its parent's state root and VM kind."""

    block: WatchedBlock
    header: SidechainHeader
    trace: tuple[bytes, ...]
    pre_root: bytes | None = None
    vm_kind: VmKind | None = None
    outbox: tuple[OutboxEntry, ...] = ()
    """The block's re-executed outbox (SCB-4): an overdraw proof's entries (SC-DSP-9)."""


@dataclass(frozen=True)
class WatchEvent:
    """One thing that happened to a game of this node (or to a checkpoint it defends)."""

    height: int
    kind: str
    text: str


@dataclass(frozen=True)
class Forged:
    """A header this node signed with the trace it committed (see ``SidechainService.forged``)."""

    header: SidechainHeader
    trace: tuple[bytes, ...]


def block_credits(result: BlockResult) -> tuple[BlockCredit, ...]:
    """SC-DSP-1: the credits a sidechain block applies before its transactions: its mainchain
    inputs in crediting order (SCB-2; one the VM cannot credit is skipped there as here)."""
    return tuple(BlockCredit(item.recipient, item.amount) for item, _ in result.inputs)


@dataclass
class WatchService:
    """The watcher and defender of one node (see the module docstring)."""

    preset: Preset
    payout_script: bytes
    chain_state: Callable[[], ChainState]
    publish: Callable[[Sequence[TxOutput]], Transaction | None]
    challenge: bool = True
    forged: Callable[[], Sequence[Forged]] = lambda: ()
    count: Callable[[str], None] | None = None
    watcher: SidechainWatcher = field(init=False)
    defender: SidechainDefender = field(init=False)
    events: list[WatchEvent] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    _connected: list[tuple[Transaction, ...]] = field(default_factory=list)
    store: WatchStore | None = None
    _applied: list[Applied] = field(default_factory=list)
    _inputs: list[tuple[int, tuple[Deposit | InboundMessage, ...]]] = field(default_factory=list)
    """What the follower handed since the last decision: (mainchain height, its inputs)."""
    _offered: list[Checkpoint] = field(default_factory=list)
    """Signed checkpoints offered off the mainchain since the last decision (kept by it)."""
    _offered_outboxes: list[tuple[int, int, tuple[OutboxEntry, ...]]] = field(default_factory=list)
    """Outbox entries offered off the mainchain since the last decision: (sidechain, height, entries)."""
    _posted: dict[bytes, int] = field(default_factory=dict)
    _opening_posted: set[bytes] = field(default_factory=set)
    """Header hashes whose opening this node posted (stored, so a restart does not open it again)."""
    scanned: int | None = None
    """The mainchain height the watcher last decided on (stored)."""
    _before: SidechainsState | None = None
    _busy: bool = False
    _again: bool = False

    def __post_init__(self) -> None:
        self.watcher = SidechainWatcher(self.preset, self.payout_script)
        self.defender = SidechainDefender(self.preset)
        if self.store is not None:
            memory = self._memory()
            for problem in self.store.load(memory):
                log.error("watcher store: %s; the watcher goes on without those rows", problem)
                self._event(-1, "store_corrupt", f"watcher store: {problem}")
            self.scanned = memory.scanned

    def _memory(self) -> Memory:
        return Memory(self.watcher, self.defender, self._posted, self._opening_posted, self.scanned)

    def persist(self) -> int:
        """Save what the watcher holds (one transaction; nothing without a store): rows written."""
        if self.store is None:
            return 0
        self._opening_posted &= set(self.watcher.challenged)
        return self.store.save(self._memory())

    def rescan_from(self, tip: int) -> int:
        """The first mainchain height whose checkpoints a (re)started watcher reads again: from
        :data:`RESCAN_MARGIN` below the height it last ran on (the longest challenge period plus
        the margin below ``tip`` with nothing saved), never further back than that window
        (``tip - longest period - margin``: an older checkpoint is out of its window), but always
        down to the posting of every checkpoint the watcher may still need on the best chain
        (those in their window and the parent of the oldest, whose header an opening carries),
        whatever the depth of a reorganisation while it was down."""
        sidechains = self.chain_state().sidechains
        periods = [r.spec.challenge_period for r in sidechains.chains.values()]
        floor = max(0, tip - max(periods, default=0) - RESCAN_MARGIN)
        start = floor if self.scanned is None else max(floor, min(self.scanned, tip) - RESCAN_MARGIN)
        lowest = compute_live(sidechains, tip + 1).lowest
        for sidechain_id, record in sidechains.chains.items():
            needed = record.checkpoints[max(0, lowest[sidechain_id] - 1) :]
            start = min([start, *(checkpoint.posted_height for checkpoint in needed)])
        return start

    def rescan(self, transactions: Sequence[Transaction]) -> None:
        """A mainchain block's transactions read again at start (checkpoint headers only)."""
        self._connected.append(tuple(transactions))

    # ------------------------------------------------------------------------- feeding (event loop)

    def on_applied(self, parent: SidechainState, block: SidechainBlock, result: BlockResult) -> None:
        """A sidechain block the follower applied on ``parent`` (``SidechainService.on_applied``)."""
        watched = WatchedBlock(
            block.header.sidechain_id,
            block.header.height,
            tuple(block.transactions),
            block_credits(result),
            result.state.nodes,
        )
        # SC-DSP-1: r_1 .. r_n, or an empty block's one credit step (the root after its credits)
        trace = tuple(outcome.post_root for outcome in result.outcomes) or (result.credited_root,)
        self._applied.append(
            Applied(watched, block.header, trace, parent.tip.state_root, parent.vm_kind, result.outbox)
        )

    def on_inputs(self, height: int, items: Sequence[Deposit | InboundMessage]) -> None:
        """The inputs a connected mainchain block at ``height`` hands the sidechains (the
        follower's ``on_inputs``): a wrong-credits proof's evidence, given to the watcher where it
        decides (``SidechainWatcher.observe_inputs``), stored with its memory."""
        self._inputs.append((height, tuple(items)))

    def offer_checkpoint(self, checkpoint: Checkpoint) -> bool:
        """A signed checkpoint seen off the mainchain (RPC ``submitsidechainheader``, a
        transaction the mempool refused): kept for the watcher if it is equivocation evidence now
        (``True``: the next run posts the kind-9 proof) or may become so (``False``: signed under
        the federation's key at a height not yet checkpointed); else the ``SpecError`` why not
        (``check_offered_checkpoint``), nothing kept. At most :data:`MAX_OFFERED_PER_HEIGHT`
        headers never carried on chain are kept per height (whichever header is accepted there,
        one of two distinct ones differs from it), so a federation signing many cannot fill it."""
        state = self.chain_state()
        keys_at = functools.partial(_keys_at, state.quorums, self.preset)
        evidence = check_offered_checkpoint(
            self.watcher, state.sidechains, checkpoint, state.height + 1, keys_at
        )
        header = checkpoint.header
        held = {
            hash_
            for hash_ in self.watcher.signed.get((header.sidechain_id, header.height), {})
            if hash_ not in self.watcher.posted_on_chain
        }
        held |= {
            compute_header_hash(c.header)
            for c in self._offered
            if (c.header.sidechain_id, c.header.height) == (header.sidechain_id, header.height)
        }
        if compute_header_hash(header) not in held and len(held) < MAX_OFFERED_PER_HEIGHT:
            self._offered.append(checkpoint)
        return evidence

    def offer_outbox(self, sidechain_id: int, height: int, entries: Sequence[OutboxEntry]) -> None:
        """Outbox entries a sidechain block at ``height`` was said to have, seen off the mainchain
        (RPC ``submitsidechainoutbox``): handed to the watcher where it decides
        (``SidechainWatcher.observe_outbox``), so an overdraw proof (kind 10) can be posted if
        SC-DSP-9 accepts it; queued like the offered checkpoints (the decision runs in a thread)."""
        self._offered_outboxes.append((sidechain_id, height, tuple(entries)))

    def before_connect(self, block: Block, before: ChainState) -> None:
        """The state a mainchain block is connected on (``ChainStore.on_connect_parent``)."""
        del block
        self._before = before.sidechains

    def on_connect(self, block: Block, after: ChainState) -> None:
        """A connected mainchain block: its checkpoints for the watcher, its effect on our games."""
        self._connected.append(tuple(block.transactions))
        if self._before is not None:
            proven = self._proven(block.transactions)
            for kind, text in self.describe(self._before, after.sidechains, after.height, proven):
                self._event(after.height, kind, text)
        self._before = None

    def _proven(self, transactions: Sequence[Transaction]) -> frozenset[int]:
        """The sidechains a block's fraud proofs (kinds 8..10) name."""
        proven: set[int] = set()
        for tx in transactions[1:]:
            for output in tx.outputs:
                message = self._message(output)
                if isinstance(message, CreditsProof):
                    proven.add(message.header.sidechain_id)
                elif isinstance(message, EquivocationProof):
                    proven.add(message.first.header.sidechain_id)
                elif isinstance(message, EscrowOverdrawProof):
                    proven.add(message.sidechain_id)
        return frozenset(proven)

    # ------------------------------------------------------------------------- deciding (a thread)

    def decide(
        self,
        state: SidechainsState,
        height: int,
        connected: Sequence[tuple[Transaction, ...]],
        applied: Sequence[Applied],
        forged: Sequence[Forged],
        keys_at: KeysAt | None = None,
        inputs: Sequence[tuple[int, Sequence[Deposit | InboundMessage]]] = (),
        offered: Sequence[Checkpoint] = (),
        outboxes: Sequence[tuple[int, int, Sequence[OutboxEntry]]] = (),
    ) -> list[Outputs]:
        """What to post in the block at ``height`` on ``state``, after learning ``connected``
        mainchain blocks' transactions, ``applied`` sidechain blocks, the ``inputs`` connected
        blocks handed the sidechains and the checkpoints ``offered`` off the mainchain (pure of
        the event loop); then drop what no window and no game needs (``compute_live``)."""
        live = compute_live(state, height)
        for opened in state.games.values():  # opened on chain: never again (a lost save included)
            if opened.payout_script == self.payout_script:
                hash_ = compute_header_hash(opened.game.opening.header)
                self.watcher.opened.add(hash_)
                self._opening_posted.add(hash_)
        by_root: dict[tuple[int, bytes], WatchedBlock] = {}
        for item in applied:
            watched, header, trace = item.block, item.header, item.trace
            self.watcher.observe_outbox(header.sidechain_id, header.height, item.outbox)
            if not _needed(watched, header, live):
                continue
            watched = self._held(item)
            self.watcher.observe(watched)
            by_root[(header.sidechain_id, header_block_key(header))] = watched
            if trace:
                self.defender.defend(header, trace, watched)
        for at, items in inputs:
            self.watcher.observe_inputs(at, items)
        for transactions in connected:
            self.watcher.on_block(transactions)
        for checkpoint in offered:
            self.watcher.observe_checkpoint(checkpoint)
        for sidechain_id, at, entries in outboxes:
            self.watcher.observe_outbox(sidechain_id, at, entries)
        for lie in forged:
            key = (lie.header.sidechain_id, header_block_key(lie.header))
            watched_block = by_root.get(key) or self.watcher.blocks.get(key)
            if watched_block is not None:
                self.defender.defend(lie.header, lie.trace, watched_block)
        posts = list(self.defender.on_tip(state))
        if self.challenge:
            posts.extend(self.watcher.on_tip(state, height, keys_at))
        self.watcher.prune(live)
        self.defender.prune(live)
        self.scanned = height - 1
        return posts

    def _held(self, item: Applied) -> WatchedBlock:
        """``item``'s block with only the nodes its steps read (all of them if that cannot be told)."""
        block = item.block
        vm = None if item.vm_kind is None else vm_table(self.preset).get(item.vm_kind)
        if (
            item.pre_root is None
            or vm is None
            or item.vm_kind is None
            or len(item.trace) != compute_step_count(len(block.txs))
        ):
            return block
        header = item.header
        context = ExecutionContext(
            header.sidechain_id, header.height, header.timestamp, vm.fee_recipient, vm.max_tx_gas
        )
        try:
            nodes = compute_held_nodes(
                self.preset,
                item.vm_kind,
                block.nodes,
                item.pre_root,
                block.credits,
                block.txs,
                item.trace,
                context,
            )
        except SpecError:
            return block
        return replace(block, nodes=nodes)

    # ------------------------------------------------------------------------- posting (event loop)

    async def on_tip(self) -> list[Transaction]:
        """Run the watcher on the node's tip (off the event loop) and post what it decides; the
        transactions to relay. A tip that arrives meanwhile is handled once the run ends."""
        if self._busy:
            self._again = True
            return []
        self._busy = True
        out: list[Transaction] = []
        try:
            while True:
                self._again = False
                state = self.chain_state()
                connected, self._connected = self._connected, []
                applied, self._applied = self._applied, []
                inputs, self._inputs = self._inputs, []
                offered, self._offered = self._offered, []
                outboxes, self._offered_outboxes = self._offered_outboxes, []
                forged = list(self.forged())
                keys_at = functools.partial(_keys_at, state.quorums, self.preset)
                try:
                    posts = await asyncio.to_thread(
                        self.decide,
                        state.sidechains,
                        state.height + 1,
                        connected,
                        applied,
                        forged,
                        keys_at,
                        inputs,
                        offered,
                        outboxes,
                    )
                except Exception:  # a bug must not stop the node's tip handling: logged, skipped
                    log.exception("the watcher failed on this tip")
                    posts = []
                if not self._save():  # what it is about to post is on disk first, or not posted
                    for outputs in posts:
                        message = self._message(outputs[0])
                        if isinstance(message, DisputeOpenMessage):
                            self._forget_opening(message)  # opened again on a later tip
                    posts = []
                out.extend(self.post(posts, state.height))
                self._save()
                if not self._again:
                    return out
        finally:
            self._busy = False

    def _save(self) -> bool:
        try:
            self.persist()
        except Exception:  # a full disk must not stop the node's tip handling: logged, retried
            log.exception("the watcher could not save its memory; it posts nothing until it can")
            return False
        return True

    def post(self, posts: Sequence[Outputs], height: int) -> list[Transaction]:
        """Post each list of outputs as one wallet transaction (not one posted in the last
        :data:`REPOST_AFTER_BLOCKS` blocks); an opening the wallet cannot pay is forgotten so the
        watcher opens it again on a later tip."""
        out: list[Transaction] = []
        self._posted = {k: at for k, at in self._posted.items() if height < at + REPOST_AFTER_BLOCKS}
        for outputs in posts:
            key = outputs[0].script_pubkey
            posted = self._posted.get(key)
            if posted is not None and height < posted + REPOST_AFTER_BLOCKS:
                continue
            message = self._message(outputs[0])
            tx = self.publish(outputs)
            if tx is None:
                if isinstance(message, DisputeOpenMessage):
                    self._forget_opening(message)
                log.warning("cannot post", extra={"fields": {"message": _describe(message)}})
                continue
            self._posted[key] = height
            if isinstance(message, DisputeOpenMessage):
                self._opening_posted.add(compute_header_hash(message.header))
            out.append(tx)
            kind = _post_kind(message)
            self._event(height, kind, f"posted {_describe(message)}")
        return out

    def _forget_opening(self, message: DisputeOpenMessage) -> None:
        header_hash = compute_header_hash(message.header)
        self.watcher.opened.discard(header_hash)
        self.watcher.challenged.pop(header_hash, None)
        self._opening_posted.discard(header_hash)

    def _message(self, output: TxOutput) -> object:
        try:
            return match_sidechain_message(output.script_pubkey, self.preset)
        except SpecError:
            return None

    # ------------------------------------------------------------------------- events

    def _ours(self, header: SidechainHeader, payout_script: bytes) -> str | None:
        if payout_script == self.payout_script:
            return "challenger"
        if compute_header_hash(header) in self.defender.defended:
            return "defender"
        return None

    def describe(
        self,
        before: SidechainsState,
        after: SidechainsState,
        height: int,
        proven: frozenset[int] = frozenset(),
    ) -> list[tuple[str, str]]:
        """The events of this node's games in the block at ``height`` (``before`` -> ``after``), and
        the reverts of the sidechains ``proven``, those the block carries a fraud proof against
        (kinds 8..10)."""
        events: list[tuple[str, str]] = []
        params = on_chain_params(self.preset.dispute)
        for game_id, opened in sorted(after.games.items()):
            header = opened.game.opening.header
            role = self._ours(header, opened.payout_script)
            if game_id in before.games or role is None:
                continue
            events.append(
                (
                    "game_opened",
                    f"checkpoint h={header.height} of sidechain {opened.sidechain_id} challenged by "
                    f"{'this node' if role == 'challenger' else 'a watcher; this node defends it'} "
                    f"(game {game_id}, bond {opened.game.opening.challenger_bond} atoms, "
                    f"{opened.game.opening.tx_count} transactions)",
                )
            )
        for game_id, opened in sorted(before.games.items()):
            if game_id in after.games:
                continue
            game, header = opened.game, opened.game.opening.header
            role = self._ours(header, opened.payout_script)
            if role is None:
                continue
            checkpoints = after.chains[opened.sidechain_id].checkpoints
            reverted = len(checkpoints) <= header.height
            if is_expired(game, height, params):
                reason, moves = f"timeout: {Party(game.turn).name.lower()} missed its deadline", game.moves
            else:
                last = "one-step proof" if game.hi - game.lo == 1 else "bisection"
                reason, moves = f"at its {last}", game.moves + 1
            loser = "defender" if reverted else "challenger"
            kind = "game_won" if (loser == "defender") == (role == "challenger") else "game_lost"
            events.append((kind, f"game {game_id} {loser} lost at move {moves} ({reason})"))
            if reverted:
                events.append(
                    (
                        "checkpoint_reverted",
                        f"checkpoint h={header.height} of sidechain {opened.sidechain_id} reverted "
                        f"(with every later one; the sidechain is checkpointed up to "
                        f"h={len(checkpoints) - 1})",
                    )
                )
        for sidechain_id in sorted(proven):
            record = before.chains.get(sidechain_id)
            kept = len(after.chains[sidechain_id].checkpoints) if sidechain_id in after.chains else 0
            if record is not None and kept < len(record.checkpoints):
                events.append(
                    (
                        "checkpoint_reverted_by_proof",
                        f"checkpoint h={kept} of sidechain {sidechain_id} reverted by a fraud proof "
                        f"(SC-DSP-8/9/21; with every later one; its federation penalised)",
                    )
                )
        for game_id, due in sorted(before.bond_payouts.items()):
            if game_id not in after.bond_payouts and due.script == self.payout_script:
                events.append(
                    (
                        "bond_claimed",
                        f"payable bond of game {game_id} claimed: {due.amount} atoms (the bond back, if "
                        f"any, and SC-DSP-25's reward from the slashed federation's collateral)",
                    )
                )
        return events

    def _event(self, height: int, kind: str, text: str) -> None:
        self.events.append(WatchEvent(height, kind, text))
        del self.events[:-MAX_EVENTS]
        self.counts[kind] += 1
        if self.count is not None:
            self.count(kind)
        log.info(text, extra={"fields": {"height": height, "event": kind}})

    def info(self) -> dict[str, object]:
        """The watcher as RPC shows it."""
        return {
            "challenging": self.challenge,
            "payout_script": self.payout_script.hex(),
            "blocks_held": len(self.watcher.blocks),
            "checkpoints_seen": len(self.watcher.headers),
            "challenged": sorted(hash_.hex() for hash_ in self.watcher.opened),
            "defended": len(self.defender.defended),
            "evidence": {
                "inputs": len(self.watcher.inputs),
                "signed_headers": sum(len(seen) for seen in self.watcher.signed.values()),
                "outboxes": sum(len(seen) for seen in self.watcher.outboxes.values()),
            },
            "stored_rows": {} if self.store is None else self.store.count(),
            "store_problems": [] if self.store is None else list(self.store.problems),
            "counts": dict(sorted(self.counts.items())),
            "events": [{"height": e.height, "kind": e.kind, "text": e.text} for e in self.events],
        }


def _needed(block: WatchedBlock, header: SidechainHeader, live: Live) -> bool:
    """Is an applied block inside a window or an open game (else it is not held at all)?"""
    lowest = live.lowest.get(block.sidechain_id)
    if lowest is None:
        return False
    return block.height >= lowest or (block.sidechain_id, header_block_key(header)) in live.game_blocks


def _keys_at(quorums: QuorumRegistry, preset: Preset, height: int) -> dict[int, bytes]:
    """SC-DSP-8: the federation keys committed for the block at ``height`` (the key at posting)."""
    return federation_keys(quorums, height, preset)


def _post_kind(message: object) -> str:
    if isinstance(message, DisputeOpenMessage):
        return "opening_posted"
    if isinstance(message, CreditsProof | EquivocationProof | EscrowOverdrawProof):
        return "proof_posted"
    if isinstance(message, BondClaim):
        return "claim_posted"
    return "move_posted"


def _describe(message: object) -> str:
    """One line for a dispute message this node posts."""
    if isinstance(message, DisputeOpenMessage):
        header = message.header
        return (
            f"a challenge of checkpoint h={header.height} of sidechain {header.sidechain_id} "
            f"(the re-executed final root {message.challenger_final_root.hex()[:16]}.. is not the "
            f"checkpoint's {header.state_root.hex()[:16]}..)"
        )
    if isinstance(message, DisputeMoveMessage):
        party = Party(message.party).name.lower()
        what = "one-step proof" if message.move_kind == MOVE_ONE_STEP else "bisection"
        return f"the {party}'s {what} in game {message.game_id}"
    if isinstance(message, BondClaim):
        return f"the bond claim of game {message.game_id}"
    if isinstance(message, CreditsProof):
        header = message.header
        return (
            f"a wrong-credits proof against checkpoint h={header.height} of sidechain "
            f"{header.sidechain_id} ({len(message.inputs)} inputs in its cursor range)"
        )
    if isinstance(message, EquivocationProof):
        header = message.first.header
        return (
            f"an equivocation proof against checkpoint h={header.height} of sidechain {header.sidechain_id}"
        )
    if isinstance(message, EscrowOverdrawProof):
        return (
            f"an overdraw proof against checkpoint h={message.checkpoint_height} of sidechain "
            f"{message.sidechain_id} (a withdrawal of {message.entry.amount} atoms)"
        )
    return "an unknown message"
