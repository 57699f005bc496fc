"""The FerrisScript sidechain VM (``VmKind.FERRIS``, rules VMF-1..VMF-8, docs/sidechain-blocks.md).

An account-style VM whose accounts are unlocked by FerrisScript (spec/script.py), executed through
the VM interface (spec/vm/interface.py, VM-1..6):
``apply_transaction(preset, nodes, pre_root, tx, context) -> (TxOutcome, new_nodes)``.

* **VMF-1** state: one Rusty Merkle Patricia Trie (``RUSTY_TRIE_HASHER``, VM-1). An account is
  named by its *account id* ``script_hash(locking_script)`` (32 bytes, SCRIPT_HASH domain): whoever
  can unlock the locking script owns the account. The key of an account is
  ``0x01 || account_id`` (33 bytes) and its value ``encode(Account)``: ``balance`` and ``nonce``,
  two varints. An absent key is the account ``(0, 0)``. No key is ever deleted.
* **VMF-2** a transaction is the canonical encoding of :class:`FerrisTransaction` (fields in this
  order): ``kind`` (1 byte: 0 transfer, 1 withdraw, 2 message), ``chain_id``, ``nonce``, ``fee``,
  ``amount``, ``target_chain`` (varints), ``recipient`` (at most 64 bytes), ``payload``,
  ``locking_script``, ``unlocking_script`` (length-prefixed bytes). Decoding checks, in order: the
  length is at most ``vm_ferris.max_transaction_bytes`` (``VM_FERRIS_TX_TOO_LARGE``), the bytes are
  canonical (``DECODE_*``), the kind is known (``VM_FERRIS_BAD_KIND``).
* **VMF-3** static checks, in order: ``chain_id`` is the executing sidechain
  (``VM_FERRIS_WRONG_CHAIN``); ``target_chain`` is 0 for a transfer or a withdrawal and neither 0
  nor the own chain for a message (``VM_FERRIS_BAD_TARGET``); the recipient is a 32-byte account id
  for a transfer and non-empty otherwise (``VM_FERRIS_BAD_RECIPIENT``); the payload is empty for a
  transfer and a withdrawal and at most ``max_payload_bytes`` for a message
  (``VM_FERRIS_BAD_PAYLOAD``); amount and fee are at most ``max_money`` and a withdrawal or message
  moves at least one atom (``VM_FERRIS_BAD_AMOUNT``).
* **VMF-4** gas: ``gas_used = base_gas + gas_per_byte * len(tx)``. It is at most
  ``context.gas_limit`` (``VM_FERRIS_GAS_LIMIT``) and ``fee >= gas_used * min_gas_price``
  (``VM_FERRIS_FEE_TOO_LOW``). The whole declared ``fee`` is charged.
* **VMF-5** authorisation: ``evaluate(unlocking_script, locking_script)`` (SCRIPT-1..18) with the
  signature hash ``tagged_hash(FERRIS_SIGNATURE_HASH, encode(tx with unlocking_script = b""))``
  (which covers ``chain_id``, so a signature never replays on another sidechain). CHECKSIG is
  strict Ed25519 (ED-1..3); CHECKLOCKTIMEVERIFY accepts a height at most ``context.height``;
  CHECKSEQUENCEVERIFY never accepts (accounts have no coin age). Any SCRIPT-* failure is
  ``VM_FERRIS_UNAUTHORIZED`` (the script code in its detail), and so is a malformed Ed25519 key or
  signature (an ``ED25519_*`` code, SCRIPT-15).
* **VMF-6** the sender account's nonce equals ``nonce`` (``VM_FERRIS_BAD_NONCE``) and its balance
  is at least ``fee`` (``VM_FERRIS_CANNOT_PAY_FEE``). These are the only state reads before the
  transaction is known valid.
* **VMF-7** effects. The fee leaves the sender and is burnt (the sidechain has no fee recipient;
  ``context.fee_recipient`` is ignored) and the nonce goes up by one. If the balance left is below
  ``amount`` the transaction FAILED (VM-3: fee charged, nothing else, no outbox entry). Otherwise
  it SUCCEEDED: a transfer credits the recipient account; a withdrawal emits
  ``OutboxEntry(WITHDRAWAL, 0, recipient, amount, b"", sender)``; a message emits
  ``OutboxEntry(MESSAGE, target_chain, recipient, amount, payload, sender)`` (``sender`` the
  sender's account id, VM-5). One event is emitted: ``encode(FerrisEvent)`` with the sender's
  account id. Both accounts are read from the pre-state; a transfer to oneself only burns the fee.
* **VMF-8** credits from the mainchain (:func:`credit_account`, used by SCB-2): a deposit or an
  inbound message adds ``amount`` to the account ``recipient``; it cannot be accepted (and is
  refunded by the block transition) if the recipient is not a 32-byte account id or the balance
  would exceed ``max_money``.

Reads and writes walk only the keys' paths (spec/vm/nodes.py), so the witness of a transaction
(VM-6) is the proof nodes of the sender's and recipient's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import IntEnum

from spec.crypto import ed25519
from spec.encoding import Struct, UInt, VarBytes, Varint, decode, encode
from spec.errors import (
    FerrisBadAmount,
    FerrisBadKind,
    FerrisBadNonce,
    FerrisBadPayload,
    FerrisBadRecipient,
    FerrisBadTarget,
    FerrisCannotPayFee,
    FerrisFeeTooLow,
    FerrisGasLimit,
    FerrisTxTooLarge,
    FerrisUnauthorized,
    FerrisWrongChain,
    SpecError,
)
from spec.hashing import HashDomain, tagged_hash
from spec.presets import FerrisVmParams, Preset, ScriptParams
from spec.script import evaluate, p2pkh_script, p2pkh_script_sig, script_hash
from spec.trie import RUSTY_TRIE_HASHER, Node
from spec.vm.interface import (
    ExecutionContext,
    OutboxEntry,
    OutboxKind,
    TxOutcome,
    TxStatus,
)
from spec.vm.nodes import decoded_cache, get_value, put_values

HASHER = RUSTY_TRIE_HASHER
"""VMF-1: the state trie's hasher (VM-1)."""

