"""PEP 316 contracts on the full-state commitment's keys and the snapshot arithmetic
(``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.p2p_contracts`, each function is a small wrapper around helpers of
``spec/chain/commitment.py`` (STATE-2/3) and ``spec/ledger/state_snapshot.py`` (SNAP-5); its
``post:`` lines must hold for every input meeting its ``pre:`` lines. The wrappers are plain
functions too (``tests/test_state_symbolic.py`` calls them on sample inputs).

Contracts (rule references in brackets):

* quorum keys [STATE-2]: nine bytes, the kind byte (``08`` finality, ``09`` PoSe), then the base
  height big-endian, so the keys of one kind sort exactly as their heights, and the two kinds
  never share a key.
* id keys [STATE-2]: a proposal, executed-marker and vote key is its kind byte then the id (and
  the encoded masternode outpoint), of fixed length, and kinds never collide.
* outpoint keys [STATE-2]: the UTXO, ticket and masternode keys of one outpoint are 37 bytes,
  differ only in their kind byte, and the rest is STATE-1's key of the outpoint.
* u64 values [STATE-3]: a parameter, ticket price or treasury value decodes back to itself.
* chunk count [SNAP-5]: ``n`` items make the fewest chunks of ``c`` that hold them.
"""

from __future__ import annotations

from spec.chain.commitment import (
    KIND_EXECUTED,  # noqa: F401  (used by post: lines)
    KIND_FINALITY_QUORUM,  # noqa: F401  (used by post: lines)
    KIND_MASTERNODE,  # noqa: F401  (used by post: lines)
    KIND_POSE_QUORUM,  # noqa: F401  (used by post: lines)
    KIND_PROPOSAL,  # noqa: F401  (used by post: lines)
    KIND_TICKET,  # noqa: F401  (used by post: lines)
    KIND_UTXO,  # noqa: F401  (used by post: lines)
    KIND_VOTE,  # noqa: F401  (used by post: lines)
    _u64,
    executed_key,
    masternode_key,
    proposal_key,
    quorum_key,
    ticket_key,
    utxo_key,
    vote_key,
)
from spec.encoding import U64, decode  # noqa: F401  (used by post: lines)
from spec.ledger.state import encode_outpoint  # noqa: F401  (used by post: lines)
from spec.ledger.state_snapshot import chunk_count_for
from spec.ledger.transaction import OutPoint
from spec.presets import DEVNET

__all__ = [
    "chunk_count_bounds",
    "id_keys",
    "outpoint_keys",
    "quorum_key_order",
    "u64_value_roundtrip",
]

_CHUNK = DEVNET.snapshot.chunk_entries


def quorum_key_order(pose: bool, low: int, high: int) -> tuple[bytes, bytes]:
    """Quorum keys are the kind byte then the height big-endian: they sort as the heights.

    pre: 0 <= low < high < 2**64
    post: len(__return__[0]) == len(__return__[1]) == 9
    post: __return__[0] < __return__[1]
    post: __return__[0][0] == (KIND_POSE_QUORUM if pose else KIND_FINALITY_QUORUM)
    post: int.from_bytes(__return__[1][1:], "big") == high
    post: quorum_key(not pose, low) != __return__[0]
    """
    return quorum_key(pose, low), quorum_key(pose, high)


def id_keys(identifier: bytes, index: int) -> tuple[bytes, bytes, bytes]:
    """Proposal, executed and vote keys: kind byte, id (and outpoint), fixed lengths, no collision.

    pre: len(identifier) == 32
    pre: 0 <= index < 2**32
    post: __return__[0] == bytes([KIND_PROPOSAL]) + identifier
    post: __return__[1] == bytes([KIND_EXECUTED]) + identifier
    post: len(__return__[2]) == 1 + 32 + 36 and __return__[2][0] == KIND_VOTE
    post: __return__[2][1:33] == identifier
    post: len(set(__return__)) == 3
    """
    masternode = OutPoint(identifier, index)
    return proposal_key(identifier), executed_key(identifier), vote_key(identifier, masternode, DEVNET)


def outpoint_keys(txid: bytes, index: int) -> tuple[bytes, bytes, bytes]:
    """UTXO, ticket and masternode keys of one outpoint: 37 bytes, only the kind byte differs.

    pre: len(txid) == 32
    pre: 0 <= index < 2**32
    post: [k[0] for k in __return__] == [KIND_UTXO, KIND_TICKET, KIND_MASTERNODE]
    post: all(len(k) == 37 for k in __return__)
    post: all(k[1:] == encode_outpoint(OutPoint(txid, index), DEVNET) for k in __return__)
    post: len(set(__return__)) == 3
    """
    outpoint = OutPoint(txid, index)
    return utxo_key(outpoint, DEVNET), ticket_key(outpoint, DEVNET), masternode_key(outpoint, DEVNET)


def u64_value_roundtrip(value: int) -> bytes:
    """A u64 item value is eight bytes and decodes back to the value.

    pre: 0 <= value < 2**64
    post: len(__return__) == 8
    post: decode(U64, __return__) == value
    """
    return _u64(value)


def chunk_count_bounds(count: int) -> int:
    """``count`` items make the fewest chunks of ``chunk_entries`` items that hold them all.

    pre: 0 <= count <= 10**12
    post: __return__ * _CHUNK >= count
    post: count == 0 or (__return__ - 1) * _CHUNK < count
    post: (count == 0) == (__return__ == 0)
    """
    return chunk_count_for(count, DEVNET)
