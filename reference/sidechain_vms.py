"""The node's wallet and queries for sidechains of every VM kind (issue 17 item 6, docs/node.md
"Sidechains of every VM kind").

:mod:`reference.sidechains` follows every registered sidechain through the spec's block transition,
which dispatches by VM kind (SCB-3, :func:`spec.sidechain.chain.vm_table`); its pool keeps a
transaction only if the spec's builder includes it. This module adds what depends on the kind:

* **wallet keys** the node's wallet seed gives one key per VM kind: the FerrisScript P2PKH account
  (VMF-1, :func:`reference.sidechains.account_of`), a secp256k1 key ``keccak256(EVM_KEY_TAG || seed)``
  whose Ethereum address is the EVM account (EVM-1), an Ed25519 seed ``keccak256(WASM_KEY_TAG ||
  seed)`` whose public key is the WASM account (VMW-1). :func:`wallet_address`.
* **accounts** :func:`account_info` reads an account on the node's tip (EVM-1 / VMW-1 / VMF-1);
  :func:`next_nonce` adds the wallet's transactions pending in the node's pool.
* **transactions** :func:`evm_wallet_transaction` signs an EIP-1559 transaction with py-evm's own
  transaction builder (EVM-2/3: the sidechain's chain id ``chain_id_base + id``, fee cap the fixed
  base fee, no tip); by default its gas limit is what the spec's builder measured on the tip plus
  a margin. :func:`wasm_wallet_transaction` signs a VMW-2 transaction (fuel price 1). Deploy and call
  (:func:`deploy_contract`, :func:`call_contract`) return the signed bytes and the address a
  deploy creates (EVM: ``keccak(rlp([sender, nonce]))[12:]``; WASM: VMW-6).
* **reads** :func:`read_storage` (an EVM slot, EVM-1; a WASM storage key, VMW-1) and, for EVM
  sidechains, :class:`EthApi`: the common ``eth_`` read methods over the node's tip, in Ethereum
  JSON-RPC's encoding (hex quantities without leading zeros, hex data), served by the node's RPC at
  ``/evm/<sidechain id>`` so Ethereum tooling can point at it. ``eth_call`` and
  ``eth_estimateGas`` run a message on a throw-away copy of the tip's state through py-evm (no
  signature, nonce or fee checks; the sender is credited the gas it buys, so BALANCE sees its own
  balance); nothing they do is kept. ``eth_sendRawTransaction`` goes into the sidechain pool
  (:meth:`SidechainService.submit`, what :attr:`EthApi.outbound` collects is relayed by the RPC);
  ``eth_getTransactionReceipt``, ``eth_getLogs`` and ``eth_getTransactionByHash`` read the chain's
  index (:class:`reference.sidechains.LocalChain`: the spec's outcomes, VM-3, that
  ``apply_sidechain_block`` gave when the node applied each block, cut back when a checkpoint
  reverts blocks), parameters parsed by :mod:`reference.eth_params`.

Nothing here is a consensus rule: a transaction still has to pass the spec's checks in the pool and
in every node's block transition.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import rlp
from eth._utils.address import generate_contract_address
from eth.constants import EMPTY_SHA3
from eth.vm.forks.cancun import CancunVM
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from reference.eth_params import (
    EXECUTION_REVERTED,
    INVALID_PARAMS,
    TIP_TAGS,
    EthRpcError,
    compute_block_height,
    data_hex,
    get_param,
    parse_data,
    parse_quantity,
    parse_slot,
    quantity,
)
from reference.sidechains import (
    LocalChain,
    SidechainOutput,
    SidechainRejected,
    SidechainService,
    account_of,
    balance_of,
)
from spec.crypto import ed25519
from spec.errors import SpecError
from spec.sidechain.chain import (
    FEE_SINKS,
    apply_sidechain_block,
    build_sidechain_block,
    vm_table,
)
from spec.sidechain.header import compute_header_hash
from spec.trie import keccak256
from spec.vm import evm, wasm
from spec.vm.interface import ExecutionContext, TxOutcome, TxStatus, VmKind

EVM_KEY_TAG = b"rusty-coin/wallet/evm"
WASM_KEY_TAG = b"rusty-coin/wallet/wasm"
GAS_MARGIN_PERCENT = 25
"""The wallet's gas limit is the gas the tip measured plus this share (and 5,000): refunds and the
63/64 rule make the measured gas a little less than the gas a transaction needs to succeed."""
GAS_MARGIN_FLOOR = 5_000
DEFAULT_ESTIMATE_GAS = 1_000_000
"""``eth_call``/``eth_estimateGas`` without ``gas``: at most this, and at most ``evm.max_tx_gas``."""
WASM_FUEL_PRICE = 1
INTRINSIC_TRANSFER_GAS = 21_000
"""Ethereum's intrinsic gas of a transaction: below it the wallet cannot even pay for a transfer."""


