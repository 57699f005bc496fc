"""The WASM sidechain VM (rules VMW-1..VMW-10, docs/vm.md#wasm), behind the VM interface (VM-1..6).

Contracts are WebAssembly modules run by wasmtime with fuel metering as gas.

* **VMW-1 state layout.** One Rusty trie (``RUSTY_TRIE_HASHER``, VM-1) holds
  ``0x00 || address`` -> the account record ``(nonce: varint, balance: varint, code_hash: bytes)``
  (``code_hash`` empty for a key-held account, 32 bytes for a contract) and
  ``0x01 || address || key`` -> a contract's storage value (non-empty). An account whose nonce and
  balance are 0 and that holds no code is absent. A contract's module is not in the trie: it is the
  preimage of ``code_hash = H_trie(module)`` in the node source (VM-2), so a witness carries it.
  An address is 32 bytes: a key-held account's address is its Ed25519 public key.
* **VMW-2 transaction.** ``kind: u8`` (0 transfer, 1 deploy, 2 call), ``sender: 32``, ``nonce``,
  ``fuel_limit``, ``fuel_price``, ``value`` (varints), ``to: bytes``, ``data: bytes``,
  ``signature: 64`` (:data:`TRANSACTION_CODEC`). A transfer and a call name a 32-byte ``to``, a
  deploy none; a transfer carries no data, a call at most ``max_call_data_bytes``, a deploy its
  module; ``value`` is at most ``2**63 - 1`` (the host API's ``i64``). Otherwise
  ``VM_WASM_MALFORMED_TRANSACTION``.
* **VMW-3 validity** (first failure wins; an invalid transaction changes nothing, VM-3):
  (a) the signature verifies (strict Ed25519) over
  ``tagged_hash(WASM_TRANSACTION, varint(sidechain_id) || encoding without the signature)``
  (``VM_WASM_BAD_SIGNATURE``); (b) ``nonce`` equals the sender's (``VM_WASM_BAD_NONCE``);
  (c) ``intrinsic <= fuel_limit <= context.gas_limit`` (``VM_WASM_FUEL_LIMIT``); (d) the sender's
  balance covers ``value + fuel_limit * fuel_price`` (``VM_WASM_INSUFFICIENT_FUNDS``);
  (e) a deploy's module passes VMW-4, a call's ``to`` holds code (``VM_WASM_NOT_A_CONTRACT``).
* **VMW-4 deploy-time module validation**, in order: (a) at most ``max_code_bytes``
  (``VM_WASM_CODE_TOO_LARGE``) and valid WebAssembly under the deterministic feature set of VMW-5:
  SIMD, relaxed SIMD, threads, shared memory, memory64, multi-memory, GC and exceptions are off
  (``VM_WASM_INVALID_MODULE``); (b) no start section (``VM_WASM_START_FUNCTION``: code would run
  at instantiation, outside a metered entry point); (c) every import is a host API function of
  :data:`HOST_API` with its exact signature (``VM_WASM_FORBIDDEN_IMPORT``): no WASI, no clock, no
  randomness, no imported memory, table or global; (d) one memory of at most ``max_memory_pages``
  initial pages (``VM_WASM_MEMORY_BOUND``), at most one table of at most ``max_table_elements``
  initial elements (``VM_WASM_TABLE_BOUND``); (e) exports ``memory`` (a memory) and
  ``call: [] -> []``, and ``init`` if present is ``[] -> []`` (``VM_WASM_MISSING_EXPORT``).
  Floats are allowed: with NaN canonicalisation they are deterministic.
* **VMW-5 deterministic engine.** wasmtime with fuel, NaN canonicalisation, no SIMD or threads, a
  fixed ``max_wasm_stack`` (``max_wasm_stack_bytes``), and store limits of ``max_memory_pages``
  pages and ``max_table_elements`` elements, so ``memory.grow``/``table.grow`` beyond them return
  ``-1`` on every node.
* **VMW-6 execution.** The sender's nonce is incremented. Then, in a journal: ``value`` moves from
  the sender to ``to`` (a transfer ends here); a deploy creates the contract at
  ``tagged_hash(WASM_CONTRACT_ADDRESS, sender || varint(nonce))`` with its code hash and runs
  its ``init`` export if any; a call runs ``call``. A trap, an ``abort``, a failed host call or
  running out of fuel is ``FAILED``: the journal (value, storage, transfers, events, outbox) is
  dropped. Success keeps it.
* **VMW-7 fuel.** ``intrinsic = tx_base_fuel (+ deploy_fuel_per_byte * len(module))``. Execution
  gets ``fuel_limit - intrinsic`` of wasmtime fuel (wasmtime 50's count: one unit per operator,
  ``nop``/``drop``/block markers free); each host call costs ``host_call_fuel`` plus
  ``host_byte_fuel`` per byte it moves, ``storage_set`` ``storage_write_fuel`` more. ``gas_used`` is
  the fuel consumed (``fuel_limit`` when it runs out), never more than ``fuel_limit`` and never
  negative; the fee ``gas_used * fuel_price`` moves from the sender to ``context.fee_recipient``
  whether the transaction succeeded or failed.
* **VMW-8 host API** (module ``env``; pointers and lengths are ``i32`` read unsigned, an access
  outside memory traps): ``storage_get(kp, kl, op, oc) -> i32`` (value length or -1; copies at most
  ``oc`` bytes), ``storage_set(kp, kl, vp, vl)`` (``vl = 0`` deletes), ``caller(op)`` /
  ``address(op)`` (32 bytes: the transaction sender, the running contract), ``value() -> i64``,
  ``input_len() -> i32``, ``input_read(op)``, ``transfer(ap, amount: i64)`` (from the contract),
  ``emit(p, l)`` (event ``address || data``), ``hash(p, l, op)`` (``tagged_hash(WASM_HOST_HASH,
  data)``), ``abort(p, l)`` (fail), ``withdraw(rp, rl, amount: i64)`` (burn from the contract, a
  ``WITHDRAWAL`` outbox entry to the mainchain), ``send_message(chain: i64, rp, rl, pp, pl)`` (a
  ``MESSAGE`` outbox entry); both entries name the running contract as their ``sender`` (VM-5: the
  account whose balance a bounce credits). Keys, values and events are bounded by the preset; a
  bound exceeded, a negative amount or a balance too small traps.
* **VMW-9 outputs.** :class:`~spec.vm.interface.TxOutcome` and the preimages created: the trie
  nodes the new root stores that the old one did not, and a deployed module, sorted by hash (VM-3).
* **VMW-10 deposits.** A peg-in (SC-HDR-5, :func:`apply_deposit`) credits ``amount`` to the
  32-byte ``recipient``'s balance, creating a key-held account if absent and keeping a contract's
  nonce and code hash (:func:`credit_deposit`): the new root and the trie nodes it created, or
  ``None`` when the recipient cannot accept it (not 32 bytes, or a balance above ``max_money``),
  as FerrisScript's VMF-8, so the sidechain block refunds it (SCB-2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import wasmtime

from spec.crypto import ed25519
from spec.encoding import FixedBytes, Struct, UInt, VarBytes, Varint, decode, encode, varint_encode
from spec.errors import (
    WasmBadNonce,
    WasmBadSignature,
    WasmCodeTooLarge,
    WasmForbiddenImport,
    WasmFuelLimit,
    WasmInsufficientFunds,
    WasmInvalidModule,
    WasmMalformedTransaction,
    WasmMemoryBound,
    WasmMissingExport,
    WasmNotAContract,
    WasmStartFunction,
    WasmTableBound,
    WitnessIncomplete,
)
from spec.hashing import HashDomain, tagged_hash
from spec.presets import Preset, WasmVmParams
from spec.sidechain.header import Deposit
from spec.trie import RUSTY_TRIE_HASHER, Trie, stored_node_changes
from spec.vm.interface import ExecutionContext, OutboxEntry, OutboxKind, TxOutcome, TxStatus

ADDRESS_BYTES = 32
MAX_AMOUNT = (1 << 63) - 1
"""VMW-2: amounts the host API's ``i64`` carries."""
MAX_DATA_DECODE_BYTES = 1 << 17
"""VMW-2: the decode bound of ``data`` (the preset bounds are checked after decoding)."""
ACCOUNT_PREFIX = b"\x00"
STORAGE_PREFIX = b"\x01"
MAX_RECIPIENT_BYTES = 64


