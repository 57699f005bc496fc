"""EVM sidechain execution (rules EVM-1..EVM-8, docs/vm.md#evm) behind the VM interface (VM-1..6).

The EVM itself is py-evm's Cancun VM (a maintained library; docs/vm.md says why py-evm). This
module owns everything around it: the transaction's validity checks with stable error codes, the
state (our keccak Merkle Patricia Trie, read lazily through ``nodes``), the block environment, the
withdrawal system address and deposits. py-evm is used deterministically: no clock, no randomness,
no database of its own; state goes in and out through :class:`spec.trie.Trie` only.

* **EVM-1** state is Ethereum's account trie under :data:`~spec.trie.ETHEREUM_TRIE_HASHER`: key
  ``keccak(address)``, value ``RLP([nonce, balance, storage_root, code_hash])``; a storage trie per
  account, key ``keccak(slot as 32 bytes)``, value ``RLP(minimal big-endian value)``, zero slots
  absent; code is a preimage in ``nodes`` under ``keccak(code)``. Roots equal Ethereum's.
* **EVM-2** a transaction is one canonical Ethereum encoding: legacy RLP, or a typed envelope
  ``0x01`` (EIP-2930), ``0x02`` (EIP-1559), and in :attr:`EvmRules.allow_blob_transactions`
  environments ``0x03`` (EIP-4844); anything else, trailing bytes or a non-minimal field is
  ``VM_EVM_TX_DECODE`` (a known type that is not allowed: ``VM_EVM_TX_TYPE``).
* **EVM-3** validity, first failure wins: signature (``r`` in 1..n-1, ``s`` in 1..n/2, recoverable:
  ``VM_EVM_BAD_SIGNATURE``); chain id (typed and EIP-155 legacy transactions carry the chain's id,
  unprotected legacy ones only where the rules allow: ``VM_EVM_CHAIN_ID``); gas limit at most the
  block's (``VM_EVM_GAS_LIMIT``); intrinsic gas at most the gas limit (``VM_EVM_INTRINSIC_GAS``);
  initcode at most 49,152 bytes (EIP-3860, ``VM_EVM_INITCODE_SIZE``); nonce equal to the sender's
  and below 2^64-1 (``VM_EVM_NONCE``); sender without code (EIP-3607, ``VM_EVM_SENDER_NOT_EOA``);
  fee cap at least the base fee and the priority fee at most the fee cap, blob fee cap at least the
  blob base fee (``VM_EVM_FEE_CAP``); balance at least ``gas x fee cap + value`` (+ blob gas x blob
  fee cap) (``VM_EVM_INSUFFICIENT_FUNDS``). An invalid transaction changes nothing (VM-3).
* **EVM-4** a valid transaction is executed by py-evm's Cancun rules (EIP-1559 fees, 2929/2930
  access lists, 3529 refunds, 3651, 3855, 3860, 1153, 5656, 6780, 7516, 4844 BLOBHASH, 161
  clearing). ``status`` is FAILED when the top frame reverted or ran out of gas; the sender pays
  ``fee = gas_used x effective gas price`` (+ blob fee) either way. ``events`` are the logs, each
  ``RLP([address, [topics], data])``, in order (none when FAILED).
* **EVM-5** the block environment of a sidechain (:func:`evm_environment`): COINBASE the context's
  ``fee_recipient`` (20 bytes, else ``VM_EVM_ADDRESS``), NUMBER its height, TIMESTAMP, GASLIMIT,
  BASEFEE the preset's fixed ``base_fee_per_gas`` (burned), PREVRANDAO zero, no blobs (excess blob
  gas 0), BLOCKHASH 0 (no ancestors are given to a transaction), CHAINID
  ``chain_id_base + sidechain_id``; unprotected legacy transactions are rejected (replay safety).
* **EVM-6** a withdrawal is a plain CALL to the preset's ``withdrawal_address`` carrying value > 0,
  with calldata the mainchain recipient (1..64 bytes). It costs ``withdrawal_gas``, emits a log
  (topics :data:`WITHDRAWAL_TOPIC` and the caller's address as a 32-byte word, data
  ``amount (32 bytes) || recipient``) and becomes an :class:`~spec.vm.interface.OutboxEntry` (kind
  WITHDRAWAL, target chain 0, ``sender`` the 20-byte ``CALLER`` of the withdrawal address, VM-5) in
  emission order; the
  withdrawn value leaves the sidechain (it is subtracted from the system address's balance). Any
  other call to it (no value, bad recipient, DELEGATECALL/CALLCODE/STATICCALL) reverts. A reverted
  frame's withdrawals vanish with its logs (VM-5).
* **EVM-7** a deposit (SC-HDR-5, :func:`apply_deposit`) credits ``amount`` to a 20-byte
  ``recipient`` account, creating it if absent (:func:`credit_deposit`); amounts are mainchain
  atoms, one atom per wei.
* **EVM-8** ``new_nodes`` are the trie nodes (and code) the post-state holds that the pre-state did
  not, sorted by hash (``stored_node_changes`` of every changed trie, positive counts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import rlp
from eth.abc import AccountDatabaseAPI, AtomicDatabaseAPI, ComputationAPI, MetaWitnessAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.db.journal import get_next_checkpoint
from eth.exceptions import Revert
from eth.rlp.accounts import Account
from eth.typing import JournalDBCheckpoint
from eth.vm.execution_context import ExecutionContext as PyEvmExecutionContext
from eth.vm.forks.cancun import CancunVM
from eth.vm.forks.cancun.computation import CancunComputation
from eth.vm.forks.cancun.state import CancunState
from eth_typing import Address, BlockNumber, Hash32

from spec.errors import (
    EvmAddressError,
    EvmBadSignature,
    EvmChainId,
    EvmFeeCap,
    EvmGasLimit,
    EvmInitcodeSize,
    EvmInsufficientFunds,
    EvmIntrinsicGas,
    EvmNonce,
    EvmSenderNotEoa,
    EvmTxDecode,
    EvmTxType,
    WitnessIncomplete,
)
from spec.presets import EvmParams, Preset
from spec.sidechain.header import Deposit
from spec.trie import ETHEREUM_TRIE_HASHER, Trie, keccak256, stored_node_changes
from spec.vm.interface import ExecutionContext, OutboxEntry, OutboxKind, TxOutcome, TxStatus

HASHER = ETHEREUM_TRIE_HASHER
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_INITCODE_SIZE = 2 * 24576
"""EIP-3860 (Ethereum's constant, not a Rusty Coin choice)."""
MAX_NONCE = 2**64 - 1
WITHDRAWAL_TOPIC = int.from_bytes(keccak256(b"RustyCoin.Withdrawal(bytes,uint256)"), "big")
"""EVM-6: the topic of a withdrawal log."""

NodeSource = Mapping[bytes, bytes]
NewNodes = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class EvmEnvironment:
    """EVM-5: what a transaction reads of its block (py-evm's execution context), plus the rules."""

    chain_id: int
    coinbase: bytes
    number: int
    timestamp: int
    gas_limit: int
    base_fee_per_gas: int
    prev_randao: bytes = bytes(32)
    excess_blob_gas: int = 0
    allow_unprotected: bool = False
    allow_blob_transactions: bool = False
    withdrawal_address: bytes | None = None
    withdrawal_gas: int = 0


@dataclass(frozen=True)
class EvmAccount:
    """EVM-1: an account as a test or a genesis writes it (code and storage in full)."""

    nonce: int = 0
    balance: int = 0
    code: bytes = b""
    storage: Mapping[int, int] | None = None


def _check_address(address: bytes, what: str) -> Address:
    if len(address) != 20:
        raise EvmAddressError(f"{what} has {len(address)} bytes (an EVM address has 20)")
    return Address(bytes(address))


def evm_environment(context: ExecutionContext, evm: EvmParams) -> EvmEnvironment:
    """EVM-5: the block environment of a sidechain transaction under the preset's ``evm`` block."""
    return EvmEnvironment(
        chain_id=evm.chain_id_base + context.sidechain_id,
        coinbase=_check_address(context.fee_recipient, "fee recipient"),
        number=context.height,
        timestamp=context.timestamp,
        gas_limit=context.gas_limit,
        base_fee_per_gas=evm.base_fee_per_gas,
        withdrawal_address=evm.withdrawal_address,
        withdrawal_gas=evm.withdrawal_gas,
    )


# --------------------------------------------------------------------------------------------
# EVM-1: the state behind py-evm, read through our lazy tries
# --------------------------------------------------------------------------------------------

_MISSING = object()


class _Loader:
    """VM-2: reads a preimage from ``nodes``; a hash it does not hold is VM_WITNESS_INCOMPLETE."""

    def __init__(self, nodes: NodeSource) -> None:
        self.nodes = nodes

    def __call__(self, digest: bytes) -> bytes | None:
        value = self.nodes.get(digest)
        if value is None:
            raise WitnessIncomplete(f"no preimage of {digest.hex()}")
        return value


def _slot_key(slot: int) -> bytes:
    return keccak256(slot.to_bytes(32, "big"))


class TrieAccountDB(AccountDatabaseAPI):
    """EVM-1: py-evm's account database over our (lazy) tries, journaled in memory.

    ``db`` is the :class:`_Loader` of the node source. Reads go to the pre-state tries; writes stay
    in an undo-logged overlay until :meth:`make_state_root` applies them, in key order, to new tries.
    """

    def __init__(self, db: AtomicDatabaseAPI, state_root: Hash32 = BLANK_ROOT_HASH) -> None:
        self._load = cast(_Loader, db)
        self._root = state_root
        self._base = Trie.from_store(state_root, self._load, HASHER, lazy=True)
        self._base_accounts: dict[bytes, Account | None] = {}
        self._accounts: dict[bytes, Account | None] = {}
        self._storage_tries: dict[bytes, Trie] = {}
        self._base_slots: dict[tuple[bytes, int], int] = {}
        self._slots: dict[bytes, dict[int, int]] = {}
        self._wiped: set[bytes] = set()
        self._codes: dict[bytes, bytes] = {}
        self._warm: set[bytes] = set()
        self._journal: list[tuple[str, Any, Any]] = []
        self._checkpoints: dict[int, int] = {}
        self.post_trie: Trie | None = None
        self.post_storage: dict[bytes, tuple[Trie, Trie]] = {}

    # -- roots ------------------------------------------------------------------------------
    @property
    def state_root(self) -> Hash32:
        return self._root

    @state_root.setter
    def state_root(self, value: Hash32) -> None:
        if value != self._root:
            raise NotImplementedError("the state root only changes through make_state_root")

    def has_root(self, state_root: bytes) -> bool:
        return state_root == self._root

    # -- accounts ---------------------------------------------------------------------------
    def _base_account(self, address: bytes) -> Account | None:
        if address not in self._base_accounts:
            encoded = self._base.get(keccak256(address))
            self._base_accounts[address] = None if encoded is None else rlp.decode(encoded, sedes=Account)
        return self._base_accounts[address]

    def _get(self, address: bytes) -> Account | None:
        if address in self._accounts:
            return self._accounts[address]
        return self._base_account(address)

    def _account(self, address: bytes) -> Account:
        return self._get(address) or Account()

    def _set(self, address: bytes, account: Account | None) -> None:
        self._journal.append(("account", address, self._accounts.get(address, _MISSING)))
        self._accounts[address] = account

    def get_balance(self, address: Address) -> int:
        return int(self._account(address).balance)

    def set_balance(self, address: Address, balance: int) -> None:
        self._set(address, self._account(address).copy(balance=balance))

    def get_nonce(self, address: Address) -> int:
        return int(self._account(address).nonce)

    def set_nonce(self, address: Address, nonce: int) -> None:
        self._set(address, self._account(address).copy(nonce=nonce))

    def increment_nonce(self, address: Address) -> None:
        self.set_nonce(address, self.get_nonce(address) + 1)

    def get_code_hash(self, address: Address) -> Hash32:
        return Hash32(self._account(address).code_hash)

    def get_code(self, address: Address) -> bytes:
        code_hash = self.get_code_hash(address)
        if code_hash == EMPTY_SHA3:
            return b""
        if code_hash in self._codes:
            return self._codes[code_hash]
        code = self._load(code_hash)
        if code is None or keccak256(code) != code_hash:  # _Loader never returns None
            raise WitnessIncomplete(f"no code with hash {code_hash.hex()}")
        return bytes(code)

    def set_code(self, address: Address, code: bytes) -> None:
        code_hash = keccak256(code)
        self._codes[code_hash] = bytes(code)
        self._set(address, self._account(address).copy(code_hash=code_hash))

    def delete_code(self, address: Address) -> None:
        self._set(address, self._account(address).copy(code_hash=EMPTY_SHA3))

    def account_has_code_or_nonce(self, address: Address) -> bool:
        """py-evm asks this only to detect a CREATE collision: EIP-7610 adds non-empty storage."""
        return self._has_code_or_nonce(address) or self._has_storage(address)

    def _has_code_or_nonce(self, address: bytes) -> bool:
        return self.get_nonce(Address(address)) != 0 or self.get_code_hash(Address(address)) != EMPTY_SHA3

    def _has_storage(self, address: bytes) -> bool:
        if any(self._slots.get(address, {}).values()):
            return True
        account = self._base_account(address)
        return address not in self._wiped and account is not None and account.storage_root != BLANK_ROOT_HASH

    def delete_account(self, address: Address) -> None:
        self._wipe(address)
        self._set(address, None)

    def account_exists(self, address: Address) -> bool:
        return self._get(address) is not None

    def touch_account(self, address: Address) -> None:
        self._set(address, self._account(address))

    def account_is_empty(self, address: Address) -> bool:
        return not self._has_code_or_nonce(address) and self.get_balance(address) == 0

    # -- storage ----------------------------------------------------------------------------
    def _base_slot(self, address: bytes, slot: int) -> int:
        key = (address, slot)
        if key not in self._base_slots:
            encoded = self._base_storage(address).get(_slot_key(slot))
            self._base_slots[key] = (
                0 if encoded is None else rlp.decode(encoded, sedes=rlp.sedes.big_endian_int)
            )
        return self._base_slots[key]

    def _base_storage(self, address: bytes) -> Trie:
        """The pre-state storage trie of ``address`` (lazy; empty for an absent account)."""
        trie = self._storage_tries.get(address)
        if trie is None:
            account = self._base_account(address)
            root = BLANK_ROOT_HASH if account is None else account.storage_root
            trie = self._storage_tries[address] = Trie.from_store(root, self._load, HASHER, lazy=True)
        return trie

    def get_storage(self, address: Address, slot: int, from_journal: bool = True) -> int:
        if from_journal:
            overlay = self._slots.get(address)
            if overlay is not None and slot in overlay:
                return overlay[slot]
        if address in self._wiped:
            return 0
        return self._base_slot(address, slot)

    def set_storage(self, address: Address, slot: int, value: int) -> None:
        overlay = self._slots.setdefault(address, {})
        self._journal.append(("slot", (address, slot), overlay.get(slot, _MISSING)))
        overlay[slot] = value

    def _wipe(self, address: bytes) -> None:
        self._journal.append(("wipe", address, (self._slots.get(address), address in self._wiped)))
        self._slots[address] = {}
        self._wiped.add(address)

    def delete_storage(self, address: Address) -> None:
        self._wipe(address)
        self._set(address, self._account(address).copy(storage_root=BLANK_ROOT_HASH))

    def get_transient_storage(self, address: Address, slot: int) -> bytes:  # CancunState keeps its own
        raise NotImplementedError

    def set_transient_storage(self, address: Address, slot: int, value: bytes) -> None:
        raise NotImplementedError

    # -- EIP-2929 warm sets -----------------------------------------------------------------
    def _warm_key(self, address: bytes, slot: int | None) -> bytes:
        return address if slot is None else address + slot.to_bytes(32, "big")

    def is_address_warm(self, address: Address) -> bool:
        return address in self._warm

    def mark_address_warm(self, address: Address) -> None:
        if address not in self._warm:
            self._journal.append(("warm", bytes(address), None))
            self._warm.add(address)

    def is_storage_warm(self, address: Address, slot: int) -> bool:
        return self._warm_key(address, slot) in self._warm

    def mark_storage_warm(self, address: Address, slot: int) -> None:
        key = self._warm_key(address, slot)
        if key not in self._warm:
            self._journal.append(("warm", key, None))
            self._warm.add(key)

    # -- journal ----------------------------------------------------------------------------
    def record(self) -> JournalDBCheckpoint:
        # py-evm's transient storage shares the id space of its own journals: take ids from it.
        checkpoint = get_next_checkpoint()
        self._checkpoints[checkpoint] = len(self._journal)
        return checkpoint

    def discard(self, checkpoint: JournalDBCheckpoint) -> None:
        length = self._checkpoints.pop(checkpoint)
        while len(self._journal) > length:
            kind, key, previous = self._journal.pop()
            if kind == "account":
                if previous is _MISSING:
                    del self._accounts[key]
                else:
                    self._accounts[key] = previous
            elif kind == "slot":
                address, slot = key
                if previous is _MISSING:
                    del self._slots[address][slot]
                else:
                    self._slots[address][slot] = previous
            elif kind == "wipe":
                overlay, was_wiped = previous
                if overlay is None:
                    del self._slots[key]
                else:
                    self._slots[key] = overlay
                if not was_wiped:
                    self._wiped.discard(key)
            else:
                self._warm.discard(key)
        for later in [c for c, n in self._checkpoints.items() if n > length]:
            del self._checkpoints[later]

    def commit(self, checkpoint: JournalDBCheckpoint) -> None:
        self._checkpoints.pop(checkpoint)

    def lock_changes(self) -> None:
        self._warm.clear()

    # -- EVM-1, EVM-8: the post-state ------------------------------------------------------
    def make_state_root(self) -> Hash32:
        trie = self._base
        for address in sorted(self._accounts.keys() | self._slots.keys(), key=keccak256):
            account = self._get(address)
            if account is None:
                trie = trie.delete(keccak256(address))
                continue
            overlay = self._slots.get(address, {})
            if overlay or address in self._wiped:
                before = Trie(HASHER) if address in self._wiped else self._base_storage(address)
                storage = before
                for slot in sorted(overlay, key=_slot_key):
                    value = overlay[slot]
                    key = _slot_key(slot)
                    storage = storage.insert(key, rlp.encode(value)) if value else storage.delete(key)
                self.post_storage[address] = (before, storage)
                account = account.copy(storage_root=storage.root_hash)
            if account != self._base_account(address):
                trie = trie.insert(keccak256(address), rlp.encode(account, sedes=Account))
        self.post_trie = trie
        return Hash32(trie.root_hash)

    def persist(self) -> MetaWitnessAPI:
        raise NotImplementedError("the VM returns new nodes instead of persisting")

    def new_nodes(self) -> NewNodes:
        """EVM-8: the preimages the post-state holds that the pre-state did not, sorted by hash."""
        created: dict[bytes, bytes] = {}
        if self.post_trie is not None:
            pairs: list[tuple[Trie, Trie]] = [(self._base, self.post_trie), *self.post_storage.values()]
            for old, new in pairs:
                for digest, data, count in stored_node_changes(old, new):
                    if count > 0:
                        created[digest] = data
        for account in self._accounts.values():
            if account is not None and account.code_hash in self._codes:
                created[account.code_hash] = self._codes[account.code_hash]
        return tuple(sorted(created.items()))

    def withdraw(self, address: bytes, amount: int) -> None:
        """EVM-6: the withdrawn value leaves the sidechain; an emptied system account is removed."""
        remaining = self.get_balance(Address(address)) - amount
        self.set_balance(Address(address), remaining)
        if self.account_is_empty(Address(address)):
            self.delete_account(Address(address))

    def credit(self, address: bytes, amount: int) -> None:
        """EVM-7: add ``amount`` to ``address`` (created if absent)."""
        self.set_balance(Address(address), self.get_balance(Address(address)) + amount)


# --------------------------------------------------------------------------------------------
# EVM-4, EVM-6: py-evm's Cancun VM over TrieAccountDB, with the withdrawal precompile
# --------------------------------------------------------------------------------------------


def _withdrawal_precompile(address: bytes, gas: int) -> Callable[[ComputationAPI], ComputationAPI]:
    def withdraw(computation: ComputationAPI) -> ComputationAPI:
        computation.consume_gas(gas, reason="EVM-6 withdrawal")
        message = computation.msg
        recipient = bytes(message.data)
        if (
            message.storage_address != address
            or message.is_static
            or message.value <= 0
            or not 1 <= len(recipient) <= 64
        ):
            raise Revert(b"")
        caller = int.from_bytes(message.sender, "big")
        computation.add_log_entry(
            Address(address), (WITHDRAWAL_TOPIC, caller), message.value.to_bytes(32, "big") + recipient
        )
        return computation

    return withdraw


@cache
def _state_class(withdrawal: tuple[bytes, int] | None) -> type[CancunState]:
    """The py-evm state class for a withdrawal configuration (EVM-6; built once per configuration)."""
    precompiles = dict(CancunComputation.get_precompiles())
    if withdrawal is not None:
        precompiles[Address(withdrawal[0])] = _withdrawal_precompile(*withdrawal)
    computation = type("SidechainComputation", (CancunComputation,), {"_precompiles": precompiles})
    namespace = {
        "computation_class": computation,
        "account_db_class": TrieAccountDB,
        "set_system_contracts": _no_system_contracts,
    }
    return type("SidechainState", (CancunState,), namespace)


def _no_system_contracts(state: CancunState) -> None:
    """EVM-5: no system contract is installed. (py-evm's Cancun hook only rewrites the EIP-4788
    contract's code when it is already present; skipping it saves one account read per transaction.)"""


def decode_transaction(data: bytes, allow_blob_transactions: bool = False) -> Any:
    """EVM-2: the signed transaction ``data`` encodes; ``VM_EVM_TX_DECODE`` / ``VM_EVM_TX_TYPE`` otherwise."""
    data = bytes(data)
    if not data:
        raise EvmTxDecode("an empty transaction")
    if data[0] <= 0x7F and data[0] not in (1, 2) and not (data[0] == 3 and allow_blob_transactions):
        if data[0] == 3:
            raise EvmTxType("blob transactions are not allowed here")
        raise EvmTxDecode(f"unknown transaction type {data[0]}")
    try:
        transaction = CancunVM.get_transaction_builder().decode(data)
        encoded = transaction.encode() if data[0] <= 0x7F else rlp.encode(transaction)
    except Exception as error:  # the library's decoder: any failure is a decode failure
        raise EvmTxDecode(f"not a canonical transaction: {type(error).__name__}") from None
    if encoded != data:
        raise EvmTxDecode("not the canonical encoding of the transaction")
    return transaction


def _chain_id_of(transaction: Any) -> int | None:
    if transaction.type_id is not None:
        return int(transaction.chain_id)
    v = int(transaction.v)
    return None if v in (27, 28) else (v - 35) // 2


def _check_signature(transaction: Any) -> bytes:
    r, s = int(transaction.r), int(transaction.s)
    if transaction.type_id is None:
        v = int(transaction.v)
        if v not in (27, 28) and v < 35:
            raise EvmBadSignature(f"legacy v = {v}")
    elif int(transaction.y_parity) not in (0, 1):
        raise EvmBadSignature("y parity is not 0 or 1")
    if not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        raise EvmBadSignature("r or s out of range (s must be in the lower half)")
    try:
        sender: bytes = transaction.sender
    except Exception as error:  # recovery failed: no public key has this signature
        raise EvmBadSignature(f"unrecoverable signature: {type(error).__name__}") from None
    return sender


def check_transaction(state: CancunState, transaction: Any, environment: EvmEnvironment) -> bytes:
    """EVM-3: raise the first validity failure of ``transaction`` in ``state``; return its sender."""
    sender = _check_signature(transaction)
    chain_id = _chain_id_of(transaction)
    if chain_id is None and not environment.allow_unprotected:
        raise EvmChainId("an unprotected legacy transaction (EIP-155 chain id required)")
    if chain_id is not None and chain_id != environment.chain_id:
        raise EvmChainId(f"chain id {chain_id}, expected {environment.chain_id}")
    gas = int(transaction.gas)
    if gas > environment.gas_limit:
        raise EvmGasLimit(f"gas limit {gas} above the block's {environment.gas_limit}")
    if int(transaction.intrinsic_gas) > gas:
        raise EvmIntrinsicGas(f"intrinsic gas {transaction.intrinsic_gas} above gas limit {gas}")
    if not transaction.to and len(transaction.data) > MAX_INITCODE_SIZE:
        raise EvmInitcodeSize(f"initcode of {len(transaction.data)} bytes")
    address = Address(sender)
    nonce = state.get_nonce(address)
    if int(transaction.nonce) != nonce or nonce >= MAX_NONCE:
        raise EvmNonce(f"nonce {transaction.nonce}, account nonce {nonce}")
    if state.get_code_hash(address) != EMPTY_SHA3:
        raise EvmSenderNotEoa("the sender has code (EIP-3607)")
    max_fee = int(transaction.max_fee_per_gas)
    if max_fee < environment.base_fee_per_gas or int(transaction.max_priority_fee_per_gas) > max_fee:
        raise EvmFeeCap(f"fee cap {max_fee} below base fee or below the priority fee")
    cost = gas * max_fee + int(transaction.value)
    if transaction.type_id == 3:
        blobs = len(transaction.blob_versioned_hashes)
        if blobs == 0 or int(transaction.max_fee_per_blob_gas) < state.blob_base_fee or not transaction.to:
            raise EvmFeeCap("a blob transaction without blobs, recipient or a blob fee cap")
        cost += blobs * (1 << 17) * int(transaction.max_fee_per_blob_gas)
    if state.get_balance(address) < cost:
        raise EvmInsufficientFunds(f"balance {state.get_balance(address)} below {cost}")
    return sender


def _log_rlp(entry: tuple[bytes, tuple[int, ...], bytes]) -> bytes:
    address, topics, data = entry
    return bytes(rlp.encode([address, [t.to_bytes(32, "big") for t in topics], data]))


def logs_hash(events: tuple[bytes, ...]) -> bytes:
    """EVM-4: ``keccak(RLP(list of logs))``, the state tests' ``logs`` (each event is one log's RLP)."""
    return keccak256(rlp.encode([rlp.decode(event) for event in events]))


def pyevm_execution_context(environment: EvmEnvironment) -> PyEvmExecutionContext:
    """EVM-5: ``environment``'s block context as py-evm's ``ExecutionContext`` (no prior block
    hashes, difficulty 0: post-merge)."""
    return PyEvmExecutionContext(
        coinbase=Address(environment.coinbase),
        timestamp=environment.timestamp,
        block_number=BlockNumber(environment.number),
        difficulty=0,
        mix_hash=Hash32(environment.prev_randao),
        gas_limit=environment.gas_limit,
        prev_hashes=(),
        chain_id=environment.chain_id,
        base_fee_per_gas=environment.base_fee_per_gas,
        excess_blob_gas=environment.excess_blob_gas,
    )


def build_state(nodes: NodeSource, pre_root: bytes, environment: EvmEnvironment) -> CancunState:
    """EVM-5/EVM-6: py-evm's Cancun state over ``nodes`` at ``pre_root`` in ``environment``'s block
    context (:func:`pyevm_execution_context`), with the withdrawal precompile when the environment
    names one."""
    context = pyevm_execution_context(environment)
    withdrawal = (
        None
        if environment.withdrawal_address is None
        else (environment.withdrawal_address, environment.withdrawal_gas)
    )
    return _state_class(withdrawal)(cast(AtomicDatabaseAPI, _Loader(nodes)), context, Hash32(pre_root))


def execute_transaction(
    nodes: NodeSource, pre_root: bytes, tx: bytes, environment: EvmEnvironment
) -> tuple[TxOutcome, NewNodes]:
    """EVM-2..EVM-6, EVM-8: one transaction under ``environment`` (VM-2..VM-6)."""
    transaction = decode_transaction(tx, environment.allow_blob_transactions)
    state = build_state(nodes, pre_root, environment)
    check_transaction(state, transaction, environment)
    computation = state.apply_transaction(transaction)
    account_db = cast(TrieAccountDB, state._account_db)
    logs = computation.get_log_entries()
    outbox: list[OutboxEntry] = []
    if environment.withdrawal_address is not None:
        for address, topics, data in logs:
            if address == environment.withdrawal_address and topics[:1] == (WITHDRAWAL_TOPIC,):
                amount = int.from_bytes(data[:32], "big")
                sender = topics[1].to_bytes(32, "big")[12:]
                recipient = bytes(data[32:])
                outbox.append(OutboxEntry(int(OutboxKind.WITHDRAWAL), 0, recipient, amount, b"", sender))
        withdrawn = sum(entry.amount for entry in outbox)
        if withdrawn:
            account_db.withdraw(environment.withdrawal_address, withdrawn)
    post_root = account_db.make_state_root()
    gas_used = int(transaction.gas) - computation.get_gas_remaining()
    gas_used -= min(computation.get_gas_refund(), gas_used // 5)
    fee = gas_used * state.get_gas_price(transaction)
    if transaction.type_id == 3:
        fee += len(transaction.blob_versioned_hashes) * (1 << 17) * state.blob_base_fee
    outcome = TxOutcome(
        post_root=bytes(post_root),
        status=int(TxStatus.FAILED if computation.is_error else TxStatus.SUCCEEDED),
        gas_used=gas_used,
        fee=fee,
        events=tuple(_log_rlp(entry) for entry in logs),
        outbox=tuple(outbox),
    )
    return outcome, account_db.new_nodes()


def apply_transaction(
    preset: Preset,
    nodes: NodeSource,
    pre_root: bytes,
    tx: bytes,
    context: ExecutionContext,
) -> tuple[TxOutcome, NewNodes]:
    """VM-2..VM-6 for an EVM sidechain: :func:`execute_transaction` in the sidechain's environment
    under ``preset.evm``."""
    return execute_transaction(nodes, pre_root, tx, evm_environment(context, preset.evm))


# --------------------------------------------------------------------------------------------
# EVM-1, EVM-7: building state and deposits
# --------------------------------------------------------------------------------------------


def compute_state(accounts: Mapping[bytes, EvmAccount]) -> tuple[bytes, dict[bytes, bytes]]:
    """EVM-1: the state root of ``accounts`` and every preimage (trie nodes and code) it needs."""
    nodes: dict[bytes, bytes] = {}
    items: dict[bytes, bytes] = {}
    for address, account in accounts.items():
        _check_address(address, "account address")
        slots = {
            _slot_key(slot): rlp.encode(value) for slot, value in (account.storage or {}).items() if value
        }
        storage = Trie.from_items(slots, HASHER)
        nodes.update(storage.node_store)
        code_hash = keccak256(account.code)
        if account.code:
            nodes[code_hash] = account.code
        items[keccak256(address)] = rlp.encode(
            Account(account.nonce, account.balance, storage.root_hash, code_hash), sedes=Account
        )
    trie = Trie.from_items(items, HASHER)
    nodes.update(trie.node_store)
    return trie.root_hash, nodes


def credit_deposit(
    nodes: NodeSource, pre_root: bytes, recipient: bytes, amount: int
) -> tuple[bytes, NewNodes]:
    """EVM-7: the state after crediting ``amount`` to ``recipient``, and the new preimages."""
    address = _check_address(recipient, "deposit recipient")
    account_db = TrieAccountDB(cast(AtomicDatabaseAPI, _Loader(nodes)), Hash32(pre_root))
    account_db.credit(address, amount)
    root = account_db.make_state_root()
    return bytes(root), account_db.new_nodes()


def apply_deposit(nodes: NodeSource, pre_root: bytes, deposit: Deposit) -> tuple[bytes, NewNodes]:
    """EVM-7: the sidechain transition's entry for a peg-in (SC-HDR-5): credit its recipient."""
    return credit_deposit(nodes, pre_root, deposit.recipient, deposit.amount)


def iter_accounts(nodes: NodeSource, root: bytes) -> Iterator[tuple[bytes, Account]]:
    """EVM-1: every ``(keccak(address), account)`` under ``root`` (reads the whole trie)."""
    for key, value in Trie.from_store(root, _Loader(nodes), HASHER, lazy=True).items():
        yield key, rlp.decode(value, sedes=Account)
