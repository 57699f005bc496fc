"""Fuzz harnesses of the chain flow (spec/chain/), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`ChainInvariantViolation`. :data:`CHAIN_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`chain_seeds` gives their seed corpora.

Invariants checked:

* ``chain_decode_header`` / ``chain_decode_block``: only ``DECODE_*`` codes reject; an accepted
  input re-encodes to exactly itself (ENC-2), so its block hash is the hash of the input; for a
  block, the stateless checks (:func:`spec.chain.block.check_block_shape`) reject only with a
  ``SpecError``.
* ``chain_apply_block``: a valid devnet block (chosen by the first byte) has the rest of the input
  XORed into its bytes at an offset; the result is decoded and applied on the block's parent
  state. Only ``SpecError`` may escape. An unmutated block must be accepted, and an accepted
  mutation may differ from the original only in the header fields nothing else commits to (the
  timestamp and the nonce): same body, same votes, same UTXO set and ticket pool afterwards.
* ``chain_plain_spend``: step 4 of ``apply_block`` for one transaction, the one-pass
  :func:`spec.chain.state.plain_spend` (issue 14) against the readable steps it stands for
  (``check_ticket_locks``, ``validate_transaction``, ``ticket_purchases``, ``created_entries``).
  Eight selector bytes shape a signed two-input P2PKH spend and its surroundings (see
  :func:`fuzz_plain_spend`), the rest of the input is XOR-ed over its encoding, which is decoded
  and, unless a selector says otherwise, signed again (so mutated sequences, lock times, values and
  outputs keep valid signatures). ``plain_spend`` may only return ``None`` or an answer (a
  ``SpecError`` from it is a finding too); the readable steps may only raise ``SpecError``. When
  they raise, ``plain_spend`` declined; when ``plain_spend`` answered, the transaction was checked
  under that very preset object, its ``[0]`` is the readable fee, its ``[1]`` the created entries,
  and it buys no ticket. The genuine spend (all selectors zero, nothing XOR-ed) must be answered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from functools import cache

from conformance.generators.chain import main_chain
from conformance.wallet import key, sign_transaction
from fuzz.ledger_harnesses import _scenario as ledger_scenario
from fuzz.xor import xor_over
from spec.chain.block import (
    Block,
    block_hash,
    check_block_shape,
    check_block_shape_readable,
    decode_block,
    decode_header,
    encode_block,
    encode_header,
)
from spec.chain.state import (
    BlockContext,
    ChainState,
    apply_block,
    check_ticket_locks,
    plain_spend,
    ticket_purchases,
)
from spec.chain.tickets import Ticket, ticket_script
from spec.errors import DecodeError, SpecError
from spec.hashing import HashDomain, tagged_hash
from spec.ledger.transaction import (
    NULL_OUTPOINT,
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    decode_transaction,
    encode_transaction,
)
from spec.ledger.utxo import UtxoEntry, created_entries
from spec.ledger.validation import (
    SEQUENCE_LOCK_DISABLE_FLAG,
    SEQUENCE_LOCK_TYPE_FLAG,
    LedgerContext,
    check_transaction,
    is_checked,
    validate_transaction,
)
from spec.presets import DEVNET, Preset

PRESET = DEVNET


class ChainInvariantViolation(AssertionError):
    """A chain decoder or validator accepted or rejected an input in a way its rules forbid."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ChainInvariantViolation(message)


def fuzz_decode_header(data: bytes) -> None:
    """HDR-0: strict decoding; an accepted header re-encodes to the input and hashes it."""
    try:
        header = decode_header(data, PRESET)
    except DecodeError:
        return
    _require(encode_header(header, PRESET) == data, "ENC-2: a decoded header re-encodes differently")
    _require(
        block_hash(header, PRESET) == tagged_hash(HashDomain.BLOCK_HEADER, data),
        "HDR-0: the block hash is not the hash of the header bytes",
    )


def fuzz_decode_block(data: bytes) -> None:
    """BLK-0: strict decoding, canonical re-encoding, and stateless checks raising only SpecError."""
    try:
        block = decode_block(data, PRESET)
    except DecodeError:
        return
    _require(encode_block(block, PRESET) == data, "ENC-2: a decoded block re-encodes differently")
    try:
        check_block_shape(block, PRESET)
    except SpecError:
        return
    try:  # issue 14: a block the one pass accepted passes the readable steps too (a fresh copy)
        check_block_shape_readable(decode_block(data, PRESET), PRESET)
    except SpecError as error:
        _require(False, f"check_block_shape accepted what its readable steps reject ({error.code})")