class TxKind:
    """VMW-2: transaction kinds."""

    TRANSFER = 0
    DEPLOY = 1
    CALL = 2


@dataclass(frozen=True)
class WasmTransaction:
    """VMW-2: a WASM sidechain transaction."""

    kind: int
    sender: bytes
    nonce: int
    fuel_limit: int
    fuel_price: int
    value: int
    to: bytes
    data: bytes
    signature: bytes


TRANSACTION_CODEC: Struct[WasmTransaction] = Struct(
    WasmTransaction,
    (
        ("kind", UInt(1)),
        ("sender", FixedBytes(ADDRESS_BYTES)),
        ("nonce", Varint()),
        ("fuel_limit", Varint()),
        ("fuel_price", Varint()),
        ("value", Varint()),
        ("to", VarBytes(ADDRESS_BYTES)),
        ("data", VarBytes(MAX_DATA_DECODE_BYTES)),
        ("signature", FixedBytes(64)),
    ),
)


@dataclass(frozen=True)
class Account:
    """VMW-1: an account record."""

    nonce: int
    balance: int
    code_hash: bytes


ACCOUNT_CODEC: Struct[Account] = Struct(
    Account, (("nonce", Varint()), ("balance", Varint()), ("code_hash", VarBytes(32)))
)
EMPTY_ACCOUNT = Account(0, 0, b"")

