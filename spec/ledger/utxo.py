"""The UTXO set and its state transition, with undo data (protocol steps "UTXO-*").

The UTXO set maps each unspent :class:`OutPoint` to a :class:`UtxoEntry`. The functions here are
pure: they take a mapping and return a new one (the reference node applies the same
:class:`UtxoDiff` to its SQLite tables instead of copying).

* **UTXO-1** applying a transaction removes the outputs its inputs spend (a coinbase spends
  nothing) and adds each of its *spendable* outputs under ``OutPoint(txid, index)``. Provably
  unspendable outputs (``OP_RETURN`` data carriers) never enter the set.
* **UTXO-2** applying records undo data: the entries the transaction spent, in input order.
  Undoing a transaction removes the entries it created and restores the ones it spent, so
  ``undo(apply(S, tx), tx) == S``.
* **UTXO-3** a block applies its transactions in order (later transactions may spend earlier
  ones of the same block) and is undone in reverse order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from spec.errors import MissingInput, UndoMismatch
from spec.ledger.transaction import OutPoint, Transaction, TxOutput, is_coinbase, txid
from spec.presets import Preset
from spec.script import is_unspendable


@dataclass(frozen=True)
class UtxoEntry:
    """An unspent output with the height of the block that created it."""

    output: TxOutput
    height: int
    is_coinbase: bool


UtxoSet = Mapping[OutPoint, UtxoEntry]


@dataclass(frozen=True)
class UtxoDiff:
    """UTXO-1: what one transaction (or block) removes from and adds to the set."""

    spent: tuple[tuple[OutPoint, UtxoEntry], ...]
    created: tuple[tuple[OutPoint, UtxoEntry], ...]


@dataclass(frozen=True)
class TxUndo:
    """UTXO-2: the entries a transaction spent, in input order."""

    spent: tuple[tuple[OutPoint, UtxoEntry], ...]


def created_entries(tx: Transaction, height: int, preset: Preset) -> tuple[tuple[OutPoint, UtxoEntry], ...]:
    """UTXO-1: the entries ``tx`` adds: its spendable outputs, keyed by ``(txid, index)``."""
    tx_id = txid(tx, preset)
    coinbase = is_coinbase(tx)
    return tuple(
        (OutPoint(tx_id, index), UtxoEntry(output, height, coinbase))
        for index, output in enumerate(tx.outputs)
        if not is_unspendable(output.script_pubkey, preset.script)
    )


def transaction_diff(utxos: UtxoSet, tx: Transaction, height: int, preset: Preset) -> UtxoDiff:
    """UTXO-1: the diff of applying ``tx`` at ``height``; raise ``TX_MISSING_INPUT`` for an unknown input."""
    spent: list[tuple[OutPoint, UtxoEntry]] = []
    if not is_coinbase(tx):
        for tx_input in tx.inputs:
            entry = utxos.get(tx_input.previous_output)
            if entry is None:
                raise MissingInput(
                    f"outpoint {tx_input.previous_output.txid.hex()}:{tx_input.previous_output.index}"
                )
            spent.append((tx_input.previous_output, entry))
    return UtxoDiff(tuple(spent), created_entries(tx, height, preset))


def apply_diff(utxos: UtxoSet, diff: UtxoDiff) -> dict[OutPoint, UtxoEntry]:
    """UTXO-1: a new set with ``diff.spent`` removed and ``diff.created`` added."""
    result = dict(utxos)
    for outpoint, _ in diff.spent:
        if outpoint not in result:
            raise MissingInput(f"outpoint {outpoint.txid.hex()}:{outpoint.index} spent twice")
        del result[outpoint]
    for outpoint, entry in diff.created:
        result[outpoint] = entry
    return result


def apply_transaction(
    utxos: UtxoSet, tx: Transaction, height: int, preset: Preset
) -> tuple[dict[OutPoint, UtxoEntry], TxUndo]:
    """UTXO-1/2: the set after ``tx`` and the undo data that reverts it."""
    diff = transaction_diff(utxos, tx, height, preset)
    return apply_diff(utxos, diff), TxUndo(diff.spent)


def undo_transaction(
    utxos: UtxoSet, tx: Transaction, undo: TxUndo, height: int, preset: Preset
) -> dict[OutPoint, UtxoEntry]:
    """UTXO-2: the set before ``tx``; raise ``TX_UNDO_MISMATCH`` if ``utxos`` is not the set after it."""
    result = dict(utxos)
    for outpoint, entry in created_entries(tx, height, preset):
        if result.get(outpoint) != entry:
            raise UndoMismatch(f"created output {outpoint.index} is not in the set")
        del result[outpoint]
    expected_inputs = () if is_coinbase(tx) else tuple(i.previous_output for i in tx.inputs)
    if tuple(outpoint for outpoint, _ in undo.spent) != expected_inputs:
        raise UndoMismatch("undo data does not list the transaction's inputs")
    for outpoint, entry in undo.spent:
        if outpoint in result:
            raise UndoMismatch(f"spent output {outpoint.index} is already in the set")
        result[outpoint] = entry
    return result


def apply_transactions(
    utxos: UtxoSet, transactions: Sequence[Transaction], height: int, preset: Preset
) -> tuple[dict[OutPoint, UtxoEntry], tuple[TxUndo, ...]]:
    """UTXO-3: apply a block's transactions in order."""
    current: dict[OutPoint, UtxoEntry] = dict(utxos)
    undos: list[TxUndo] = []
    for tx in transactions:
        diff = transaction_diff(current, tx, height, preset)
        for outpoint, _ in diff.spent:
            del current[outpoint]
        current.update(diff.created)
        undos.append(TxUndo(diff.spent))
    return current, tuple(undos)


class UtxosDuringBlock(Mapping[OutPoint, UtxoEntry]):
    """UTXO-3: the set part-way through a block without copying it: the set before the block, minus
    what the transactions so far spent, plus what they created (read-only to its users).

    :meth:`advance` applies one transaction's diff exactly as :func:`apply_transactions` does on its
    copy; replaying a block's changes (the masternode list does, MN-5) then costs the block's size,
    not the whole set's (issue 14).
    """

    def __init__(self, before: UtxoSet) -> None:
        self._before = before
        self._spent: set[OutPoint] = set()
        self._created: dict[OutPoint, UtxoEntry] = {}

    def advance(self, diff: UtxoDiff) -> None:
        """Remove ``diff.spent`` and add ``diff.created`` (the diff was computed on this view)."""
        for outpoint, _ in diff.spent:
            if self._created.pop(outpoint, None) is None:
                self._spent.add(outpoint)
        self._created.update(diff.created)

    def __getitem__(self, outpoint: OutPoint) -> UtxoEntry:
        if outpoint in self._created:
            return self._created[outpoint]
        if outpoint in self._spent:
            raise KeyError(outpoint)
        return self._before[outpoint]

    def __iter__(self) -> Iterator[OutPoint]:
        yield from (o for o in self._before if o not in self._spent and o not in self._created)
        yield from self._created

    def __len__(self) -> int:
        return sum(1 for _ in self)


def undo_transactions(
    utxos: UtxoSet, transactions: Sequence[Transaction], undos: Sequence[TxUndo], height: int, preset: Preset
) -> dict[OutPoint, UtxoEntry]:
    """UTXO-3: undo a block's transactions in reverse order."""
    if len(undos) != len(transactions):
        raise UndoMismatch("one undo record per transaction is required")
    current: dict[OutPoint, UtxoEntry] = dict(utxos)
    for tx, undo in zip(reversed(transactions), reversed(undos), strict=True):
        current = undo_transaction(current, tx, undo, height, preset)
    return current