def evm_key(seed: bytes) -> PrivateKey:
    """The wallet's secp256k1 key on EVM sidechains."""
    return PrivateKey(keccak256(EVM_KEY_TAG + seed))


def wasm_seed(seed: bytes) -> bytes:
    """The wallet's Ed25519 seed on WASM sidechains."""
    return keccak256(WASM_KEY_TAG + seed)


def wallet_address(kind: VmKind, seed: bytes) -> bytes:
    """The wallet's account on a sidechain of ``kind``: a FerrisScript account id (32 bytes), an EVM
    address (20 bytes) or a WASM address (the Ed25519 public key, 32 bytes)."""
    if kind is VmKind.EVM:
        address: bytes = evm_key(seed).public_key.to_canonical_address()
        return address
    if kind is VmKind.WASM:
        return ed25519.public_key_from_seed(wasm_seed(seed))
    return account_of(seed)


ADDRESS_BYTES = {VmKind.FERRIS: 32, VmKind.EVM: 20, VmKind.WASM: 32}


def chain_of(service: SidechainService, sidechain_id: int) -> tuple[LocalChain, VmKind]:
    """The node's chain of ``sidechain_id`` and its VM kind (:class:`SidechainRejected` if unknown)."""
    chain = service.local(sidechain_id)
    if chain is None:
        raise SidechainRejected(f"no sidechain {sidechain_id}")
    return chain, VmKind(chain.record.spec.vm_kind)


def check_address(kind: VmKind, address: bytes) -> bytes:
    """``address`` if it has the length of an account of ``kind``; :class:`SidechainRejected` otherwise."""
    if len(address) != ADDRESS_BYTES[kind]:
        raise SidechainRejected(f"a {kind.name} address has {ADDRESS_BYTES[kind]} bytes, not {len(address)}")
    return address


def account_info(service: SidechainService, sidechain_id: int, address: bytes) -> dict[str, Any]:
    """The account at ``address`` on the node's tip: balance, nonce, and for a contract its code hash."""
    chain, kind = chain_of(service, sidechain_id)
    check_address(kind, address)
    tip = chain.tip
    height = tip.tip.height
    if kind is VmKind.FERRIS:
        found = balance_of(service, sidechain_id, address)
        return {"vm_kind": "ferris", "address": address.hex(), **found, "code_hash": None}
    if kind is VmKind.EVM:
        state = _evm_state(service, chain, tip.tip.state_root)
        code_hash = bytes(state.get_code_hash(Address(address)))
        return {
            "vm_kind": "evm",
            "address": address.hex(),
            "balance": int(state.get_balance(Address(address))),
            "nonce": int(state.get_nonce(Address(address))),
            "code_hash": None if code_hash == EMPTY_SHA3 else code_hash.hex(),
            "height": height,
        }
    record = wasm.get_account(wasm.load_state(tip.nodes, tip.tip.state_root), address)
    return {
        "vm_kind": "wasm",
        "address": address.hex(),
        "balance": record.balance,
        "nonce": record.nonce,
        "code_hash": record.code_hash.hex() or None,
        "height": height,
    }


def _sender_of(kind: VmKind, service: SidechainService, raw: bytes) -> bytes | None:
    with contextlib.suppress(SpecError):
        if kind is VmKind.EVM:
            return bytes(evm.decode_transaction(raw).sender)
        if kind is VmKind.WASM:
            return wasm.decode_transaction(raw, service.preset.vm_wasm).sender
    return None


def next_nonce(service: SidechainService, sidechain_id: int, address: bytes) -> int:
    """The nonce of ``address``'s next transaction: its nonce on the tip plus its pending ones."""
    _, kind = chain_of(service, sidechain_id)
    nonce = int(account_info(service, sidechain_id, address)["nonce"])
    for pending in service.pool(sidechain_id):
        if _sender_of(kind, service, pending) == address:
            nonce += 1
    return nonce