_I32 = "i32"
_I64 = "i64"
HOST_API: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "storage_get": ((_I32, _I32, _I32, _I32), (_I32,)),
    "storage_set": ((_I32, _I32, _I32, _I32), ()),
    "caller": ((_I32,), ()),
    "address": ((_I32,), ()),
    "value": ((), (_I64,)),
    "input_len": ((), (_I32,)),
    "input_read": ((_I32,), ()),
    "transfer": ((_I32, _I64), ()),
    "emit": ((_I32, _I32), ()),
    "hash": ((_I32, _I32, _I32), ()),
    "abort": ((_I32, _I32), ()),
    "withdraw": ((_I32, _I32, _I64), ()),
    "send_message": ((_I64, _I32, _I32, _I32, _I32), ()),
}
"""VMW-8: every function a module may import from module ``env``: ``name -> (params, results)``."""
HOST_MODULE = "env"


# --------------------------------------------------------------------------------------------
# VMW-2: transactions
# --------------------------------------------------------------------------------------------


def decode_transaction(data: bytes, params: WasmVmParams) -> WasmTransaction:
    """VMW-2: the transaction encoded by ``data`` (``DECODE_*`` or ``VM_WASM_MALFORMED_TRANSACTION``)."""
    tx = decode(TRANSACTION_CODEC, data)
    check_transaction_shape(tx, params)
    return tx


def check_transaction_shape(tx: WasmTransaction, params: WasmVmParams) -> None:
    """VMW-2: raise ``VM_WASM_MALFORMED_TRANSACTION`` unless the fields fit the kind."""
    if tx.kind not in (TxKind.TRANSFER, TxKind.DEPLOY, TxKind.CALL):
        raise WasmMalformedTransaction(f"unknown kind {tx.kind}")
    if tx.value > MAX_AMOUNT:
        raise WasmMalformedTransaction("value above 2**63 - 1")
    if tx.kind == TxKind.DEPLOY:
        if tx.to:
            raise WasmMalformedTransaction("a deploy names no destination")
        if not tx.data:
            raise WasmMalformedTransaction("a deploy carries a module")
        return
    if len(tx.to) != ADDRESS_BYTES:
        raise WasmMalformedTransaction("the destination is not a 32-byte address")
    if tx.kind == TxKind.TRANSFER and tx.data:
        raise WasmMalformedTransaction("a transfer carries no data")
    if len(tx.data) > params.max_call_data_bytes:
        raise WasmMalformedTransaction("call data above max_call_data_bytes")


def encode_transaction(tx: WasmTransaction) -> bytes:
    """VMW-2: the canonical encoding of ``tx``."""
    return encode(TRANSACTION_CODEC, tx)


def compute_signing_message(tx: WasmTransaction, sidechain_id: int) -> bytes:
    """VMW-3a: ``tagged_hash(WASM_TRANSACTION, varint(sidechain_id) || encoding without the signature)``."""
    unsigned = encode_transaction(tx)[:-64]
    return tagged_hash(HashDomain.WASM_TRANSACTION, varint_encode(sidechain_id) + unsigned)


def sign_transaction(tx: WasmTransaction, seed: bytes, sidechain_id: int) -> WasmTransaction:
    """VMW-3a: ``tx`` signed by the Ed25519 key of ``seed`` (its ``sender`` set to that key)."""
    unsigned = WasmTransaction(
        tx.kind,
        ed25519.public_key_from_seed(seed),
        tx.nonce,
        tx.fuel_limit,
        tx.fuel_price,
        tx.value,
        tx.to,
        tx.data,
        bytes(64),
    )
    signature = ed25519.sign(seed, compute_signing_message(unsigned, sidechain_id))
    return WasmTransaction(**{**unsigned.__dict__, "signature": signature})


def compute_contract_address(sender: bytes, nonce: int) -> bytes:
    """VMW-6: the address of the contract ``sender`` deploys with ``nonce``."""
    return tagged_hash(HashDomain.WASM_CONTRACT_ADDRESS, sender + varint_encode(nonce))


def compute_code_hash(module: bytes) -> bytes:
    """VMW-1: the hash under which a module is a preimage of the node source."""
    return RUSTY_TRIE_HASHER.digest(module)