ACCOUNT_PREFIX = b"\x01"
"""VMF-1: the first byte of every account key."""

ACCOUNT_ID_BYTES = 32
"""VMF-1: an account id is ``script_hash(locking_script)``."""

MAX_RECIPIENT_BYTES = 64
"""VMF-2: the longest recipient (an outbox entry's recipient field, VM-5)."""

CODEC_MAX_BYTES = 1 << 16
"""VMF-2: the static bound of the payload and script fields (the preset limits are tighter)."""


class FerrisTxKind(IntEnum):
    """VMF-2: what a transaction does."""

    TRANSFER = 0
    WITHDRAW = 1
    MESSAGE = 2


@dataclass(frozen=True)
class FerrisTransaction:
    """VMF-2: one FerrisScript sidechain transaction."""

    kind: int
    chain_id: int
    nonce: int
    fee: int
    amount: int
    target_chain: int
    recipient: bytes
    payload: bytes
    locking_script: bytes
    unlocking_script: bytes


@dataclass(frozen=True)
class Account:
    """VMF-1: the value stored under an account key."""

    balance: int
    nonce: int


@dataclass(frozen=True)
class FerrisEvent:
    """VMF-7: the event of an included transaction: who sent it."""

    sender: bytes


TRANSACTION_CODEC: Struct[FerrisTransaction] = Struct(
    FerrisTransaction,
    (
        ("kind", UInt(1)),
        ("chain_id", Varint()),
        ("nonce", Varint()),
        ("fee", Varint()),
        ("amount", Varint()),
        ("target_chain", Varint()),
        ("recipient", VarBytes(MAX_RECIPIENT_BYTES)),
        ("payload", VarBytes(CODEC_MAX_BYTES)),
        ("locking_script", VarBytes(CODEC_MAX_BYTES)),
        ("unlocking_script", VarBytes(CODEC_MAX_BYTES)),
    ),
)
ACCOUNT_CODEC: Struct[Account] = Struct(Account, (("balance", Varint()), ("nonce", Varint())))
EVENT_CODEC: Struct[FerrisEvent] = Struct(FerrisEvent, (("sender", VarBytes(ACCOUNT_ID_BYTES)),))
EMPTY_ACCOUNT = Account(0, 0)


