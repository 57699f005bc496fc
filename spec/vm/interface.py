"""The execution interface every sidechain VM implements (rules VM-1..VM-6, docs/vm.md).

A sidechain (docs/sidechains.md) names a VM kind. Its block transition and the fraud-proof
one-step verifier both execute a transaction through the *same* call:

    apply_transaction(preset, nodes, pre_root, tx, context) -> (outcome, new_nodes)

``preset`` is the network's :class:`~spec.presets.Preset`: each VM reads its own parameter block
(``preset.evm``, ``preset.vm_ferris``, ``preset.vm_wasm``) from it, so a devnet sidechain and a
mainnet one execute under their own limits through one signature (no VM falls back to a default).

* **VM-1** state lives in one Merkle Patricia Trie per sidechain (spec/trie.py) under the VM
  kind's hasher (:func:`state_hasher`): keccak-256 for EVM (so roots equal Ethereum's),
  the Rusty ``TRIE_NODE`` hasher for FerrisScript and WASM. Each VM module documents its key layout.
* **VM-2** a VM reads state only through ``nodes``: a mapping from a 32-byte hash to its preimage
  (a trie node's RLP, or a contract's code). Full execution passes the sidechain's whole node store;
  stateless execution passes the nodes of a :class:`StateWitness`. Reading a hash that ``nodes``
  does not hold raises ``VM_WITNESS_INCOMPLETE``; nothing else differs, so a complete witness gives
  exactly the post-state root of full execution.
* **VM-3** a VM returns :class:`TxOutcome` and the preimages it created (``new_nodes``, sorted by
  hash); it never mutates its inputs. A transaction that is *invalid* (bad signature, nonce, fee
  it cannot pay, undecodable) raises a ``VM_*`` code (:class:`~spec.errors.VmError`) and changes nothing; a
  *valid* transaction that fails during execution (revert, out of gas/fuel, trap) is included with
  ``status = FAILED``, its state changes undone but its fee charged.
* **VM-4** a witness is canonical: at most ``MAX_WITNESS_ITEMS`` preimages of at most
  ``MAX_WITNESS_ITEM_BYTES`` each (decode limits, ``DECODE_LENGTH_LIMIT``), then sorted by their
  hash with no duplicates (``VM_WITNESS_NOT_CANONICAL``).
* **VM-5** a transaction's outbox entries (withdrawals to the mainchain, messages to another
  sidechain) are returned in emission order and are empty when ``status = FAILED``; each names its
  ``sender``, the account that emitted it (encoded last in :data:`OUTBOX_ENTRY_CODEC`).
* **VM-6** :func:`record_witness` defines *the* witness of a transaction: exactly the preimages
  the full execution read, so stateless execution over it reproduces the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from spec.encoding import FixedBytes, ListOf, Struct, UInt, VarBytes, Varint, decode, encode
from spec.errors import WitnessIncomplete, WitnessNotCanonical
from spec.presets import Preset
from spec.trie import ETHEREUM_TRIE_HASHER, RUSTY_TRIE_HASHER, TrieHasher

MAX_WITNESS_ITEMS = 1 << 16
MAX_WITNESS_ITEM_BYTES = 1 << 17


class VmKind(IntEnum):
    """The VM kinds a sidechain can name (registry field ``vm_kind``)."""

    FERRIS = 0
    EVM = 1
    WASM = 2


class TxStatus(IntEnum):
    """VM-3: how an included transaction ended."""

    FAILED = 0
    SUCCEEDED = 1


class OutboxKind(IntEnum):
    """VM-5: what an outbox entry asks of the mainchain."""

    WITHDRAWAL = 0
    MESSAGE = 1


def state_hasher(kind: VmKind) -> TrieHasher:
    """VM-1: the trie hasher of a VM kind's state."""
    return ETHEREUM_TRIE_HASHER if kind is VmKind.EVM else RUSTY_TRIE_HASHER


@dataclass(frozen=True)
class ExecutionContext:
    """What a transaction may read of its block besides state (VM-2)."""

    sidechain_id: int
    height: int
    timestamp: int
    fee_recipient: bytes
    gas_limit: int