def compute_fee(fuel_limit: int, fuel_left: int, fuel_price: int) -> tuple[int, int]:
    """VMW-7: ``(gas_used, fee)`` of a transaction that ends with ``fuel_left`` of ``fuel_limit``."""
    gas_used = fuel_limit - fuel_left
    return gas_used, gas_used * fuel_price


def get_intrinsic_fuel(tx: WasmTransaction, params: WasmVmParams) -> int:
    """VMW-7: the fuel a transaction costs before any code runs."""
    deploy = params.deploy_fuel_per_byte * len(tx.data) if tx.kind == TxKind.DEPLOY else 0
    return params.tx_base_fuel + deploy


# --------------------------------------------------------------------------------------------
# VMW-4, VMW-5: modules and the engine
# --------------------------------------------------------------------------------------------


def build_engine(max_wasm_stack: int) -> wasmtime.Engine:
    """VMW-5: the deterministic engine (its configuration is fixed once built; it holds no state)."""
    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_nan_canonicalization = True
    config.wasm_simd = False
    config.wasm_relaxed_simd = False
    config.wasm_threads = False
    config.shared_memory = False
    config.wasm_memory64 = False
    config.wasm_multi_memory = False
    config.wasm_gc = False
    config.wasm_function_references = False
    config.wasm_exceptions = False
    config.wasm_component_model = False
    config.max_wasm_stack = max_wasm_stack
    config.parallel_compilation = False
    return wasmtime.Engine(config)


def compile_module(engine: wasmtime.Engine, module: bytes) -> wasmtime.Module:
    """VMW-4/5: ``module`` compiled for ``engine`` (raises if it is not valid under VMW-5)."""
    return wasmtime.Module(engine, module)


# Non-normative memoisation. The definitions above and ``build_host_types`` are the specification;
# these three caches only avoid rebuilding identical immutable wasmtime objects (an engine takes
# milliseconds, compiling a module more, building the host function types ~1 ms a call):
# * each is keyed by every input of the function it memoises (the stack bound; the module bytes);
# * what they hold cannot change after it is built: a ``wasmtime.Engine``'s configuration is
#   consumed when it is created, a ``wasmtime.Module`` is immutable compiled code, a ``FuncType``
#   a value; every execution gets its own ``Store`` (fuel, memory, limits) and instance;
# * a failure (an invalid module) raises and is not cached, so it is re-checked on every call;
# * no result depends on what was cached before: ``tests/test_vm_wasm_cache.py`` runs the same
#   transactions with the caches cleared before every call and warm, and compares the engines'
#   compilation verdicts and the modules' imports and exports with the plain definitions.
# docs/vm.md ("Caches") says why this is not the mutable global state spec/ forbids.
_engine = lru_cache(maxsize=4)(build_engine)
"""Memoised :func:`build_engine` (non-normative, see above)."""


@lru_cache(maxsize=64)
def _compiled(max_wasm_stack: int, module: bytes) -> wasmtime.Module:
    """Memoised :func:`compile_module` for the memoised engine (non-normative, see above)."""
    return compile_module(_engine(max_wasm_stack), module)