def compute_account_id(locking_script: bytes) -> bytes:
    """VMF-1: the account a locking script owns."""
    return script_hash(locking_script)


def account_key(account_id: bytes) -> bytes:
    """VMF-1: the trie key of an account."""
    return ACCOUNT_PREFIX + account_id


def encode_transaction(tx: FerrisTransaction) -> bytes:
    """VMF-2: the canonical encoding of ``tx``."""
    return encode(TRANSACTION_CODEC, tx)


def decode_transaction(data: bytes, params: FerrisVmParams) -> FerrisTransaction:
    """VMF-2: the transaction encoded by ``data`` (``VM_FERRIS_TX_TOO_LARGE``, ``DECODE_*``,
    ``VM_FERRIS_BAD_KIND`` otherwise)."""
    if len(data) > params.max_transaction_bytes:
        raise FerrisTxTooLarge(f"{len(data)} bytes, at most {params.max_transaction_bytes}")
    tx = decode(TRANSACTION_CODEC, data)
    if tx.kind not in FerrisTxKind.__members__.values():
        raise FerrisBadKind(f"kind {tx.kind}")
    return tx


def compute_signature_hash(tx: FerrisTransaction) -> bytes:
    """VMF-5: what the unlocking script's signatures sign."""
    return tagged_hash(
        HashDomain.FERRIS_SIGNATURE_HASH, encode_transaction(replace(tx, unlocking_script=b""))
    )


def check_static(
    tx: FerrisTransaction, context: ExecutionContext, params: FerrisVmParams, max_money: int
) -> None:
    """VMF-3: the checks that need neither gas nor state, in order."""
    if tx.chain_id != context.sidechain_id:
        raise FerrisWrongChain(f"signed for sidechain {tx.chain_id}, executing {context.sidechain_id}")
    if tx.kind == FerrisTxKind.MESSAGE:
        if tx.target_chain in (0, context.sidechain_id):
            raise FerrisBadTarget(f"a message to chain {tx.target_chain}")
    elif tx.target_chain != 0:
        raise FerrisBadTarget(f"target_chain {tx.target_chain} on a transfer or withdrawal")
    if tx.kind == FerrisTxKind.TRANSFER:
        if len(tx.recipient) != ACCOUNT_ID_BYTES:
            raise FerrisBadRecipient(f"a transfer's recipient is {len(tx.recipient)} bytes, not 32")
    elif not tx.recipient:
        raise FerrisBadRecipient("an empty recipient")
    if tx.kind == FerrisTxKind.MESSAGE:
        if len(tx.payload) > params.max_payload_bytes:
            raise FerrisBadPayload(f"{len(tx.payload)} payload bytes, at most {params.max_payload_bytes}")
    elif tx.payload:
        raise FerrisBadPayload("a payload on a transfer or withdrawal")
    if tx.amount > max_money or tx.fee > max_money:
        raise FerrisBadAmount(f"amount {tx.amount} or fee {tx.fee} above max_money {max_money}")
    if tx.kind != FerrisTxKind.TRANSFER and tx.amount == 0:
        raise FerrisBadAmount("a withdrawal or message of nothing")