@dataclass(frozen=True)
class OutboxEntry:
    """VM-5: a withdrawal (``target_chain = 0``, the mainchain) or a message to sidechain ``target_chain``.

    ``sender`` is the source-chain account that emitted it, in the source VM's format (FerrisScript
    account id, EVM ``CALLER`` of the withdrawal address, WASM contract address); ``b""`` only for an
    SCB-2 refund entry, which no account emitted. The mainchain copies it into the relayed
    :class:`~spec.sidechain.header.InboundMessage` and pays a bounce back to it (SC-MSG-1, SC-MSG-4).
    """

    kind: int
    target_chain: int
    recipient: bytes
    amount: int
    payload: bytes
    sender: bytes = b""


@dataclass(frozen=True)
class TxOutcome:
    """VM-3: the result of one included transaction."""

    post_root: bytes
    status: int
    gas_used: int
    fee: int
    events: tuple[bytes, ...]
    outbox: tuple[OutboxEntry, ...]


@dataclass(frozen=True)
class StateWitness:
    """VM-4: the preimages (trie nodes and code) one stateless execution may read."""

    preimages: tuple[bytes, ...]


OUTBOX_ENTRY_CODEC: Struct[OutboxEntry] = Struct(
    OutboxEntry,
    (
        ("kind", UInt(1)),
        ("target_chain", Varint()),
        ("recipient", VarBytes(64)),
        ("amount", Varint()),
        ("payload", VarBytes(1 << 16)),
        ("sender", VarBytes(64)),
    ),
)
WITNESS_CODEC: Struct[StateWitness] = Struct(
    StateWitness, (("preimages", ListOf(VarBytes(MAX_WITNESS_ITEM_BYTES), MAX_WITNESS_ITEMS)),)
)
HASH_CODEC = FixedBytes(32)


def check_witness(witness: StateWitness, hasher: TrieHasher) -> None:
    """VM-4: raise ``VM_WITNESS_NOT_CANONICAL`` unless the preimages are sorted by hash and unique."""
    previous = b""
    for item in witness.preimages:
        digest = hasher.digest(item)
        if digest <= previous:
            raise WitnessNotCanonical(f"preimage {digest.hex()} out of order or repeated")
        previous = digest


def decode_witness(data: bytes, hasher: TrieHasher) -> StateWitness:
    """VM-4: the canonical witness encoded by ``data`` (a ``DECODE_*`` or VM-4 code otherwise)."""
    witness = decode(WITNESS_CODEC, data)
    check_witness(witness, hasher)
    return witness


def encode_witness(witness: StateWitness) -> bytes:
    """VM-4: the canonical encoding of ``witness``."""
    return encode(WITNESS_CODEC, witness)


def witness_nodes(witness: StateWitness, hasher: TrieHasher) -> Mapping[bytes, bytes]:
    """VM-2: the node source of a stateless execution."""
    return {hasher.digest(item): item for item in witness.preimages}


class RecordingNodes(Mapping[bytes, bytes]):
    """VM-6: a node source that remembers every hash read, to build the witness."""

    def __init__(self, nodes: Mapping[bytes, bytes]) -> None:
        self._nodes = nodes
        self.read: dict[bytes, bytes] = {}

    def __getitem__(self, key: bytes) -> bytes:
        value = self._nodes.get(key)
        if value is None:
            raise WitnessIncomplete(f"no preimage of {key.hex()}")
        self.read[key] = value
        return value

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


ApplyTransaction = Callable[
    [Preset, Mapping[bytes, bytes], bytes, bytes, ExecutionContext],
    tuple[TxOutcome, tuple[tuple[bytes, bytes], ...]],
]


def record_witness(
    apply: ApplyTransaction,
    preset: Preset,
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    tx: bytes,
    context: ExecutionContext,
) -> StateWitness:
    """VM-6: the witness of ``tx`` under ``preset``: the preimages its full execution read, sorted by hash."""
    recording = RecordingNodes(nodes)
    apply(preset, recording, pre_root, tx, context)
    return StateWitness(tuple(recording.read[h] for h in sorted(recording.read)))