def measure(service: SidechainService, sidechain_id: int, raw: bytes) -> TxOutcome:
    """The outcome of ``raw`` after the pending transactions on the node's tip, by the spec's own
    builder and block transition (SCB-6, SCB-1..5); :class:`SidechainRejected` with the VM's code
    if the builder leaves it out."""
    chain, _ = chain_of(service, sidechain_id)
    tip = chain.tip
    pending = service.pool(sidechain_id)
    inputs = service.mainchain_inputs(sidechain_id)
    try:
        block = build_sidechain_block(
            tip, [*pending, raw], inputs, tip.tip.timestamp, tip.tip.deposit_cursor, service.preset
        )
        if raw not in block.transactions:
            vm = vm_table(service.preset)[tip.vm_kind]
            context = ExecutionContext(
                sidechain_id, tip.tip.height + 1, tip.tip.timestamp, vm.fee_recipient, vm.max_tx_gas
            )
            vm.apply_transaction(service.preset, tip.nodes, tip.tip.state_root, raw, context)
            raise SidechainRejected("the transaction does not fit after the pending ones")
        result = apply_sidechain_block(tip, block, inputs, service.preset)
    except SpecError as exc:
        raise SidechainRejected(f"{exc.code}: {exc}") from exc
    return result.outcomes[block.transactions.index(raw)]