def _read_u32_leb(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def _has_start_section(module: bytes) -> bool:
    """VMW-4b: whether a (valid) module binary has a start section (id 8)."""
    position = 8
    while position < len(module):
        section_id = module[position]
        size, position = _read_u32_leb(module, position + 1)
        if section_id == 8:
            return True
        position += size
    return False


def _signature(func: wasmtime.FuncType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(str(p) for p in func.params), tuple(str(r) for r in func.results)


def check_module(module: bytes, params: WasmVmParams) -> None:
    """VMW-4: raise a ``VM_WASM_*`` module code unless ``module`` may be deployed."""
    if len(module) > params.max_code_bytes:
        raise WasmCodeTooLarge(f"{len(module)} bytes")
    try:
        compiled = _compiled(params.max_wasm_stack_bytes, bytes(module))
    except wasmtime.WasmtimeError as exc:
        raise WasmInvalidModule(str(exc).splitlines()[0] if str(exc) else "invalid") from None
    if _has_start_section(module):
        raise WasmStartFunction("the module has a start function")
    for imported in compiled.imports:
        kind = imported.type
        expected = HOST_API.get(imported.name or "")
        if imported.module != HOST_MODULE or expected is None or not isinstance(kind, wasmtime.FuncType):
            raise WasmForbiddenImport(f"{imported.module}.{imported.name}")
        if _signature(kind) != expected:
            raise WasmForbiddenImport(f"{imported.module}.{imported.name} with another signature")
    _check_bounds(module, params)
    exports = {e.name: e.type for e in compiled.exports}
    memory = exports.get("memory")
    call = exports.get("call")
    init = exports.get("init")
    if not isinstance(memory, wasmtime.MemoryType):
        raise WasmMissingExport("no exported memory 'memory'")
    if not isinstance(call, wasmtime.FuncType) or _signature(call) != ((), ()):
        raise WasmMissingExport("no exported function 'call: [] -> []'")
    if init is not None and (not isinstance(init, wasmtime.FuncType) or _signature(init) != ((), ())):
        raise WasmMissingExport("'init' is not a function [] -> []")


def _check_bounds(module: bytes, params: WasmVmParams) -> None:
    """VMW-4d: one memory and at most one table, within the preset's bounds.

    wasmtime's Python API lists only imported and exported items, so the counts and initial sizes
    are read from the module's table (id 4) and memory (id 5) sections.
    """
    memories, tables = _section_limits(module)
    if len(memories) != 1 or memories[0] > params.max_memory_pages:
        raise WasmMemoryBound(f"memories with initial pages {memories}")
    if len(tables) > 1 or any(t > params.max_table_elements for t in tables):
        raise WasmTableBound(f"tables with initial elements {tables}")


def _section_limits(module: bytes) -> tuple[list[int], list[int]]:
    """The initial sizes of the memories and tables a valid module defines (VMW-4d).

    Only the first table's entry is read: a second table is rejected whatever its size. Under the
    VMW-5 feature set a reference type is one byte and memory limits carry only the "has maximum" flag.
    """
    memories: list[int] = []
    tables: list[int] = []
    position = 8
    while position < len(module):
        section_id = module[position]
        size, position = _read_u32_leb(module, position + 1)
        if section_id in (4, 5):
            count, cursor = _read_u32_leb(module, position)
            if section_id == 4 and count:
                if module[cursor] == 0x40:  # a table with an initialiser expression: 0x40 0x00 reftype
                    cursor += 2
                minimum, _ = _read_u32_leb(module, cursor + 2)  # reftype, limits flags, minimum
                tables.extend([minimum] + [0] * (count - 1))
            for _ in range(count if section_id == 5 else 0):
                flags = module[cursor]
                minimum, cursor = _read_u32_leb(module, cursor + 1)
                if flags & 1:
                    _, cursor = _read_u32_leb(module, cursor)
                memories.append(minimum)
        position += size
    return memories, tables


# --------------------------------------------------------------------------------------------
# VMW-1: state access
# --------------------------------------------------------------------------------------------


def account_key(address: bytes) -> bytes:
    """VMW-1: the trie key of an account."""
    return ACCOUNT_PREFIX + address


def storage_key(address: bytes, key: bytes) -> bytes:
    """VMW-1: the trie key of a contract's storage slot."""
    return STORAGE_PREFIX + address + key


def _loader(nodes: Mapping[bytes, bytes]) -> Callable[[bytes], bytes]:
    def load(digest: bytes) -> bytes:
        try:
            return nodes[digest]
        except KeyError:
            raise WitnessIncomplete(f"no preimage of {digest.hex()}") from None

    return load


def load_state(nodes: Mapping[bytes, bytes], root: bytes) -> Trie:
    """VM-2: the state trie under ``root`` as a lazy trie over ``nodes`` (MPT-13): only the nodes an
    execution reaches are read, so its witness (VM-6) is those nodes, not the whole state."""
    return Trie.from_store(root, _loader(nodes), RUSTY_TRIE_HASHER, lazy=True)


def get_account(state: Trie, address: bytes) -> Account:
    """VMW-1: the account at ``address`` (the empty account if absent)."""
    record = state.get(account_key(address))
    return EMPTY_ACCOUNT if record is None else decode(ACCOUNT_CODEC, record)


class _Journal:
    """VMW-6: pending writes over a trie (``None`` deletes), layered so a failure drops the top."""

    def __init__(self, state: Trie, parent: _Journal | None = None) -> None:
        self.state = state
        self.parent = parent
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        if self.parent is not None:
            return self.parent.get(key)
        return self.state.get(key)

    def set(self, key: bytes, value: bytes | None) -> None:
        self.writes[key] = value or None

    def account(self, address: bytes) -> Account:
        record = self.get(account_key(address))
        return EMPTY_ACCOUNT if record is None else decode(ACCOUNT_CODEC, record)

    def put_account(self, address: bytes, account: Account) -> None:
        empty = account.nonce == 0 and account.balance == 0 and not account.code_hash
        self.set(account_key(address), None if empty else encode(ACCOUNT_CODEC, account))

    def add_balance(self, address: bytes, amount: int) -> None:
        account = self.account(address)
        self.put_account(address, Account(account.nonce, account.balance + amount, account.code_hash))

    def move(self, source: bytes, destination: bytes, amount: int) -> bool:
        """Move ``amount`` if ``source`` holds it; ``False`` (nothing moved) otherwise."""
        if self.account(source).balance < amount:
            return False
        self.add_balance(source, -amount)
        self.add_balance(destination, amount)
        return True

    def commit(self) -> None:
        """Fold this layer into its parent."""
        if self.parent is not None:
            self.parent.writes.update(self.writes)

    def apply(self) -> Trie:
        """The trie with every write of this (root) layer applied."""
        state = self.state
        for key in sorted(self.writes):
            value = self.writes[key]
            state = state.delete(key) if value is None else state.insert(key, value)
        return state


# --------------------------------------------------------------------------------------------
# VMW-6..8: execution
# --------------------------------------------------------------------------------------------


class _Fail(Exception):
    """A host call failed (VMW-8): the transaction is FAILED."""


class _OutOfFuel(Exception):
    """A host call found too little fuel (VMW-7)."""


@dataclass
class _Run:
    """What one contract execution produced (mutable scratch of one call)."""

    events: list[bytes]
    outbox: list[OutboxEntry]


def _execute(
    params: WasmVmParams,
    module: bytes,
    entry: str,
    journal: _Journal,
    contract: bytes,
    tx: WasmTransaction,
    fuel: int,
    run: _Run,
) -> tuple[bool, int]:
    """VMW-6..8: run ``entry`` of ``module``; ``(succeeded, fuel left)``."""
    engine = _engine(params.max_wasm_stack_bytes)
    compiled = _compiled(params.max_wasm_stack_bytes, module)
    store = wasmtime.Store(engine)
    store.set_limits(
        memory_size=params.max_memory_pages * 65536,
        table_elements=params.max_table_elements,
        instances=1,
        tables=1,
        memories=1,
    )
    store.set_fuel(fuel)
    memory_box: list[wasmtime.Memory] = []

    def charge(amount: int) -> None:
        left = store.get_fuel()
        if left < amount:
            store.set_fuel(0)
            raise _OutOfFuel
        store.set_fuel(left - amount)

    def read(pointer: int, length: int) -> bytes:
        pointer &= 0xFFFFFFFF
        length &= 0xFFFFFFFF
        charge(params.host_byte_fuel * length)
        memory = memory_box[0]
        if pointer + length > memory.data_len(store):
            raise _Fail("read outside memory")
        return bytes(memory.read(store, pointer, pointer + length))

    def write(pointer: int, data: bytes) -> None:
        pointer &= 0xFFFFFFFF
        charge(params.host_byte_fuel * len(data))
        memory = memory_box[0]
        if pointer + len(data) > memory.data_len(store):
            raise _Fail("write outside memory")
        memory.write(store, data, pointer)

    def bounded(length: int, limit: int) -> int:
        length &= 0xFFFFFFFF
        if length > limit:
            raise _Fail("a host call argument above its bound")
        return length

    def storage_get(kp: int, kl: int, op: int, oc: int) -> int:
        charge(params.host_call_fuel)
        key = read(kp, bounded(kl, params.max_storage_key_bytes))
        value = journal.get(storage_key(contract, key))
        if value is None:
            return -1
        write(op, value[: oc & 0xFFFFFFFF])
        return len(value)

    def storage_set(kp: int, kl: int, vp: int, vl: int) -> None:
        charge(params.host_call_fuel)
        key = read(kp, bounded(kl, params.max_storage_key_bytes))
        value = read(vp, bounded(vl, params.max_storage_value_bytes))
        charge(params.storage_write_fuel)
        journal.set(storage_key(contract, key), value)

    def caller(op: int) -> None:
        charge(params.host_call_fuel)
        write(op, tx.sender)

    def address(op: int) -> None:
        charge(params.host_call_fuel)
        write(op, contract)

    def value() -> int:
        charge(params.host_call_fuel)
        return tx.value

    def input_len() -> int:
        charge(params.host_call_fuel)
        return len(tx.data) if tx.kind == TxKind.CALL else 0

    def input_read(op: int) -> None:
        charge(params.host_call_fuel)
        write(op, tx.data if tx.kind == TxKind.CALL else b"")

    def amount_of(amount: int) -> int:
        if amount < 0:
            raise _Fail("a negative amount")
        return amount

    def transfer(ap: int, amount: int) -> None:
        charge(params.host_call_fuel)
        destination = read(ap, ADDRESS_BYTES)
        if not journal.move(contract, destination, amount_of(amount)):
            raise _Fail("transfer above the contract's balance")

    def emit(p: int, length: int) -> None:
        charge(params.host_call_fuel)
        if len(run.events) >= params.max_events:
            raise _Fail("too many events")
        run.events.append(contract + read(p, bounded(length, params.max_event_bytes)))

    def hash_(p: int, length: int, op: int) -> None:
        charge(params.host_call_fuel)
        data = read(p, bounded(length, params.max_event_bytes))
        write(op, tagged_hash(HashDomain.WASM_HOST_HASH, data))

    def abort(p: int, length: int) -> None:
        charge(params.host_call_fuel)
        message = read(p, bounded(length, params.max_event_bytes))
        raise _Fail(message.decode("utf-8", "replace"))

    def withdraw(rp: int, rl: int, amount: int) -> None:
        charge(params.host_call_fuel)
        recipient = read(rp, bounded(rl, MAX_RECIPIENT_BYTES))
        amount = amount_of(amount)
        account = journal.account(contract)
        if account.balance < amount or len(run.outbox) >= params.max_events:
            raise _Fail("withdrawal above the contract's balance or too many outbox entries")
        journal.put_account(contract, Account(account.nonce, account.balance - amount, account.code_hash))
        run.outbox.append(OutboxEntry(OutboxKind.WITHDRAWAL, 0, recipient, amount, b"", contract))

    def send_message(chain: int, rp: int, rl: int, pp: int, pl: int) -> None:
        charge(params.host_call_fuel)
        recipient = read(rp, bounded(rl, MAX_RECIPIENT_BYTES))
        payload = read(pp, bounded(pl, params.max_event_bytes))
        if len(run.outbox) >= params.max_events:
            raise _Fail("too many outbox entries")
        run.outbox.append(OutboxEntry(OutboxKind.MESSAGE, amount_of(chain), recipient, 0, payload, contract))

    functions: dict[str, Callable[..., Any]] = {
        "storage_get": storage_get,
        "storage_set": storage_set,
        "caller": caller,
        "address": address,
        "value": value,
        "input_len": input_len,
        "input_read": input_read,
        "transfer": transfer,
        "emit": emit,
        "hash": hash_,
        "abort": abort,
        "withdraw": withdraw,
        "send_message": send_message,
    }
    linker = wasmtime.Linker(engine)
    host_types = _host_types()
    for imported in compiled.imports:  # VMW-4c: each is a host function with its exact signature
        name = imported.name or ""
        linker.define_func(HOST_MODULE, name, host_types[name], functions[name])
    try:
        instance = linker.instantiate(store, compiled)
        exports = instance.exports(store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)  # VMW-4e checked at deploy
        memory_box.append(memory)
        function = exports[entry]
        assert isinstance(function, wasmtime.Func)
        function(store)
    except _OutOfFuel:
        return False, 0
    except wasmtime.Trap as trap:
        if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
            return False, 0
        return False, store.get_fuel()
    except (_Fail, wasmtime.WasmtimeError):
        return False, store.get_fuel()
    return True, store.get_fuel()


def build_host_types() -> dict[str, wasmtime.FuncType]:
    """VMW-8: the wasmtime function type of each host function of :data:`HOST_API`."""
    return {
        name: wasmtime.FuncType(
            [getattr(wasmtime.ValType, t)() for t in params],
            [getattr(wasmtime.ValType, t)() for t in results],
        )
        for name, (params, results) in HOST_API.items()
    }


_host_types = lru_cache(maxsize=1)(build_host_types)
"""Memoised :func:`build_host_types` (non-normative: see the memoisation note at :func:`compile_module`)."""


def _has_export(params: WasmVmParams, module: bytes, name: str) -> bool:
    return any(e.name == name for e in _compiled(params.max_wasm_stack_bytes, module).exports)


def apply_transaction_with(
    params: WasmVmParams,
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    tx_bytes: bytes,
    context: ExecutionContext,
) -> tuple[TxOutcome, tuple[tuple[bytes, bytes], ...]]:
    """VMW-2..VMW-9 (VM-3): apply one WASM transaction to the state under ``pre_root``."""
    tx = decode_transaction(tx_bytes, params)
    if not ed25519.verify(tx.sender, compute_signing_message(tx, context.sidechain_id), tx.signature):
        raise WasmBadSignature("the signature does not verify")
    state = load_state(nodes, pre_root)
    root = _Journal(state)
    sender = root.account(tx.sender)
    if tx.nonce != sender.nonce:
        raise WasmBadNonce(f"nonce {tx.nonce}, account nonce {sender.nonce}")
    intrinsic = get_intrinsic_fuel(tx, params)
    if not intrinsic <= tx.fuel_limit <= context.gas_limit:
        raise WasmFuelLimit(f"fuel limit {tx.fuel_limit}, intrinsic {intrinsic}, block {context.gas_limit}")
    if sender.balance < tx.value + tx.fuel_limit * tx.fuel_price:
        raise WasmInsufficientFunds(f"balance {sender.balance}")
    module = b""
    created: dict[bytes, bytes] = {}
    if tx.kind == TxKind.DEPLOY:
        check_module(tx.data, params)
        module = tx.data
    elif tx.kind == TxKind.CALL:
        code_hash = root.account(tx.to).code_hash
        if not code_hash:
            raise WasmNotAContract(tx.to.hex())
        module = _loader(nodes)(code_hash)

    root.put_account(tx.sender, Account(sender.nonce + 1, sender.balance, sender.code_hash))
    journal = _Journal(state, root)
    run = _Run([], [])
    fuel_left = tx.fuel_limit - intrinsic
    succeeded = True
    if tx.kind == TxKind.DEPLOY:
        contract = compute_contract_address(tx.sender, tx.nonce)
        existing = journal.account(contract)
        journal.put_account(contract, Account(existing.nonce, existing.balance, compute_code_hash(module)))
    else:
        contract = tx.to
    journal.move(tx.sender, contract, tx.value)  # VMW-3d: the sender holds value + the maximum fee
    if tx.kind != TxKind.TRANSFER and (tx.kind == TxKind.CALL or _has_export(params, module, "init")):
        entry = "call" if tx.kind == TxKind.CALL else "init"
        succeeded, fuel_left = _execute(params, module, entry, journal, contract, tx, fuel_left, run)
    if succeeded:
        journal.commit()
        if tx.kind == TxKind.DEPLOY:
            created[compute_code_hash(module)] = module
    else:
        run = _Run([], [])
    gas_used, fee = compute_fee(tx.fuel_limit, fuel_left, tx.fuel_price)
    if fee:
        root.move(tx.sender, context.fee_recipient, fee)
    post = root.apply()
    for digest, preimage, count in stored_node_changes(state, post):
        if count > 0:
            created[digest] = preimage
    outcome = TxOutcome(
        post_root=post.root_hash,
        status=TxStatus.SUCCEEDED if succeeded else TxStatus.FAILED,
        gas_used=gas_used,
        fee=fee,
        events=tuple(run.events),
        outbox=tuple(run.outbox),
    )
    return outcome, tuple(sorted(created.items()))


def apply_transaction(
    preset: Preset, nodes: Mapping[bytes, bytes], pre_root: bytes, tx: bytes, context: ExecutionContext
) -> tuple[TxOutcome, tuple[tuple[bytes, bytes], ...]]:
    """VM-3 (VmKind.WASM): apply one transaction under ``preset``'s WASM parameters (``vm_wasm``)."""
    return apply_transaction_with(preset.vm_wasm, nodes, pre_root, tx, context)


def build_genesis(balances: Mapping[bytes, int]) -> tuple[bytes, dict[bytes, bytes]]:
    """VMW-1: the root and node store of a state holding only key-held accounts with ``balances``."""
    items = {
        account_key(address): encode(ACCOUNT_CODEC, Account(0, balance, b""))
        for address, balance in balances.items()
        if balance
    }
    trie = Trie.from_items(items, RUSTY_TRIE_HASHER)
    return trie.root_hash, dict(trie.node_store)


# --------------------------------------------------------------------------------------------
# VMW-10: deposits from the mainchain
# --------------------------------------------------------------------------------------------


def credit_deposit(
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    recipient: bytes,
    amount: int,
    max_money: int,
) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]] | None:
    """VMW-10: the state after crediting ``amount`` to ``recipient`` and the preimages created, or
    ``None`` when the recipient cannot accept it (not a 32-byte address, or a balance above
    ``max_money``, the preset's ``ledger.max_money``): the sidechain block refunds such a deposit (SCB-2)."""
    if len(recipient) != ADDRESS_BYTES:
        return None
    state = load_state(nodes, pre_root)
    journal = _Journal(state)
    account = journal.account(recipient)
    if account.balance + amount > max_money:
        return None
    journal.add_balance(recipient, amount)
    post = journal.apply()
    created = {digest: data for digest, data, count in stored_node_changes(state, post) if count > 0}
    return post.root_hash, tuple(sorted(created.items()))


def apply_deposit(
    nodes: Mapping[bytes, bytes], pre_root: bytes, deposit: Deposit, max_money: int
) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]] | None:
    """VMW-10: the sidechain transition's entry for a peg-in (SC-HDR-5): credit its recipient."""
    return credit_deposit(nodes, pre_root, deposit.recipient, deposit.amount, max_money)