@cache
def _bases() -> tuple[tuple[ChainState, Block, ChainState], ...]:
    """(parent state, block, state after) for a few main-chain blocks of different kinds."""
    main = main_chain(PRESET)
    states, blocks = main.builder.states, main.builder.blocks
    heights = sorted(
        {
            0,
            main.purchase_height,
            main.payment_height,
            main.first_vote_height,
            main.first_vote_height + 1,
            main.second_purchase_height,
        }
    )
    return tuple((states[h], blocks[h], states[h + 1]) for h in heights)


@cache
def _base_encodings() -> tuple[bytes, ...]:
    """The encodings of :func:`_bases`' blocks (computed once: they are the fixtures)."""
    return tuple(encode_block(block, PRESET) for _, block, _ in _bases())


def _mutate(original: bytes, data: bytes) -> bytes:
    """``original`` with ``data[3:]`` XOR-ed in from the offset ``data[1:3]`` names, cut at its end."""
    if len(data) < 3:
        return original
    offset = int.from_bytes(data[1:3], "little") % len(original)
    tail = original[offset:]
    return original[:offset] + xor_over(tail, data[3 : 3 + len(tail)])


def fuzz_apply_block(data: bytes) -> None:
    """HDR-*, BLK-*, POS-*, RWD-*: a mutated valid block on its parent state."""
    if not data:
        return
    bases = _bases()
    choice = data[0] % len(bases)
    parent, original, after = bases[choice]
    original_bytes = _base_encodings()[choice]
    mutated = _mutate(original_bytes, data)
    context = BlockContext(original.header.timestamp)
    try:
        block = decode_block(mutated, PRESET)
        state = apply_block(parent, block, context, PRESET)
    except SpecError as exc:
        _require(mutated != original_bytes, f"a valid main-chain block was rejected: {exc}")
        return
    _require(block.transactions == original.transactions, "a block with a changed body was accepted")
    _require(block.votes == original.votes, "a block with changed votes was accepted")
    unfree = replace(block.header, timestamp=original.header.timestamp, nonce=original.header.nonce)
    _require(unfree == original.header, "a header change other than time/nonce passed")
    _require(state.utxos == after.utxos and state.tickets == after.tickets, "same body, different state")


# --------------------------------------------------------------------------------------------
# chain_plain_spend: the one-pass step 4 against the readable steps
# --------------------------------------------------------------------------------------------

SPEND_HEIGHT = 60
"""The height the spend is validated at (``LedgerContext.height``; well above coinbase maturity)."""
SPEND_MEDIAN_TIME = 1_700_000_000
SELECTOR_BYTES = 8


@cache
def _spend_presets() -> tuple[Preset, ...]:
    """The presets a spend runs under (selector 1, bits 3-4): devnet twice, one whose sigop budget
    is below two inputs, one whose scripts are too short for the 98-byte P2PKH script_sig."""
    return (
        PRESET,
        PRESET,
        replace(PRESET, script=replace(PRESET.script, max_sigops_per_tx=1)),
        replace(PRESET, script=replace(PRESET.script, max_script_bytes=97)),
    )


@cache
def _spend_fixture() -> tuple[Transaction, tuple[TxOutput, TxOutput]]:
    """The ledger harnesses' signed spend of alice's and bob's coins (fee 9,000) and the two
    outputs it spends."""
    utxos, tx, _ = ledger_scenario()
    first, second = (utxos[tx_input.previous_output].output for tx_input in tx.inputs)
    return tx, (first, second)


_LOCK_TIMES = (
    SPEND_HEIGHT - 1,
    SPEND_HEIGHT,
    SPEND_HEIGHT + 1,
    PRESET.ledger.lock_time_threshold - 1,
    PRESET.ledger.lock_time_threshold,
    SPEND_MEDIAN_TIME - 1,
    SPEND_MEDIAN_TIME,
    SPEND_MEDIAN_TIME + 1,
)
_SEQUENCES = (
    0,
    1,
    5,
    SPEND_HEIGHT,
    SEQUENCE_LOCK_TYPE_FLAG | 1,
    SEQUENCE_FINAL - 1,
    SEQUENCE_LOCK_DISABLE_FLAG,
    0xFFFF,
)
_PRICES = (1_000, 999, 1, 10**8)
_RELEASED = (0, 1, 9_000, 10**9, PRESET.ledger.max_money, PRESET.ledger.max_money + 1)