def _with_margin(gas: int, cap: int) -> int:
    return min(cap, gas + gas * GAS_MARGIN_PERCENT // 100 + GAS_MARGIN_FLOOR)


def evm_wallet_transaction(
    service: SidechainService,
    sidechain_id: int,
    seed: bytes,
    to: bytes | None,
    value: int = 0,
    data: bytes = b"",
    gas: int | None = None,
) -> bytes:
    """EVM-2/3: an EIP-1559 transaction of the wallet's EVM key (``to=None``: a contract creation),
    signed by py-evm's builder, with the next nonce; ``gas=None`` measures it on the tip."""
    _, kind = chain_of(service, sidechain_id)
    if kind is not VmKind.EVM:
        raise SidechainRejected(f"sidechain {sidechain_id} is not an EVM sidechain")
    params = service.preset.evm
    key = evm_key(seed)
    sender = wallet_address(VmKind.EVM, seed)
    nonce = next_nonce(service, sidechain_id, sender)
    builder: Any = CancunVM.get_transaction_builder()
    chain_id = params.chain_id_base + sidechain_id

    def signed(limit: int) -> bytes:
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            chain_id, nonce, 0, params.base_fee_per_gas, limit, to or b"", value, data, ()
        )
        encoded: bytes = unsigned.as_signed_transaction(key).encode()
        return encoded

    if gas is None:
        balance = int(account_info(service, sidechain_id, sender)["balance"])
        cap = min(params.max_tx_gas, max(0, balance - value) // params.base_fee_per_gas)
        if cap < INTRINSIC_TRANSFER_GAS:
            raise SidechainRejected(
                f"the wallet's EVM account {sender.hex()} holds {balance}: too little for gas"
            )
        gas = _with_margin(measure(service, sidechain_id, signed(cap)).gas_used, cap)
    return signed(gas)


def wasm_wallet_transaction(
    service: SidechainService,
    sidechain_id: int,
    seed: bytes,
    kind: int,
    to: bytes = b"",
    value: int = 0,
    data: bytes = b"",
    fuel_limit: int | None = None,
) -> bytes:
    """VMW-2/3: a transaction of the wallet's WASM key (kind transfer, deploy or call) with the next
    nonce and fuel price 1; ``fuel_limit=None`` measures it on the tip."""
    _, vm_kind = chain_of(service, sidechain_id)
    if vm_kind is not VmKind.WASM:
        raise SidechainRejected(f"sidechain {sidechain_id} is not a WASM sidechain")
    secret = wasm_seed(seed)
    sender = wallet_address(VmKind.WASM, seed)
    nonce = next_nonce(service, sidechain_id, sender)

    def signed(limit: int) -> bytes:
        unsigned = wasm.WasmTransaction(
            kind, sender, nonce, limit, WASM_FUEL_PRICE, value, to, data, bytes(64)
        )
        return wasm.encode_transaction(wasm.sign_transaction(unsigned, secret, sidechain_id))

    if fuel_limit is None:
        balance = int(account_info(service, sidechain_id, sender)["balance"])
        cap = min(service.preset.vm_wasm.max_tx_fuel, max(0, balance - value) // WASM_FUEL_PRICE)
        if cap < service.preset.vm_wasm.tx_base_fuel:
            raise SidechainRejected(
                f"the wallet's WASM account {sender.hex()} holds {balance}: too little for fuel"
            )
        fuel_limit = _with_margin(measure(service, sidechain_id, signed(cap)).gas_used, cap)
    return signed(fuel_limit)


@dataclass(frozen=True)
class WalletTx:
    """A signed sidechain transaction the wallet built, and the contract a deploy creates."""

    raw: bytes
    contract: bytes | None = None


def deploy_contract(
    service: SidechainService, sidechain_id: int, seed: bytes, code: bytes, value: int = 0
) -> WalletTx:
    """A deploy by the wallet: EVM initcode (a creation transaction) or a WASM module (VMW-4 checked
    by the VM), with the address it creates."""
    _, kind = chain_of(service, sidechain_id)
    sender = wallet_address(kind, seed) if kind is not VmKind.FERRIS else b""
    if kind is VmKind.EVM:
        nonce = next_nonce(service, sidechain_id, sender)
        raw = evm_wallet_transaction(service, sidechain_id, seed, None, value, code)
        return WalletTx(raw, bytes(generate_contract_address(Address(sender), nonce)))
    if kind is VmKind.WASM:
        nonce = next_nonce(service, sidechain_id, sender)
        raw = wasm_wallet_transaction(service, sidechain_id, seed, wasm.TxKind.DEPLOY, b"", value, code)
        return WalletTx(raw, wasm.compute_contract_address(sender, nonce))
    raise SidechainRejected("FerrisScript sidechains have no contracts to deploy")


def call_contract(
    service: SidechainService, sidechain_id: int, seed: bytes, contract: bytes, data: bytes, value: int = 0
) -> WalletTx:
    """A call by the wallet of ``contract`` with input ``data`` (EVM calldata, the WASM ``call``
    export's input)."""
    _, kind = chain_of(service, sidechain_id)
    if kind is VmKind.EVM:
        check_address(kind, contract)
        return WalletTx(evm_wallet_transaction(service, sidechain_id, seed, contract, value, data))
    if kind is VmKind.WASM:
        check_address(kind, contract)
        raw = wasm_wallet_transaction(service, sidechain_id, seed, wasm.TxKind.CALL, contract, value, data)
        return WalletTx(raw)
    raise SidechainRejected("FerrisScript sidechains have no contracts to call")


def transfer(service: SidechainService, sidechain_id: int, seed: bytes, to: bytes, value: int) -> WalletTx:
    """A plain value transfer by the wallet on an EVM or WASM sidechain."""
    _, kind = chain_of(service, sidechain_id)
    check_address(kind, to)
    if kind is VmKind.EVM:
        return WalletTx(evm_wallet_transaction(service, sidechain_id, seed, to, value))
    if kind is VmKind.WASM:
        return WalletTx(wasm_wallet_transaction(service, sidechain_id, seed, wasm.TxKind.TRANSFER, to, value))
    raise SidechainRejected("use sidechaintransfer on FerrisScript sidechains")


def read_storage(service: SidechainService, sidechain_id: int, contract: bytes, key: bytes) -> bytes:
    """A contract's storage value on the node's tip: EVM slot ``key`` (up to 32 bytes, a big-endian
    number) as 32 bytes, or the WASM value under ``key`` (empty when absent)."""
    chain, kind = chain_of(service, sidechain_id)
    check_address(kind, contract)
    tip = chain.tip
    if kind is VmKind.EVM:
        if len(key) > 32:
            raise SidechainRejected("an EVM storage slot has at most 32 bytes")
        state = _evm_state(service, chain, tip.tip.state_root)
        value = state.get_storage(Address(contract), int.from_bytes(key, "big"))
        return int(value).to_bytes(32, "big")
    if kind is VmKind.WASM:
        value_bytes = wasm.load_state(tip.nodes, tip.tip.state_root).get(wasm.storage_key(contract, key))
        return value_bytes or b""
    raise SidechainRejected("FerrisScript sidechains have no contract storage")


# ---------------------------------------------------------------------------------------- eth_ reads


def _evm_state(service: SidechainService, chain: LocalChain, root: bytes) -> Any:
    """A py-evm Cancun state over the tip's nodes in the sidechain's next-block environment (EVM-5)."""
    tip = chain.tip.tip
    params = service.preset.evm
    vm = vm_table(service.preset)[VmKind.EVM]
    context = ExecutionContext(
        tip.sidechain_id, tip.height + 1, tip.timestamp, vm.fee_recipient, vm.max_tx_gas
    )
    return evm.build_state(chain.tip.nodes, root, evm.evm_environment(context, params))


class EthApi:
    """The ``eth_`` read methods of one EVM sidechain over the node's tip (and its blocks)."""

    def __init__(self, service: SidechainService, sidechain_id: int) -> None:
        try:
            self.chain, kind = chain_of(service, sidechain_id)
        except SidechainRejected as exc:
            raise EthRpcError(INVALID_PARAMS, str(exc)) from None
        if kind is not VmKind.EVM:
            raise EthRpcError(INVALID_PARAMS, f"sidechain {sidechain_id} is not an EVM sidechain")
        self.service = service
        self.sidechain_id = sidechain_id
        self.methods: dict[str, Callable[[list[Any]], Any]] = {
            "eth_chainId": self.eth_chain_id,
            "net_version": self.net_version,
            "web3_clientVersion": lambda params: "rusty-coin-reference/evm-sidechain",
            "eth_blockNumber": lambda params: quantity(self.chain.tip.tip.height),
            "eth_gasPrice": lambda params: quantity(self.service.preset.evm.base_fee_per_gas),
            "eth_maxPriorityFeePerGas": lambda params: quantity(0),
            "eth_syncing": lambda params: False,
            "eth_getBalance": self.eth_get_balance,
            "eth_getTransactionCount": self.eth_get_transaction_count,
            "eth_getCode": self.eth_get_code,
            "eth_getStorageAt": self.eth_get_storage_at,
            "eth_call": self.eth_call,
            "eth_estimateGas": self.eth_estimate_gas,
            "eth_getBlockByNumber": self.eth_get_block_by_number,
            "eth_sendRawTransaction": self.eth_send_raw_transaction,
            "eth_getTransactionReceipt": self.eth_get_transaction_receipt,
            "eth_getLogs": self.eth_get_logs,
            "eth_getTransactionByHash": self.eth_get_transaction_by_hash,
        }
        self.outbound: list[SidechainOutput] = []
        """What ``eth_sendRawTransaction`` handed the sidechain pool to relay (the caller sends it)."""

    def dispatch(self, method: str, params: list[Any]) -> Any:
        """The result of ``method`` (:class:`EthRpcError` for bad parameters or a revert; ``KeyError``
        for an unknown method)."""
        return self.methods[method](params)

    def eth_chain_id(self, params: list[Any]) -> str:
        return quantity(self.service.preset.evm.chain_id_base + self.sidechain_id)

    def net_version(self, params: list[Any]) -> str:
        return str(self.service.preset.evm.chain_id_base + self.sidechain_id)

    def _root(self, params: list[Any], position: int) -> bytes:
        """The state root of the block tag at ``position`` (default ``latest``)."""
        height = compute_block_height(get_param(params, position, "latest"), self.chain.tip.tip.height)
        return self.chain.states[height].tip.state_root

    def _state(self, params: list[Any], position: int) -> Any:
        return _evm_state(self.service, self.chain, self._root(params, position))

    def _address(self, params: list[Any], position: int) -> Address:
        if len(params) <= position:
            raise EthRpcError(INVALID_PARAMS, f"parameter {position} (an address) is missing")
        return Address(parse_data(params[position], "address", 20))

    def eth_get_balance(self, params: list[Any]) -> str:
        return quantity(self._state(params, 1).get_balance(self._address(params, 0)))

    def eth_get_transaction_count(self, params: list[Any]) -> str:
        return quantity(self._state(params, 1).get_nonce(self._address(params, 0)))

    def eth_get_code(self, params: list[Any]) -> str:
        return data_hex(bytes(self._state(params, 1).get_code(self._address(params, 0))))

    def eth_get_storage_at(self, params: list[Any]) -> str:
        address = self._address(params, 0)
        slot = parse_slot(get_param(params, 1), "slot")
        value = self._state(params, 2).get_storage(address, slot)
        return data_hex(int(value).to_bytes(32, "big"))

    def _run(self, params: list[Any]) -> tuple[Any, int]:
        """A message from the call object ``params[0]`` on a throw-away state: the computation and
        the gas it used (EIP-1559 accounting, refunds applied as a transaction's are)."""
        if not params or not isinstance(params[0], dict):
            raise EthRpcError(INVALID_PARAMS, "parameter 0 must be a call object")
        call = params[0]
        state = self._state(params, 1)
        evm_params = self.service.preset.evm
        sender = Address(parse_data(call["from"], "from", 20) if call.get("from") else bytes(20))
        to = parse_data(call["to"], "to", 20) if call.get("to") else b""
        value = parse_quantity(call.get("value", 0), "value")
        raw_data = call.get("data", call.get("input", "0x"))
        data = parse_data(raw_data, "data")
        limit = min(evm_params.max_tx_gas, DEFAULT_ESTIMATE_GAS)
        gas = parse_quantity(call["gas"], "gas") if call.get("gas") is not None else limit
        if gas > evm_params.max_tx_gas:
            raise EthRpcError(INVALID_PARAMS, f"gas above the sidechain's limit {evm_params.max_tx_gas}")
        builder: Any = CancunVM.get_transaction_builder()
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            evm_params.chain_id_base + self.sidechain_id,
            state.get_nonce(sender),
            0,
            evm_params.base_fee_per_gas,
            gas,
            to,
            value,
            data,
            (),
        )
        state.delta_balance(sender, gas * evm_params.base_fee_per_gas)  # it buys the gas back at once
        try:
            computation = state.apply_transaction(SpoofTransaction(unsigned, from_=sender))
        except Exception as exc:  # py-evm's validation: intrinsic gas, value above the balance, ...
            raise EthRpcError(INVALID_PARAMS, f"not executable: {type(exc).__name__}: {exc}") from None
        used = gas - computation.get_gas_remaining()
        used -= min(computation.get_gas_refund(), used // 5)
        return computation, used

    def eth_call(self, params: list[Any]) -> str:
        computation, _ = self._run(params)
        if computation.is_error:
            output = bytes(computation.output)
            raise EthRpcError(EXECUTION_REVERTED, "execution reverted", data_hex(output))
        return data_hex(bytes(computation.output))

    def eth_estimate_gas(self, params: list[Any]) -> str:
        """The gas the call used plus the wallet's margin (not a binary search: an upper bound)."""
        computation, used = self._run(params)
        if computation.is_error:
            raise EthRpcError(EXECUTION_REVERTED, "execution reverted", data_hex(bytes(computation.output)))
        return quantity(_with_margin(used, self.service.preset.evm.max_tx_gas))

    def eth_get_block_by_number(self, params: list[Any]) -> dict[str, Any] | None:
        """A sidechain block as an Ethereum block object: the fields our header has (number, hash,
        parentHash, timestamp, stateRoot, transactionsRoot: our Merkle root) and the transactions'
        hashes (``keccak`` of each encoding, Ethereum's transaction hash) or objects."""
        tag = get_param(params, 0, "latest")
        tip = self.chain.tip.tip.height
        if tag not in TIP_TAGS and tag != "earliest" and parse_quantity(tag, "block") > tip:
            return None  # a well-formed height beyond the tip: Ethereum answers null
        height = compute_block_height(tag, tip)
        full = bool(params[1]) if len(params) > 1 else False
        state = self.chain.states[height]
        header = state.tip
        block = self.chain.blocks[height]
        transactions = block.transactions if block is not None else ()
        vm = vm_table(self.service.preset)[VmKind.EVM]
        header_hash = compute_header_hash(header)
        listed: list[Any] = [
            _transaction_object(raw, (height, index, header_hash)) if full else data_hex(keccak256(raw))
            for index, raw in enumerate(transactions)
        ]
        return {
            "number": quantity(height),
            "hash": data_hex(header_hash),
            "parentHash": data_hex(header.parent),
            "timestamp": quantity(header.timestamp),
            "stateRoot": data_hex(header.state_root),
            "transactionsRoot": data_hex(header.tx_root),
            "miner": data_hex(FEE_SINKS[VmKind.EVM]),
            "gasLimit": quantity(vm.block_gas_limit),
            "baseFeePerGas": quantity(self.service.preset.evm.base_fee_per_gas),
            "transactions": listed,
            "uncles": [],
        }

    # ------------------------------------------------------------------ transactions, receipts, logs

    def eth_send_raw_transaction(self, params: list[Any]) -> str:
        """EVM-2: the signed transaction into the sidechain pool (as ``sendsidechaintx``: kept if the
        next block could include it); its hash is ``keccak`` of the encoding."""
        raw = parse_data(get_param(params, 0), "transaction")
        try:
            self.outbound.extend(self.service.submit(self.sidechain_id, raw))
        except SidechainRejected as exc:
            raise EthRpcError(INVALID_PARAMS, str(exc)) from None
        return data_hex(keccak256(raw))

    def _outcomes(self, height: int) -> tuple[TxOutcome, ...]:
        """Each transaction's outcome in block ``height`` (VM-3), as the spec's transition gave it
        when the node applied the block (SCB-1..5; the chain's index, :class:`LocalChain`)."""
        return self.chain.outcomes[height]

    def _find(self, tx_hash: bytes) -> tuple[int, int] | None:
        """``(height, index)`` of the transaction with ``tx_hash`` on the node's chain (the index)."""
        return self.chain.positions.get(tx_hash)

    def _height_of(self, header_hash: bytes) -> int | None:
        """The height of the block with ``header_hash`` on the node's chain (the index)."""
        return self.chain.heights.get(header_hash)

    def eth_get_transaction_by_hash(self, params: list[Any]) -> dict[str, Any] | None:
        """The transaction with that hash (``keccak`` of its encoding) on the node's chain, or in
        its pool (``blockHash``, ``blockNumber`` and ``transactionIndex`` null); ``null`` if
        neither has it."""
        tx_hash = parse_data(get_param(params, 0), "transaction hash", 32)
        found = self._find(tx_hash)
        if found is not None:
            height, index = found
            block = self.chain.blocks[height]
            assert block is not None
            header_hash = compute_header_hash(self.chain.states[height].tip)
            return _transaction_object(block.transactions[index], (height, index, header_hash))
        for raw in self.service.pool(self.sidechain_id):
            if keccak256(raw) == tx_hash:
                return _transaction_object(raw, None)
        return None

    def _logs(self, height: int, outcomes: tuple[TxOutcome, ...]) -> list[dict[str, Any]]:
        """Every log of block ``height`` as an Ethereum log object (``logIndex`` counts in the block)."""
        block = self.chain.blocks[height]
        assert block is not None or not outcomes
        block_hash = data_hex(compute_header_hash(self.chain.states[height].tip))
        logs: list[dict[str, Any]] = []
        for index, outcome in enumerate(outcomes):
            tx_hash = data_hex(keccak256(block.transactions[index])) if block is not None else None
            for event in outcome.events:
                address, topics, data = rlp.decode(event)
                logs.append(
                    {
                        "address": data_hex(bytes(address)),
                        "topics": [data_hex(bytes(topic)) for topic in topics],
                        "data": data_hex(bytes(data)),
                        "blockNumber": quantity(height),
                        "blockHash": block_hash,
                        "transactionHash": tx_hash,
                        "transactionIndex": quantity(index),
                        "logIndex": quantity(len(logs)),
                        "removed": False,
                    }
                )
        return logs

    def eth_get_transaction_receipt(self, params: list[Any]) -> dict[str, Any] | None:
        """The receipt of an included transaction (``null`` if the node's chain has none with that
        hash): status, gas, the created contract's address, logs and their bloom, from the spec's
        outcome of the block (VM-3)."""
        found = self._find(parse_data(get_param(params, 0), "transaction hash", 32))
        if found is None:
            return None
        height, index = found
        block = self.chain.blocks[height]
        assert block is not None
        outcomes = self._outcomes(height)
        outcome = outcomes[index]
        decoded = evm.decode_transaction(block.transactions[index])
        logs = [log for log in self._logs(height, outcomes) if log["transactionIndex"] == quantity(index)]
        created = (
            data_hex(generate_contract_address(decoded.sender, int(decoded.nonce)))
            if not decoded.to and outcome.status == TxStatus.SUCCEEDED
            else None
        )
        return {
            "transactionHash": data_hex(keccak256(block.transactions[index])),
            "transactionIndex": quantity(index),
            "blockHash": data_hex(compute_header_hash(self.chain.states[height].tip)),
            "blockNumber": quantity(height),
            "from": data_hex(bytes(decoded.sender)),
            "to": data_hex(bytes(decoded.to)) if decoded.to else None,
            "cumulativeGasUsed": quantity(sum(o.gas_used for o in outcomes[: index + 1])),
            "gasUsed": quantity(outcome.gas_used),
            "effectiveGasPrice": quantity(outcome.fee // outcome.gas_used if outcome.gas_used else 0),
            "contractAddress": created,
            "logs": logs,
            "logsBloom": data_hex(compute_logs_bloom(outcome.events)),
            "status": quantity(outcome.status),
            "type": quantity(int(decoded.type_id or 0)),
        }

    def eth_get_logs(self, params: list[Any]) -> list[dict[str, Any]]:
        """The logs of blocks ``fromBlock..toBlock`` (default: the tip; at most
        :data:`MAX_LOG_BLOCKS` blocks) or of ``blockHash``, from ``address`` (one or a list) and
        matching ``topics`` (:func:`is_topic_match`)."""
        query = get_param(params, 0)
        if not isinstance(query, dict):
            raise EthRpcError(INVALID_PARAMS, "parameter 0 must be a filter object")
        tip = self.chain.tip.tip.height
        if query.get("blockHash") is not None:
            at = self._height_of(parse_data(query["blockHash"], "blockHash", 32))
            if at is None:
                raise EthRpcError(INVALID_PARAMS, "no block with that hash")
            heights = [at]
        else:
            first = compute_block_height(query.get("fromBlock", "latest"), tip)
            last = compute_block_height(query.get("toBlock", "latest"), tip)
            if last - first >= MAX_LOG_BLOCKS:
                raise EthRpcError(INVALID_PARAMS, f"at most {MAX_LOG_BLOCKS} blocks per query")
            heights = list(range(first, last + 1))
        addresses = _address_filter(query.get("address"))
        topics = _topic_filter(query.get("topics"))
        found: list[dict[str, Any]] = []
        for height in heights:
            for log in self._logs(height, self._outcomes(height)):
                if addresses is not None and log["address"] not in addresses:
                    continue
                if is_topic_match(topics, log["topics"]):
                    found.append(log)
        return found


MAX_LOG_BLOCKS = 1000
"""The most blocks one ``eth_getLogs`` query may span."""


def _transaction_object(raw: bytes, where: tuple[int, int, bytes] | None) -> dict[str, Any]:
    """An EVM transaction as an Ethereum transaction object; ``where`` is its block's height, its
    index there and the block's header hash (``None``: pending, those fields null)."""
    decoded = evm.decode_transaction(raw)
    return {
        "hash": data_hex(keccak256(raw)),
        "blockHash": data_hex(where[2]) if where else None,
        "blockNumber": quantity(where[0]) if where else None,
        "transactionIndex": quantity(where[1]) if where else None,
        "from": data_hex(bytes(decoded.sender)),
        "to": data_hex(bytes(decoded.to)) if decoded.to else None,
        "nonce": quantity(int(decoded.nonce)),
        "value": quantity(int(decoded.value)),
        "gas": quantity(int(decoded.gas)),
        "input": data_hex(bytes(decoded.data)),
        "type": quantity(int(decoded.type_id or 0)),
    }


def _address_filter(value: Any) -> set[str] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return {data_hex(parse_data(v, "address", 20)) for v in values}


def is_topic_match(topics: Sequence[set[str] | None], logged: Sequence[str]) -> bool:
    """Ethereum's topic filter (``eth_getLogs``, as go-ethereum's ``filterLogs``): the filter is
    positional and matches a prefix of the log's topics, so a log with fewer topics than the
    filter has positions never matches; per position ``None`` (``null`` or ``[]``) matches any
    topic, a set any topic in it (OR), and every position must match (AND)."""
    if len(topics) > len(logged):
        return False
    prefix = logged[: len(topics)]
    return all(
        alternatives is None or topic in alternatives
        for alternatives, topic in zip(topics, prefix, strict=True)
    )


def _topic_filter(value: Any) -> list[set[str] | None]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 4:
        raise EthRpcError(INVALID_PARAMS, "topics must be an array of at most 4 positions")
    positions: list[set[str] | None] = []
    for item in value:
        if item is None:
            positions.append(None)
            continue
        items = item if isinstance(item, list) else [item]
        alternatives = {data_hex(parse_data(t, "topic", 32)) for t in items}
        positions.append(alternatives or None)  # an empty list matches any topic (a wildcard)
    return positions


def compute_logs_bloom(events: tuple[bytes, ...]) -> bytes:
    """The 2048-bit log bloom of Ethereum's receipts (yellow paper 4.4.1): for the address and each
    topic of every log, three bits picked by the first six bytes of its ``keccak``."""
    bloom = 0
    for event in events:
        address, topics, _ = rlp.decode(event)
        for item in (address, *topics):
            digest = keccak256(bytes(item))
            for i in (0, 2, 4):
                bloom |= 1 << (int.from_bytes(digest[i : i + 2], "big") & 2047)
    return bloom.to_bytes(256, "big")


def decode_wasm_module(code: bytes) -> bytes:
    """A WASM module from the CLI: binary as given, or WAT text compiled by wasmtime's ``wat2wasm``."""
    if code[:4] == b"\0asm":
        return code
    import wasmtime

    try:
        return bytes(wasmtime.wat2wasm(code.decode("utf-8")))
    except (UnicodeDecodeError, wasmtime.WasmtimeError) as exc:
        raise SidechainRejected(f"neither a WASM binary nor WAT text: {exc}") from None


__all__ = [
    "MAX_LOG_BLOCKS",
    "EthApi",
    "EthRpcError",
    "WalletTx",
    "account_info",
    "call_contract",
    "compute_logs_bloom",
    "data_hex",
    "deploy_contract",
    "parse_data",
    "parse_quantity",
    "quantity",
    "read_storage",
    "transfer",
    "wallet_address",
]
