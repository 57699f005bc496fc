"""The mempool: relay policy, replacement, eviction and block templates (protocol steps "MEMPOOL-*").

The mempool holds valid, unconfirmed transactions that a node relays and mines. Its rules are
*policy*: two honest nodes may hold different mempools, and no block is ever invalid because of a
mempool rule. They are specified anyway, because relay behaviour decides what reaches miners and
what an attacker can make every node do.

* **MEMPOOL-1 admission**: the transaction is not a coinbase and not already present, passes
  every consensus rule (TX-1..TX-12) against the UTXO set extended by the outputs of mempool
  transactions (so unconfirmed chains are allowed) at the next block's height, pays at least
  ``min_fee_rate`` atoms per byte, and creates no spendable output below ``dust_limit``.
* **MEMPOOL-2 replacement**: if it spends an outpoint that a mempool transaction already spends,
  it replaces every such *conflict* and all their descendants only if (a) it does not spend an
  output of anything it replaces, (b) its fee rate is strictly higher than each conflict's, and
  (c) its fee is at least the replaced fees plus ``incremental_fee_rate`` times its own size (so
  replacement always pays for the bandwidth it uses). Otherwise ``MEMPOOL_REPLACEMENT_REJECTED``.
* **MEMPOOL-3 eviction**: while the total size exceeds ``max_mempool_bytes``, the entry with the
  lowest fee rate (ties: highest txid) is evicted with its descendants. If the new transaction is
  evicted this way, its admission fails with ``MEMPOOL_FULL`` and the mempool is unchanged.
* **MEMPOOL-4 block template**: transactions are taken in descending fee rate (ties: lower txid),
  each only after all its mempool parents, while they fit in the size budget.
* **MEMPOOL-5 block connection**: transactions included in a block, and every mempool
  transaction that conflicts with the block's spends, leave the mempool with their descendants.

Fee rates are compared exactly as fractions (fee / size), never as floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sortedcontainers import SortedKeyList

from spec.errors import (
    AlreadyInMempool,
    DustOutput,
    FeeRateTooLow,
    MempoolFull,
    ReplacementRejected,
    UnexpectedCoinbase,
)
from spec.ledger.transaction import OutPoint, Transaction, is_coinbase, transaction_size, txid
from spec.ledger.utxo import UtxoEntry, UtxoSet, created_entries
from spec.ledger.validation import LedgerContext, validate_transaction
from spec.presets import Preset
from spec.script import is_unspendable


@dataclass(frozen=True)
class MempoolEntry:
    """A transaction in the mempool with its fee and size."""

    tx: Transaction
    txid: bytes
    fee: int
    size: int

    @property
    def fee_rate(self) -> Fraction:
        """Atoms per byte, exact."""
        return Fraction(self.fee, self.size)


@dataclass(frozen=True)
class Mempool:
    """An immutable mempool: entries by txid, and which mempool transaction spends each outpoint."""

    entries: Mapping[bytes, MempoolEntry]
    spenders: Mapping[OutPoint, bytes]
    total_bytes: int


EMPTY_MEMPOOL = Mempool({}, {}, 0)


class MempoolUtxoView(Mapping[OutPoint, UtxoEntry]):
    """MEMPOOL-1: the UTXO set extended by the outputs of mempool transactions (created at ``height``)."""

    def __init__(self, utxos: UtxoSet, mempool: Mempool, height: int, preset: Preset) -> None:
        self._utxos = utxos
        self._unconfirmed: dict[OutPoint, UtxoEntry] = {}
        for entry in mempool.entries.values():
            self._unconfirmed.update(created_entries(entry.tx, height, preset))

    def __getitem__(self, outpoint: OutPoint) -> UtxoEntry:
        found = self._unconfirmed.get(outpoint)
        return found if found is not None else self._utxos[outpoint]

    def __iter__(self) -> Iterator[OutPoint]:
        yield from self._unconfirmed
        yield from (o for o in self._utxos if o not in self._unconfirmed)

    def __len__(self) -> int:
        return len(self._unconfirmed) + sum(1 for o in self._utxos if o not in self._unconfirmed)


def children(mempool: Mempool, parent: bytes) -> set[bytes]:
    """The mempool transactions that spend an output of ``parent``."""
    entry = mempool.entries[parent]
    found: set[bytes] = set()
    for index in range(len(entry.tx.outputs)):
        spender = mempool.spenders.get(OutPoint(parent, index))
        if spender is not None:
            found.add(spender)
    return found


def with_descendants(mempool: Mempool, roots: Iterable[bytes]) -> set[bytes]:
    """The given mempool txids and every mempool transaction that depends on them."""
    result: set[bytes] = set()
    pending = [r for r in roots if r in mempool.entries]
    while pending:
        current = pending.pop()
        if current in result:
            continue
        result.add(current)
        pending.extend(children(mempool, current))
    return result


def mempool_parents(mempool: Mempool, tx: Transaction) -> set[bytes]:
    """The mempool transactions whose outputs ``tx`` spends."""
    return {i.previous_output.txid for i in tx.inputs if i.previous_output.txid in mempool.entries}


def _without(mempool: Mempool, removed: set[bytes]) -> Mempool:
    entries = {k: v for k, v in mempool.entries.items() if k not in removed}
    spenders = {o: t for o, t in mempool.spenders.items() if t not in removed}
    return Mempool(entries, spenders, sum(e.size for e in entries.values()))


def _with(mempool: Mempool, entry: MempoolEntry) -> Mempool:
    entries = {**mempool.entries, entry.txid: entry}
    spenders = {**mempool.spenders, **{i.previous_output: entry.txid for i in entry.tx.inputs}}
    return Mempool(entries, spenders, mempool.total_bytes + entry.size)


def check_policy(entry: MempoolEntry, preset: Preset) -> None:
    """MEMPOOL-1: minimum fee rate and dust."""
    policy = preset.mempool
    if entry.fee < policy.min_fee_rate * entry.size:
        raise FeeRateTooLow(f"fee {entry.fee} for {entry.size} bytes")
    for output in entry.tx.outputs:
        if output.value < policy.dust_limit and not is_unspendable(output.script_pubkey, preset.script):
            raise DustOutput(f"output of {output.value} atoms")


def check_replacement(
    mempool: Mempool, entry: MempoolEntry, conflicts: set[bytes], preset: Preset
) -> set[bytes]:
    """MEMPOOL-2: the txids ``entry`` replaces, or ``MEMPOOL_REPLACEMENT_REJECTED``."""
    replaced = with_descendants(mempool, conflicts)
    if mempool_parents(mempool, entry.tx) & replaced:
        raise ReplacementRejected("spends an output of a transaction it would replace")
    for conflict in conflicts:
        if entry.fee_rate <= mempool.entries[conflict].fee_rate:
            raise ReplacementRejected("fee rate not above a conflicting transaction's")
    replaced_fees = sum(mempool.entries[t].fee for t in replaced)
    if entry.fee < replaced_fees + preset.mempool.incremental_fee_rate * entry.size:
        raise ReplacementRejected(f"fee {entry.fee} does not pay for the {replaced_fees} atoms it replaces")
    return replaced


def _eviction_order(mempool: Mempool) -> SortedKeyList:
    """MEMPOOL-3: entries from lowest fee rate up (ties: highest txid first)."""
    return SortedKeyList(
        mempool.entries.values(),
        key=lambda e: (e.fee_rate, bytes(255 - b for b in e.txid)),
    )


def trim_to_size(mempool: Mempool, preset: Preset) -> tuple[Mempool, set[bytes]]:
    """MEMPOOL-3: evict lowest fee rates (with descendants) until the size limit holds."""
    evicted: set[bytes] = set()
    order = _eviction_order(mempool)
    current = mempool
    position = 0
    while current.total_bytes > preset.mempool.max_mempool_bytes and position < len(order):
        candidate: MempoolEntry = order[position]
        position += 1
        if candidate.txid in evicted:
            continue
        batch = with_descendants(current, [candidate.txid])
        evicted |= batch
        current = _without(current, batch)
    return current, evicted


def admit(
    mempool: Mempool,
    tx: Transaction,
    utxos: UtxoSet,
    context: LedgerContext,
    preset: Preset,
    released: int = 0,
) -> tuple[Mempool, frozenset[bytes]]:
    """MEMPOOL-1..3: the mempool with ``tx`` added, and the txids it replaced or evicted
    (``released``: the escrow value its sidechain withdrawal claims add to its inputs, SC-PEG-4,
    as the block's TX-9 check counts it; its fee is computed with it)."""
    if is_coinbase(tx):
        raise UnexpectedCoinbase("a coinbase is never relayed")
    tx_id = txid(tx, preset)
    if tx_id in mempool.entries:
        raise AlreadyInMempool(tx_id.hex())
    conflicts = {
        mempool.spenders[i.previous_output] for i in tx.inputs if i.previous_output in mempool.spenders
    }
    base = mempool
    if conflicts:
        # Validate against the mempool as it would be after the replacement.
        base = _without(mempool, with_descendants(mempool, conflicts))
    view = MempoolUtxoView(utxos, base, context.height, preset)
    fee = validate_transaction(tx, view, context, preset, released)
    entry = MempoolEntry(tx, tx_id, fee, transaction_size(tx, preset))
    check_policy(entry, preset)
    replaced: set[bytes] = check_replacement(mempool, entry, conflicts, preset) if conflicts else set()
    added = _with(_without(mempool, replaced), entry)
    trimmed, evicted = trim_to_size(added, preset)
    if tx_id in evicted:
        raise MempoolFull(f"fee rate {entry.fee_rate} is among the lowest in a full mempool")
    return trimmed, frozenset(replaced | evicted)


def select_for_block(mempool: Mempool, max_bytes: int) -> tuple[Transaction, ...]:
    """MEMPOOL-4: a block template: highest fee rate first, parents before children, within ``max_bytes``."""
    ready: SortedKeyList = SortedKeyList(key=lambda e: (-e.fee_rate, e.txid))
    waiting: dict[bytes, set[bytes]] = {}
    for entry in mempool.entries.values():
        parents = mempool_parents(mempool, entry.tx)
        if parents:
            waiting[entry.txid] = parents
        else:
            ready.add(entry)
    selected: list[Transaction] = []
    used = 0
    while ready:
        best: MempoolEntry = ready.pop(0)
        if used + best.size > max_bytes:
            continue
        selected.append(best.tx)
        used += best.size
        for child in sorted(children(mempool, best.txid)):
            pending = waiting.get(child)
            if pending is None:
                continue
            pending.discard(best.txid)
            if not pending:
                del waiting[child]
                ready.add(mempool.entries[child])
    return tuple(selected)


def remove_for_block(mempool: Mempool, block_transactions: Sequence[Transaction], preset: Preset) -> Mempool:
    """MEMPOOL-5: drop included transactions and everything conflicting with the block's spends."""
    included = {txid(tx, preset) for tx in block_transactions}
    conflicting: set[bytes] = set()
    for tx in block_transactions:
        if is_coinbase(tx):
            continue
        for tx_input in tx.inputs:
            spender = mempool.spenders.get(tx_input.previous_output)
            if spender is not None and spender not in included:
                conflicting.add(spender)
    # Included transactions leave alone (their children stay, now spending confirmed outputs);
    # conflicting ones leave with their descendants.
    return _without(mempool, (included & set(mempool.entries)) | with_descendants(mempool, conflicting))
