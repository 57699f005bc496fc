"""Transaction validation (protocol steps "TX-*").

Validation is split by what it needs to know:

* :func:`check_transaction` (TX-1..TX-6) looks at the transaction alone;
* :func:`check_inputs` (TX-7..TX-9) needs the UTXO set and returns the fee;
* :func:`check_finality` and :func:`check_relative_locks` (TX-10, TX-11) need the height and the
  median time past of the block that would include the transaction;
* :func:`verify_scripts` (TX-12) runs every input's FerrisScript with an Ed25519 signature checker
  over the TXF-5 signature hash.

:func:`validate_transaction` runs them all, in that order, for a non-coinbase transaction; the
first failing rule decides the error code (vectors rely on this order).

Relative locks (TX-11) are height-based only in version 1: an input whose sequence enables a
relative lock (bit 31 clear) must leave the type flag (bit 22) clear, and may be spent only when
``coin height + (sequence & 0xffff) <= spending height``.
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.crypto import ed25519
from spec.errors import (
    BadCoinbaseShape,
    DuplicateInput,
    EmptyInputsOrOutputs,
    ImmatureCoinbaseSpend,
    InputValueOutOfRange,
    InsufficientInputValue,
    MissingInput,
    OutputValueOutOfRange,
    RelativeLockNotMet,
    SpecError,
    TooManyInputsOutputs,
    TransactionNotFinal,
    TransactionTooLarge,
    UnexpectedCoinbase,
    UnsupportedRelativeLock,
    UnsupportedTransactionVersion,
)
from spec.hashing import HashDomain, domain_hasher
from spec.ledger.transaction import (
    _MEMO_PRESET,
    COINBASE_INDEX,
    NULL_TXID,
    SEQUENCE_FINAL,
    TRANSACTION_VERSION,
    OutPoint,
    Transaction,
    TxOutput,
    _remember,
    _remembered,
    is_coinbase,
    signature_hash,
    transaction_size,
)
from spec.ledger.utxo import UtxoEntry, UtxoSet
from spec.presets import Preset
from spec.script import (
    KEY_HASH_BYTES,
    P2PKH_NON_PUSH_OPS,
    P2PKH_PREFIX,
    P2PKH_SCRIPT_BYTES,
    P2PKH_SCRIPT_SIG_BYTES,
    P2PKH_STACK_DEPTH,
    P2PKH_SUFFIX,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    check_sigops,
    evaluate,
    match_p2pkh_spend,
    run_p2pkh,
)

SEQUENCE_LOCK_DISABLE_FLAG = 1 << 31
"""TX-11: sequence bit 31 set means the input has no relative lock."""
SEQUENCE_LOCK_TYPE_FLAG = 1 << 22
"""TX-11: sequence bit 22 would select a time-based relative lock (not defined in version 1)."""
SEQUENCE_LOCK_MASK = 0xFFFF
"""TX-11: the low 16 bits of the sequence hold the relative lock in blocks."""
_P2PKH_SCRIPT_LENGTH = bytes((P2PKH_SCRIPT_BYTES,))
"""The P2PKH script's ``VarBytes`` length prefix (one byte: 37 < 0x80), as TXF-5 encodes it."""
_U64_LIMIT = 1 << 64
_KEY_HASHER = domain_hasher(HashDomain.SCRIPT_HASH)
"""SCRIPT-13's keyed hasher (:func:`~spec.hashing.domain_hasher`): only ever copied."""
_MESSAGE_HASHER = domain_hasher(HashDomain.SIGNATURE_HASH)
"""TXF-5's keyed hasher: only ever copied."""


@dataclass(frozen=True)
class LedgerContext:
    """Where a transaction would be included: the block height and its median time past."""

    height: int
    median_time_past: int