def _entry_value(selector: int, value: int) -> int:
    """Selector 1, bits 5-7: the spent entry 0's value kept, or one at or around ``max_money``."""
    max_money = PRESET.ledger.max_money
    return (value, value, value, value, max_money, max_money + 1, 0, max_money - 1)[selector]


def _entry_script(selector: int, script: bytes) -> bytes:
    """Selector 3, high nibble: the spent entry 0's script kept, or one that is not its P2PKH."""
    if selector < 12:
        return script
    return (script + b"\x51", b"\x51", script[:-2] + bytes([script[-2] ^ 1]) + script[-1:], b"")[
        selector - 12
    ]


def _odd_outputs(selector: int, outputs: tuple[TxOutput, ...], price: int) -> tuple[TxOutput, ...]:
    """Selector 3, low nibble: the outputs kept, or the last one replaced by a ticket (at the
    price or not), an ``OP_RETURN`` carrier, a script that is not P2PKH, removed, or one added."""
    if selector < 6 or not outputs:
        return outputs
    head, last = outputs[:-1], outputs[-1]
    script = last.script_pubkey
    replaced = {
        6: TxOutput(price, ticket_script(bytes(32), bytes(32))),
        7: TxOutput(price + 1, ticket_script(bytes(32), bytes(32))),
        8: TxOutput(0, b"\x6a\x01\x00"),
        9: replace(last, script_pubkey=script + b"\x51"),
        10: replace(last, script_pubkey=script[:-1] + bytes([script[-1] ^ 1])),
        11: replace(last, script_pubkey=b""),
        12: replace(last, script_pubkey=bytes([script[0] ^ 1]) + script[1:]),
        13: replace(last, script_pubkey=b"\x51"),
    }
    if selector in replaced:
        return (*head, replaced[selector])
    return head if selector == 14 else (*outputs, replace(last, value=1))


def _shaped(tx: Transaction, selectors: bytes) -> Transaction:
    """The fixture spend reshaped by selectors 3 to 6: outputs, lock time, sequences, inputs."""
    outputs = _odd_outputs(selectors[3] & 0x0F, tx.outputs, _PRICES[selectors[7] % len(_PRICES)])
    lock_time = _LOCK_TIMES[selectors[4] & 7] if selectors[4] & 0x80 else tx.lock_time
    inputs = list(tx.inputs)
    for index, nibble in enumerate((selectors[5] & 0x0F, selectors[5] >> 4)):
        if nibble >= 8:
            inputs[index] = replace(inputs[index], sequence=_SEQUENCES[nibble - 8])
    shape = selectors[6] % 8
    if shape == 4:  # a coinbase's shape: one input, the null outpoint
        inputs = [replace(inputs[0], previous_output=NULL_OUTPOINT)]
    elif shape == 5:  # the null outpoint beside another input
        inputs[1] = replace(inputs[1], previous_output=NULL_OUTPOINT)
    elif shape == 6:  # an input spent twice
        inputs.append(inputs[0])
    elif shape == 7:  # only alice's coin
        inputs.pop()
    return Transaction(tx.version, tuple(inputs), outputs, lock_time)


def _signed(
    tx: Transaction, utxos: dict[OutPoint, UtxoEntry], spent: tuple[TxOutput, TxOutput]
) -> Transaction:
    """``tx`` signed again: alice signs input 0, bob every other (over the output each spends,
    or the fixture's output where the input names no entry)."""
    alice, bob = key("alice"), key("bob")
    outputs = []
    for index, tx_input in enumerate(tx.inputs):
        entry = utxos.get(tx_input.previous_output)
        outputs.append(entry.output if entry is not None else spent[min(index, 1)])
    signers = [alice if index == 0 else bob for index in range(len(tx.inputs))]
    return sign_transaction(tx, outputs, signers, PRESET)


def _copy(tx: Transaction) -> Transaction:
    """A copy of ``tx`` built from its fields: no memo of any kind (ids, TX-1..6 passed)."""
    return Transaction(
        tx.version,
        tuple(TxInput(i.previous_output, i.script_sig, i.sequence) for i in tx.inputs),
        tuple(TxOutput(o.value, o.script_pubkey) for o in tx.outputs),
        tx.lock_time,
    )