def compute_gas(tx_length: int, params: FerrisVmParams) -> int:
    """VMF-4: the gas of a transaction of ``tx_length`` bytes."""
    return params.base_gas + params.gas_per_byte * tx_length


def check_gas(gas_used: int, fee: int, gas_limit: int, params: FerrisVmParams) -> None:
    """VMF-4: the gas fits ``gas_limit`` and the fee pays ``gas_used * min_gas_price``."""
    if gas_used > gas_limit:
        raise FerrisGasLimit(f"{gas_used} gas, {gas_limit} allowed")
    if fee < gas_used * params.min_gas_price:
        raise FerrisFeeTooLow(f"fee {fee} below {gas_used * params.min_gas_price}")


@dataclass(frozen=True)
class FerrisSignatureChecker:
    """VMF-5: the FerrisScript signature checker of one sidechain transaction."""

    message: bytes
    height: int

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        """ED-1..ED-3 over the VMF-5 signature hash."""
        return ed25519.verify(public_key, self.message, signature)

    def check_lock_time(self, lock_time: int) -> bool:
        """CHECKLOCKTIMEVERIFY: a sidechain height not above the executing block's."""
        return 0 <= lock_time <= self.height

    def check_sequence(self, sequence: int) -> bool:
        """CHECKSEQUENCEVERIFY: never (an account has no coin age)."""
        del sequence
        return False


def check_authorised(tx: FerrisTransaction, context: ExecutionContext, script: ScriptParams) -> None:
    """VMF-5: the unlocking script unlocks the locking script (``VM_FERRIS_UNAUTHORIZED`` otherwise)."""
    checker = FerrisSignatureChecker(compute_signature_hash(tx), context.height)
    try:
        evaluate(tx.unlocking_script, tx.locking_script, checker, script)
    except SpecError as error:  # a SCRIPT_* code, or ED25519_* for a malformed key or signature
        raise FerrisUnauthorized(f"{error.code}: {error.detail}") from None


def split_balance(balance: int, fee: int, amount: int) -> tuple[int, bool]:
    """VMF-6/VMF-7: ``(sender balance after, succeeded)``. The fee always leaves
    (``VM_FERRIS_CANNOT_PAY_FEE`` if the balance is below it); the amount leaves too if what is
    left covers it, otherwise the transaction FAILED and only the fee left."""
    if balance < fee:
        raise FerrisCannotPayFee(f"balance {balance} below fee {fee}")
    left = balance - fee
    return (left - amount, True) if left >= amount else (left, False)


def get_account(
    nodes: Mapping[bytes, bytes], root: bytes, account_id: bytes, cache: dict[bytes, Node] | None = None
) -> Account:
    """VMF-1: the account ``account_id`` in the state under ``root`` (``(0, 0)`` if absent)."""
    value = get_value(nodes, root, account_key(account_id), HASHER, cache)
    return EMPTY_ACCOUNT if value is None else decode(ACCOUNT_CODEC, value)


def _put(
    nodes: Mapping[bytes, bytes],
    root: bytes,
    account_id: bytes,
    account: Account,
    cache: dict[bytes, Node] | None = None,
) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
    return put_values(
        nodes, root, ((account_key(account_id), encode(ACCOUNT_CODEC, account)),), HASHER, cache
    )