def check_transaction(tx: Transaction, preset: Preset) -> None:
    """TX-1..TX-6: rules that need nothing but the transaction.

    A transaction that passed is remembered as passed under this very ``preset`` object (the
    rules read nothing else): a block's validation asks twice, in ``check_block_shape`` and in
    :func:`validate_transaction` (issue 14). A failure is never remembered, so it raises anew.
    """
    if _remembered(tx, "_checked", preset):
        return
    ledger = preset.ledger
    if tx.version != TRANSACTION_VERSION:
        raise UnsupportedTransactionVersion(f"version {tx.version}")
    if not tx.inputs or not tx.outputs:
        raise EmptyInputsOrOutputs(f"{len(tx.inputs)} inputs, {len(tx.outputs)} outputs")
    if len(tx.inputs) + len(tx.outputs) > ledger.max_inputs_plus_outputs:
        raise TooManyInputsOutputs(f"{len(tx.inputs) + len(tx.outputs)} inputs plus outputs")
    size = transaction_size(tx, preset)
    if size > ledger.max_transaction_bytes:
        raise TransactionTooLarge(f"{size} bytes")
    total = 0
    for output in tx.outputs:
        if output.value > ledger.max_money:
            raise OutputValueOutOfRange(f"output of {output.value} atoms")
        total += output.value
        if total > ledger.max_money:
            raise OutputValueOutOfRange(f"outputs sum to more than {ledger.max_money} atoms")
    outpoints = [i.previous_output for i in tx.inputs]
    if len(outpoints) > 1 and len(set(outpoints)) != len(outpoints):  # one input is never a duplicate
        raise DuplicateInput("an outpoint is spent twice")
    # ``NULL_OUTPOINT in outpoints`` written out as the dataclass equality it is (same class, equal
    # fields), as in is_coinbase, and as a loop, not a generator (issue 14)
    if not is_coinbase(tx):
        for o in outpoints:
            if o.__class__ is OutPoint and o.index == COINBASE_INDEX and o.txid == NULL_TXID:
                raise BadCoinbaseShape("the null outpoint is spent by a non-coinbase transaction")
    _remember(tx, "_checked", preset, True)


def is_checked(tx: Transaction, preset: Preset) -> bool:
    """Whether :func:`check_transaction` passed on ``tx`` under this very ``preset`` object (its
    memo; a fresh transaction, another preset object or a failure give ``False``)."""
    memo = tx.__dict__  # _remembered written out (asked once per transaction of a block)
    return memo.get(_MEMO_PRESET) is preset and memo.get("_checked") is True


def spent_entries(tx: Transaction, utxos: UtxoSet) -> tuple[UtxoEntry, ...]:
    """TX-7: the UTXO entries ``tx`` spends, in input order; raise ``TX_MISSING_INPUT``."""
    entries: list[UtxoEntry] = []
    for tx_input in tx.inputs:
        entry = utxos.get(tx_input.previous_output)
        if entry is None:
            outpoint = tx_input.previous_output
            raise MissingInput(f"outpoint {outpoint.txid.hex()}:{outpoint.index} is not unspent")
        entries.append(entry)
    return tuple(entries)


def check_inputs(tx: Transaction, utxos: UtxoSet, height: int, preset: Preset, released: int = 0) -> int:
    """TX-7..TX-9: the inputs exist, coinbase outputs spent are mature, and value is not created.

    Returns the fee: inputs minus outputs, in atoms. ``released`` is value a sidechain escrow adds
    to the inputs (the transaction's withdrawal claims, SC-PEG-4; 0 before fork ``sidechains``).
    """
    return _checked_inputs(tx, utxos, height, preset, released)[0]


def _checked_inputs(
    tx: Transaction, utxos: UtxoSet, height: int, preset: Preset, released: int = 0
) -> tuple[int, tuple[UtxoEntry, ...]]:
    """:func:`check_inputs` and the :func:`spent_entries` it read (looked up once per validation)."""
    ledger = preset.ledger
    if is_coinbase(tx):
        raise UnexpectedCoinbase("a coinbase has no inputs to check")
    entries = spent_entries(tx, utxos)
    total_in = 0
    for entry in entries:
        if entry.is_coinbase and height - entry.height < ledger.coinbase_maturity:
            raise ImmatureCoinbaseSpend(
                f"coinbase from height {entry.height} spent at {height} (maturity {ledger.coinbase_maturity})"
            )
        total_in += entry.output.value
        if entry.output.value > ledger.max_money or total_in > ledger.max_money:
            raise InputValueOutOfRange(f"inputs sum to more than {ledger.max_money} atoms")
    total_in += released
    total_out = sum(output.value for output in tx.outputs)
    if total_out > total_in:
        raise InsufficientInputValue(f"outputs {total_out} exceed inputs {total_in}")
    return total_in - total_out, entries


def is_final(tx: Transaction, context: LedgerContext, preset: Preset) -> bool:
    """TX-10: lock_time 0, or reached (height or median time past), or every input opts out."""
    if tx.lock_time == 0:
        return True
    threshold = preset.ledger.lock_time_threshold
    reference = context.height if tx.lock_time < threshold else context.median_time_past
    if tx.lock_time < reference:
        return True
    return all(i.sequence == SEQUENCE_FINAL for i in tx.inputs)


def check_finality(tx: Transaction, context: LedgerContext, preset: Preset) -> None:
    """TX-10: raise ``TX_NOT_FINAL`` unless :func:`is_final`."""
    if not is_final(tx, context, preset):
        raise TransactionNotFinal(f"lock_time {tx.lock_time} at height {context.height}")