def fuzz_plain_spend(data: bytes) -> None:
    """Issue 14's one-pass step 4 (``plain_spend``) against TX-1..12, POS-1/2 and UTXO-1.

    Selector bytes (missing ones are 0; all 0 is the genuine spend, checked and answered):

    0. bits 0-1: TX-1..6 run first under the spend's preset (0), an equal copy of it (1), another
       preset (2), or not at all (3); bit 2: keep the XOR-ed script_sigs instead of signing
       again; bit 3: input 0 is a pooled ticket; bit 4: the last input is a ticket bought earlier
       in the block; bits 6, 7: the spent entry 0, 1 is a coinbase output.
    1. bits 0-2: the spent entries' height, around coinbase maturity; bits 3-4: the preset;
       bits 5-7: entry 0's value (kept, or at and around ``max_money``).
    2. the escrow value released to the transaction (SC-PEG-4), from a table.
    3. low nibble: the last output (kept, a ticket at the price or not, ``OP_RETURN``, not
       P2PKH, removed, one more); high nibble: entry 0's script (kept, or not P2PKH).
    4. bit 7: the lock time from a table around the height, the threshold and the median time.
    5. each nibble >= 8: input 0's, input 1's sequence from a table (relative locks on and off).
    6. mod 8: a coinbase's shape, the null outpoint beside an input, an input twice, one input.
    7. the ticket price (POS-1) from a table.
    """
    selectors = data[:SELECTOR_BYTES].ljust(SELECTOR_BYTES, b"\x00")
    flags = selectors[0]
    genuine, spent = _spend_fixture()
    presets = _spend_presets()
    preset_index = (selectors[1] >> 3) & 3
    preset = presets[preset_index]
    maturity = PRESET.ledger.coinbase_maturity
    entry_height = SPEND_HEIGHT - maturity + (selectors[1] & 7) - 4
    utxos = {
        tx_input.previous_output: UtxoEntry(output, entry_height, bool(flags & (0x40 << index)))
        for index, (tx_input, output) in enumerate(zip(genuine.inputs, spent, strict=True))
    }
    first = genuine.inputs[0].previous_output
    entry = utxos[first]
    output = TxOutput(
        _entry_value(selectors[1] >> 5, entry.output.value),
        _entry_script(selectors[3] >> 4, entry.output.script_pubkey),
    )
    utxos[first] = replace(entry, output=output)
    shaped = _shaped(genuine, selectors)
    keep_signatures = bool(flags & 0x04)
    if keep_signatures:  # the XOR reaches the script_sigs
        shaped = _signed(shaped, utxos, spent)
    else:  # the XOR reaches the other fields, signed afterwards
        shaped = replace(shaped, inputs=tuple(replace(i, script_sig=b"") for i in shaped.inputs))
    try:
        tx = decode_transaction(xor_over(encode_transaction(shaped, PRESET), data[SELECTOR_BYTES:]), PRESET)
    except DecodeError:
        return
    if not keep_signatures:
        tx = _signed(tx, utxos, spent)
    pool = {first: Ticket(first, 1, bytes(32), bytes(32))} if flags & 0x08 else {}
    bought = {tx.inputs[-1].previous_output} if flags & 0x10 and tx.inputs else set()
    released = _RELEASED[selectors[2] % len(_RELEASED)]
    price = _PRICES[selectors[7] % len(_PRICES)]
    context = LedgerContext(SPEND_HEIGHT, SPEND_MEDIAN_TIME)

    fast_tx, readable_tx = _copy(tx), _copy(tx)
    check_mode = flags & 3
    if check_mode != 3:
        other = presets[2] if preset is PRESET else PRESET
        checked_under = (preset, replace(preset), other)[check_mode]
        with contextlib.suppress(SpecError):  # TX-1..6 failed: not checked, plain_spend declines
            check_transaction(fast_tx, checked_under)
    try:
        fast = plain_spend(fast_tx, utxos, pool, bought, context, preset, released)
    except SpecError as exc:
        raise ChainInvariantViolation(f"plain_spend raised {exc.code} instead of declining") from exc
    if not any(data):
        _require(fast is not None, "plain_spend declined the genuine plain spend")
    try:
        check_ticket_locks(readable_tx, pool, bought)
        fee = validate_transaction(readable_tx, utxos, context, preset, released)
        purchases = ticket_purchases(readable_tx, SPEND_HEIGHT, price, preset)
        created = created_entries(readable_tx, SPEND_HEIGHT, preset)
    except SpecError as exc:
        _require(fast is None, f"plain_spend answered a transaction the readable steps reject ({exc.code})")
        return
    if fast is None:
        return
    _require(is_checked(fast_tx, preset), "plain_spend answered a transaction not checked under its preset")
    _require(fast[0] == fee, f"plain_spend's fee {fast[0]} is not the readable fee {fee}")
    _require(not purchases, "plain_spend answered a transaction that buys a ticket")
    _require(fast[1] == created, "plain_spend's created entries are not UTXO-1's")