def apply_ferris_transaction(
    nodes: Mapping[bytes, bytes],
    pre_root: bytes,
    tx: bytes,
    context: ExecutionContext,
    *,
    params: FerrisVmParams,
    script: ScriptParams,
    max_money: int,
) -> tuple[TxOutcome, tuple[tuple[bytes, bytes], ...]]:
    """VMF-2..7 (VM-1..5): execute one transaction on the state under ``pre_root``."""
    decoded = decode_transaction(tx, params)
    check_static(decoded, context, params, max_money)
    gas_used = compute_gas(len(tx), params)
    check_gas(gas_used, decoded.fee, context.gas_limit, params)
    check_authorised(decoded, context, script)
    sender_id = compute_account_id(decoded.locking_script)
    cache = decoded_cache(nodes)
    sender = get_account(nodes, pre_root, sender_id, cache)
    if decoded.nonce != sender.nonce:
        raise FerrisBadNonce(f"nonce {decoded.nonce}, the account's next is {sender.nonce}")
    after, succeeded = split_balance(sender.balance, decoded.fee, decoded.amount)
    events = (encode(EVENT_CODEC, FerrisEvent(sender_id)),)
    if not succeeded:
        root, created = _put(nodes, pre_root, sender_id, Account(after, sender.nonce + 1), cache)
        return TxOutcome(root, TxStatus.FAILED, gas_used, decoded.fee, events, ()), created
    writes = [(account_key(sender_id), encode(ACCOUNT_CODEC, Account(after, sender.nonce + 1)))]
    outbox: tuple[OutboxEntry, ...] = ()
    if decoded.kind == FerrisTxKind.TRANSFER:
        if decoded.recipient == sender_id:
            writes = [
                (
                    account_key(sender_id),
                    encode(ACCOUNT_CODEC, Account(after + decoded.amount, sender.nonce + 1)),
                )
            ]
        else:
            recipient = get_account(nodes, pre_root, decoded.recipient, cache)
            credited = Account(recipient.balance + decoded.amount, recipient.nonce)
            writes.append((account_key(decoded.recipient), encode(ACCOUNT_CODEC, credited)))
    elif decoded.kind == FerrisTxKind.WITHDRAW:
        outbox = (OutboxEntry(OutboxKind.WITHDRAWAL, 0, decoded.recipient, decoded.amount, b"", sender_id),)
    else:
        entry = OutboxEntry(
            OutboxKind.MESSAGE,
            decoded.target_chain,
            decoded.recipient,
            decoded.amount,
            decoded.payload,
            sender_id,
        )
        outbox = (entry,)
    root, created = put_values(nodes, pre_root, writes, HASHER, cache)
    return TxOutcome(root, TxStatus.SUCCEEDED, gas_used, decoded.fee, events, outbox), created


def credit_account(
    nodes: Mapping[bytes, bytes], root: bytes, recipient: bytes, amount: int, max_money: int
) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]] | None:
    """VMF-8: the state after crediting ``amount`` to ``recipient``, or ``None`` if it cannot accept it."""
    if len(recipient) != ACCOUNT_ID_BYTES:
        return None
    account = get_account(nodes, root, recipient)
    if account.balance + amount > max_money:
        return None
    return _put(nodes, root, recipient, Account(account.balance + amount, account.nonce))


def apply_transaction(
    preset: Preset, nodes: Mapping[bytes, bytes], pre_root: bytes, tx: bytes, context: ExecutionContext
) -> tuple[TxOutcome, tuple[tuple[bytes, bytes], ...]]:
    """VM-1..6: the FerrisScript VM's ``apply_transaction`` under ``preset``'s limits
    (``vm_ferris``, ``script`` and ``ledger.max_money``)."""
    return apply_ferris_transaction(
        nodes,
        pre_root,
        tx,
        context,
        params=preset.vm_ferris,
        script=preset.script,
        max_money=preset.ledger.max_money,
    )


def sign_transaction(tx: FerrisTransaction, seed: bytes) -> FerrisTransaction:
    """VMF-5 for P2PKH accounts: ``tx`` with the unlocking script ``<signature> <public key>``."""
    signature = ed25519.sign(seed, compute_signature_hash(tx))
    return replace(tx, unlocking_script=p2pkh_script_sig(signature, ed25519.public_key_from_seed(seed)))


def p2pkh_locking_script(seed: bytes) -> bytes:
    """VMF-1: the P2PKH locking script of the Ed25519 key of ``seed`` (its account id is its hash)."""
    return p2pkh_script(script_hash(ed25519.public_key_from_seed(seed)))
