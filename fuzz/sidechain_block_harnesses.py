"""Fuzz harnesses of the FerrisScript sidechain VM (spec/vm/ferris.py) and the VM witness format
(spec/vm/interface.py), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`SidechainInvariantViolation`.

Invariants checked:

* ``vm_ferris_decode_transaction``: only ``DECODE_*`` and ``VM_FERRIS_*`` codes reject; an accepted
  transaction re-encodes to the input (VMF-2). The accepted transaction is then executed on a small
  fixed state: only VM codes reject, an outcome's post-root is 32 bytes, a FAILED outcome has no
  outbox entry, and the fee is the declared one.
* ``vm_witness_decode``: only ``DECODE_*`` and ``VM_WITNESS_NOT_CANONICAL`` reject; an accepted
  witness re-encodes to the input (VM-4) and its preimages are sorted by hash without repeats.
  The witness is then used as the node source of a fixed transfer's stateless execution: it
  either raises a VM code or a ``TRIE_DECODE_*`` code (a preimage reached by hash that is not a
  node), or gives exactly the full execution's outcome (VM-2: a witness cannot change a result).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

from spec.encoding import encode
from spec.errors import DecodeError, SpecError, TrieDecodeError, VmError
from spec.presets import MAINNET
from spec.trie import Trie
from spec.vm.ferris import (
    ACCOUNT_CODEC,
    HASHER,
    Account,
    FerrisTransaction,
    account_key,
    apply_transaction,
    compute_account_id,
    decode_transaction,
    encode_transaction,
    p2pkh_locking_script,
    sign_transaction,
)
from spec.vm.interface import (
    ExecutionContext,
    StateWitness,
    TxOutcome,
    TxStatus,
    decode_witness,
    encode_witness,
    record_witness,
    witness_nodes,
)

PRESET = MAINNET
CONTEXT = ExecutionContext(7, 5, 1000, b"", PRESET.vm_ferris.max_tx_gas)
APPLY = partial(apply_transaction, PRESET)
_SEEDS = tuple(bytes([i + 1]) * 32 for i in range(4))


class SidechainInvariantViolation(AssertionError):
    """A sidechain VM function accepted or rejected an input in a way its rules forbid."""


@cache
def _state() -> Trie:
    items = {
        account_key(compute_account_id(p2pkh_locking_script(seed))): encode(ACCOUNT_CODEC, Account(10**6, 0))
        for seed in _SEEDS
    }
    return Trie.from_items(items, HASHER)


@cache
def _transfer() -> bytes:
    lock = p2pkh_locking_script(_SEEDS[0])
    recipient = compute_account_id(p2pkh_locking_script(_SEEDS[1]))
    tx = FerrisTransaction(0, 7, 0, 5000, 1234, 0, recipient, b"", lock, b"")
    return encode_transaction(sign_transaction(tx, _SEEDS[0]))


@cache
def _full_outcome() -> TxOutcome:
    state = _state()
    return APPLY(state.node_store, state.root_hash, _transfer(), CONTEXT)[0]


def fuzz_vm_ferris_decode_transaction(data: bytes) -> None:
    """VMF-2 decoding, then VMF-3..7 execution (see the module docstring)."""
    try:
        tx = decode_transaction(data, PRESET.vm_ferris)
    except (DecodeError, VmError):
        return
    if encode_transaction(tx) != data:
        raise SidechainInvariantViolation("an accepted transaction does not re-encode to its input")
    state = _state()
    try:
        outcome, _ = APPLY(state.node_store, state.root_hash, data, CONTEXT)
    except VmError:
        return
    if len(outcome.post_root) != 32 or outcome.fee != tx.fee:
        raise SidechainInvariantViolation("an outcome with a bad root or fee")
    if outcome.status == TxStatus.FAILED and outcome.outbox:
        raise SidechainInvariantViolation("a FAILED transaction emitted outbox entries (VM-5)")


def fuzz_vm_witness_decode(data: bytes) -> None:
    """VM-4 decoding, then VM-2 stateless execution over the witness (see the module docstring)."""
    try:
        witness = decode_witness(data, HASHER)
    except (DecodeError, VmError):
        return
    if encode_witness(witness) != data:
        raise SidechainInvariantViolation("an accepted witness does not re-encode to its input")
    digests = [HASHER.digest(item) for item in witness.preimages]
    if digests != sorted(set(digests)):
        raise SidechainInvariantViolation("an accepted witness is not sorted by hash")
    state = _state()
    try:
        outcome, _ = APPLY(witness_nodes(witness, HASHER), state.root_hash, _transfer(), CONTEXT)
    except (VmError, TrieDecodeError):
        return
    except SpecError as error:
        raise SidechainInvariantViolation(f"stateless execution raised {error.code}") from None
    if outcome != _full_outcome():
        raise SidechainInvariantViolation("a witness changed the outcome of execution (VM-2)")


SIDECHAIN_BLOCK_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "vm_ferris_decode_transaction": fuzz_vm_ferris_decode_transaction,
    "vm_witness_decode": fuzz_vm_witness_decode,
}


def sidechain_block_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: a transfer, a withdrawal, a message; the transfer's witness, a partial one, the empty one."""
    lock = p2pkh_locking_script(_SEEDS[0])
    withdraw = FerrisTransaction(1, 7, 0, 5000, 50, 0, b"\x51" * 25, b"", lock, b"")
    message = FerrisTransaction(2, 7, 0, 5000, 50, 8, b"r" * 20, b"hello", lock, b"")
    state = _state()
    witness = record_witness(
        apply_transaction, PRESET, state.node_store, state.root_hash, _transfer(), CONTEXT
    )
    return {
        "vm_ferris_decode_transaction": {
            "seed-transfer": _transfer(),
            "seed-withdraw": encode_transaction(sign_transaction(withdraw, _SEEDS[0])),
            "seed-message": encode_transaction(sign_transaction(message, _SEEDS[0])),
        },
        "vm_witness_decode": {
            "seed-transfer": encode_witness(witness),
            "seed-partial": encode_witness(StateWitness(witness.preimages[1:])),
            "seed-empty": encode_witness(StateWitness(())),
        },
    }
