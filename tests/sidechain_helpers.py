"""Shared builders of the FerrisScript VM and sidechain block tests, vectors and benchmarks."""

from __future__ import annotations

from functools import cache
from typing import Any

from spec.encoding import encode
from spec.trie import Trie
from spec.vm.ferris import (
    ACCOUNT_CODEC,
    HASHER,
    Account,
    FerrisTransaction,
    FerrisTxKind,
    account_key,
    compute_account_id,
    encode_transaction,
    p2pkh_locking_script,
    sign_transaction,
)

CHAIN_ID = 7


def seed(index: int) -> bytes:
    """The Ed25519 seed of test key ``index``."""
    return (index + 1).to_bytes(32, "big")


@cache
def lock(index: int) -> bytes:
    """The P2PKH locking script of test key ``index``."""
    return p2pkh_locking_script(seed(index))


@cache
def account(index: int) -> bytes:
    """The account id of test key ``index``."""
    return compute_account_id(lock(index))


def state_trie(balances: dict[int, tuple[int, int]]) -> Trie:
    """The FerrisScript state holding key index -> (balance, nonce)."""
    return Trie.from_items(
        {account_key(account(i)): encode(ACCOUNT_CODEC, Account(*value)) for i, value in balances.items()},
        HASHER,
    )


def signed(
    sender: int,
    *,
    kind: FerrisTxKind = FerrisTxKind.TRANSFER,
    nonce: int = 0,
    fee: int = 5000,
    amount: int = 100,
    target_chain: int = 0,
    recipient: bytes | None = None,
    payload: bytes = b"",
    chain_id: int = CHAIN_ID,
) -> FerrisTransaction:
    """A transaction of test key ``sender``, signed (recipient: key ``sender + 1``'s account)."""
    tx = FerrisTransaction(
        kind=int(kind),
        chain_id=chain_id,
        nonce=nonce,
        fee=fee,
        amount=amount,
        target_chain=target_chain,
        recipient=account(sender + 1) if recipient is None else recipient,
        payload=payload,
        locking_script=lock(sender),
        unlocking_script=b"",
    )
    return sign_transaction(tx, seed(sender))


def signed_bytes(sender: int, **fields: Any) -> bytes:
    """:func:`signed`, encoded."""
    return encode_transaction(signed(sender, **fields))