def check_relative_locks(tx: Transaction, entries: tuple[UtxoEntry, ...], context: LedgerContext) -> None:
    """TX-11: every enabled relative lock has matured at ``context.height``."""
    for tx_input, entry in zip(tx.inputs, entries, strict=True):
        if tx_input.sequence & SEQUENCE_LOCK_DISABLE_FLAG:
            continue
        if tx_input.sequence & SEQUENCE_LOCK_TYPE_FLAG:
            raise UnsupportedRelativeLock(f"sequence {tx_input.sequence:#010x} selects a time lock")
        if entry.height + (tx_input.sequence & SEQUENCE_LOCK_MASK) > context.height:
            raise RelativeLockNotMet(
                f"coin from {entry.height} locked for {tx_input.sequence & SEQUENCE_LOCK_MASK} blocks"
            )


@dataclass(frozen=True)
class TransactionSignatureChecker:
    """The FerrisScript signature checker for one input of one transaction (TX-12)."""

    tx: Transaction
    input_index: int
    spent_output: TxOutput
    preset: Preset

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        """ED-1..ED-3 over the TXF-5 signature hash of this input."""
        message = signature_hash(self.tx, self.input_index, self.spent_output, self.preset)
        return ed25519.verify(public_key, message, signature)

    def check_lock_time(self, lock_time: int) -> bool:
        """CHECKLOCKTIMEVERIFY: same kind as the tx lock_time, not above it, and the input not final."""
        threshold = self.preset.ledger.lock_time_threshold
        if lock_time < 0 or (lock_time < threshold) != (self.tx.lock_time < threshold):
            return False
        if lock_time > self.tx.lock_time:
            return False
        return self.tx.inputs[self.input_index].sequence != SEQUENCE_FINAL

    def check_sequence(self, sequence: int) -> bool:
        """CHECKSEQUENCEVERIFY: the input's own relative lock is at least the script's (height-based)."""
        if sequence < 0:
            return False
        if sequence & SEQUENCE_LOCK_DISABLE_FLAG:
            return True
        own = self.tx.inputs[self.input_index].sequence
        if (
            own & SEQUENCE_LOCK_DISABLE_FLAG
            or own & SEQUENCE_LOCK_TYPE_FLAG
            or sequence & SEQUENCE_LOCK_TYPE_FLAG
        ):
            return False
        return (sequence & SEQUENCE_LOCK_MASK) <= (own & SEQUENCE_LOCK_MASK)


def verify_scripts(tx: Transaction, entries: tuple[UtxoEntry, ...], preset: Preset) -> None:
    """TX-12: the spent scripts fit the per-transaction sigop budget (SCRIPT-9), and every input's
    script_sig satisfies the script_pubkey of the output it spends.

    When every input is a P2PKH spend (:func:`~spec.script.match_p2pkh_spend`) within the sigop
    budget (one sigop each), the sigop check passes and each evaluation is ``run_p2pkh``: that is
    what runs, in input order (issue 14). Otherwise the definition below runs as written.
    """
    params = preset.script
    spends = [
        match_p2pkh_spend(tx_input.script_sig, entry.output.script_pubkey, params)
        for tx_input, entry in zip(tx.inputs, entries, strict=True)
    ]
    matched = [spend for spend in spends if spend is not None]
    if len(matched) == len(spends) <= params.max_sigops_per_tx:
        for index, (spend, entry) in enumerate(zip(matched, entries, strict=True)):
            checker = TransactionSignatureChecker(tx, index, entry.output, preset)
            run_p2pkh(*spend, checker)
        return
    check_sigops([entry.output.script_pubkey for entry in entries], preset.script)
    for index, (tx_input, entry) in enumerate(zip(tx.inputs, entries, strict=True)):
        checker = TransactionSignatureChecker(tx, index, entry.output, preset)
        evaluate(tx_input.script_sig, entry.output.script_pubkey, checker, preset.script)