CHAIN_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "chain_decode_header": fuzz_decode_header,
    "chain_decode_block": fuzz_decode_block,
    "chain_apply_block": fuzz_apply_block,
    "chain_plain_spend": fuzz_plain_spend,
}
"""The chain harnesses by corpus name (``fuzz/corpora/<name>/``)."""


def chain_seeds() -> dict[str, dict[str, bytes]]:
    """Seed inputs per harness: the main chain's blocks and headers, and unmutated selectors."""
    bases = _bases()
    blocks = {f"seed-block-{b.header.height}": encode_block(b, PRESET) for _, b, _ in bases}
    headers = {f"seed-header-{b.header.height}": encode_header(b.header, PRESET) for _, b, _ in bases}
    apply = {f"seed-apply-{i}": bytes([i, 0, 0]) for i in range(len(bases))}
    apply["seed-apply-nonce"] = (
        bytes([0]) + (len(encode_header(bases[0][1].header, PRESET)) - 8).to_bytes(2, "little") + b"\x01"
    )
    return {
        "chain_decode_header": headers,
        "chain_decode_block": blocks,
        "chain_apply_block": apply,
        "chain_plain_spend": plain_spend_seeds(),
    }


def _selectors(**named: int) -> bytes:
    """Selector bytes by position name (``flags``, ``entries``, ``released``, ``outputs``,
    ``lock``, ``sequences``, ``shape``, ``price``), the others 0."""
    names = ("flags", "entries", "released", "outputs", "lock", "sequences", "shape", "price")
    return bytes(named.get(name, 0) for name in names)


def plain_spend_seeds() -> dict[str, bytes]:
    """``chain_plain_spend`` seeds: the genuine spend, and one per way the fast path must decline
    (or the readable steps reject), each a single selector away from it."""
    seeds = {
        "seed-genuine": b"",
        "seed-checked-under-a-copy": _selectors(flags=1),
        "seed-checked-under-another-preset": _selectors(flags=2),
        "seed-unchecked": _selectors(flags=3),
        "seed-pooled-ticket": _selectors(flags=0x08),
        "seed-bought-here": _selectors(flags=0x10),
        "seed-immature-coinbase": _selectors(flags=0x40, entries=7),
        "seed-mature-coinbase": _selectors(flags=0xC0),
        "seed-sigop-budget": _selectors(entries=2 << 3),
        "seed-short-scripts": _selectors(entries=3 << 3),
        "seed-entry-above-max-money": _selectors(entries=5 << 5),
        "seed-released": _selectors(released=2),
        "seed-released-above-max-money": _selectors(released=5),
        "seed-ticket-at-price": _selectors(outputs=6),
        "seed-ticket-off-price": _selectors(outputs=7),
        "seed-op-return": _selectors(outputs=8),
        "seed-entry-not-p2pkh": _selectors(outputs=12 << 4),
        "seed-lock-time-reached": _selectors(lock=0x80),
        "seed-lock-time-at-height-final": _selectors(lock=0x81),
        "seed-lock-time-not-reached": _selectors(lock=0x81, sequences=0xDD),
        "seed-relative-lock": _selectors(sequences=0x0A),
        "seed-time-relative-lock": _selectors(sequences=0x0C),
        "seed-coinbase-shape": _selectors(shape=4),
        "seed-duplicate-input": _selectors(shape=6),
        "seed-flipped-signature": _selectors(flags=0x04) + bytes(60) + b"\x80",
        "seed-lower-value": _selectors() + bytes(90) + b"\x02",  # output 0's value at offset 88
        "seed-higher-value": _selectors() + bytes(90) + b"\x10",
    }
    return seeds