def plain_p2pkh_fee(
    tx: Transaction, utxos: UtxoSet, context: LedgerContext, preset: Preset, released: int = 0
) -> int | None:
    """TX-7..TX-12 in one pass for the common transaction, or ``None`` where the readable checks
    must decide (issue 14: the per-transaction calls cost more than the rules).

    For a transaction that passed TX-1..6 and is not a coinbase: every input spends a known,
    mature entry; the values stay within ``max_money`` and cover the outputs; ``lock_time`` is 0
    or reached; every input opts out of relative locks; every input is a P2PKH spend in the
    98-byte template (:func:`~spec.script.match_p2pkh_spend`), no more of them than the sigop
    budget; each key hashes to its key hash and each signature verifies. Then the checks of
    :func:`validate_transaction` all pass, in its order, and this returns its fee. On any other
    input, or any failed check, it returns ``None`` and the readable checks run from the start
    (they raise the error code; a failure costs the work twice). ``tests/test_fast_paths.py``
    checks the fee or error code agrees with the readable path on valid and mutated transactions.
    """
    params = preset.script
    inputs = tx.inputs
    if (
        len(inputs) > params.max_sigops_per_tx
        or params.max_script_bytes < P2PKH_SCRIPT_SIG_BYTES
        or params.max_element_bytes < SIGNATURE_BYTES
        or params.max_ops < P2PKH_NON_PUSH_OPS
        or params.max_stack_items < P2PKH_STACK_DEPTH
        or (tx.lock_time != 0 and not is_final(tx, context, preset))  # is_final's first test in line
    ):
        return None
    ledger = preset.ledger
    max_money = ledger.max_money
    maturity_height = context.height - ledger.coinbase_maturity
    total_out = 0
    for tx_output in tx.outputs:
        total_out += tx_output.value
    total_in = 0
    kept = tx.__dict__
    # _stripped_encoding's memo read in line (check_block_shape left it)
    stripped: bytes | None = kept.get("_stripped_encoding") if kept.get(_MEMO_PRESET) is preset else None
    index = 0
    try:
        for tx_input in inputs:
            entry = utxos.get(tx_input.previous_output)
            if entry is None or not tx_input.sequence & SEQUENCE_LOCK_DISABLE_FLAG:
                return None
            output = entry.output
            value = output.value
            if (entry.is_coinbase and entry.height > maturity_height) or value > max_money:
                return None
            total_in += value
            if total_in > max_money:
                return None
            script_sig, script_pubkey = tx_input.script_sig, output.script_pubkey
            if (
                len(script_sig) != P2PKH_SCRIPT_SIG_BYTES
                or script_sig[0] != SIGNATURE_BYTES
                or script_sig[SIGNATURE_BYTES + 1] != PUBLIC_KEY_BYTES
                or len(script_pubkey) != P2PKH_SCRIPT_BYTES
                or not script_pubkey.startswith(P2PKH_PREFIX)
                or not script_pubkey.endswith(P2PKH_SUFFIX)
            ):
                return None
            public_key = script_sig[SIGNATURE_BYTES + 2 :]
            hasher = _KEY_HASHER.copy()  # script_hash(public_key) (SCRIPT-13) on the keyed hasher
            hasher.update(public_key)
            if hasher.digest() != script_pubkey[len(P2PKH_PREFIX) : len(P2PKH_PREFIX) + KEY_HASH_BYTES]:
                return None
            if (
                stripped is not None
                and script_pubkey.__class__ is bytes
                and value.__class__ is int
                and 0 <= value < _U64_LIMIT
            ):
                # signature_hash's plain case written out: the script-free transaction, the input
                # index, the spent value, the spent script behind its one-byte length (37 < 0x80)
                hasher = _MESSAGE_HASHER.copy()
                hasher.update(
                    b"".join(
                        (
                            stripped,
                            index.to_bytes(4, "little"),
                            value.to_bytes(8, "little"),
                            _P2PKH_SCRIPT_LENGTH,
                            script_pubkey,
                        )
                    )
                )
                message: bytes = hasher.digest()
            else:
                message = signature_hash(tx, index, output, preset)
            if not ed25519.verify(public_key, message, script_sig[1 : SIGNATURE_BYTES + 1]):
                return None
            index += 1
    except SpecError:
        return None
    total_in += released
    if total_out > total_in:
        return None
    return total_in - total_out


def validate_transaction(
    tx: Transaction, utxos: UtxoSet, context: LedgerContext, preset: Preset, released: int = 0
) -> int:
    """TX-1..TX-12 for a non-coinbase transaction; returns its fee in atoms (``released``: escrow
    value its withdrawal claims add to its inputs, SC-PEG-4, see :func:`check_inputs`).

    :func:`plain_p2pkh_fee` answers for the common transaction; the checks below are the
    definition, and decide (and raise) for everything else."""
    check_transaction(tx, preset)
    if is_coinbase(tx):
        raise UnexpectedCoinbase("a coinbase is only valid as the first transaction of a block")
    fast = plain_p2pkh_fee(tx, utxos, context, preset, released)
    if fast is not None:
        return fast
    fee, entries = _checked_inputs(tx, utxos, context.height, preset, released)  # check_inputs, spent_entries
    check_finality(tx, context, preset)
    check_relative_locks(tx, entries, context)
    verify_scripts(tx, entries, preset)
    return fee
