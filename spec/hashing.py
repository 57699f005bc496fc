"""BLAKE3 hashing with domain separation (protocol step "HASH").

Every hash in the protocol names the *kind of object* it commits to. The kind selects a BLAKE3
``derive_key`` context string, so a hash of one kind can never be confused with a hash of another
kind even when the hashed bytes coincide (for example a Merkle leaf and a transaction whose bytes
happen to equal an inner node).

* **HASH-1** ``tagged_hash(domain, data) = BLAKE3.derive_key(context(domain), data)`` truncated to
  32 bytes (BLAKE3's default output length).
* **HASH-2** context strings follow BLAKE3's guidance: hard-coded, globally unique, application
  specific, of the form ``"RustyCoin 2026-11 <kind> v1"``. They are consensus constants and are
  never derived from run-time data.

New object kinds add a member to :class:`HashDomain`; existing members never change.
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from typing import Any

import blake3

from spec.errors import UnknownDomain

HASH_LENGTH = 32
"""Length in bytes of every protocol hash."""


class HashDomain(Enum):
    """The protocol's hash domains; each value is the BLAKE3 derive_key context string."""

    MERKLE_LEAF = "RustyCoin 2026-11 merkle leaf v1"
    MERKLE_NODE = "RustyCoin 2026-11 merkle node v1"
    MERKLE_EMPTY = "RustyCoin 2026-11 merkle empty v1"
    TRANSACTION_ID = "RustyCoin 2026-11 transaction id v1"
    WITNESS_TRANSACTION_ID = "RustyCoin 2026-11 witness transaction id v1"
    SIGNATURE_HASH = "RustyCoin 2026-11 signature hash v1"
    BLOCK_HEADER = "RustyCoin 2026-11 block header v1"
    FINALITY = "RustyCoin 2026-11 finality v1"
    TRIE_NODE = "RustyCoin 2026-11 trie node v1"
    SNAPSHOT_CHUNK = "RustyCoin 2026-11 snapshot chunk v1"
    TICKET_SELECTION = "RustyCoin 2026-11 ticket selection v1"
    QUORUM_SELECTION = "RustyCoin 2026-11 quorum selection v1"
    TEST_VECTOR_SEED = "RustyCoin 2026-11 test vector seed v1"
    THRESHOLD_COEFFICIENT = "RustyCoin 2026-11 threshold coefficient v1"
    SCRIPT_HASH = "RustyCoin 2026-11 script hash v1"
    DKG_SESSION = "RustyCoin 2026-11 dkg session v1"
    DKG_MESSAGE = "RustyCoin 2026-11 dkg message v1"
    DKG_SHARE_BATCH = "RustyCoin 2026-11 dkg share batch v1"
    DKG_SHARE_EPHEMERAL = "RustyCoin 2026-11 dkg share ephemeral v1"
    DKG_SHARE_KEY = "RustyCoin 2026-11 dkg share key v1"
    MASTERNODE_REGISTRATION = "RustyCoin 2026-11 masternode registration v1"
    POSE_PENALTY = "RustyCoin 2026-11 pose penalty v1"
    MASTERNODE_UNBOND = "RustyCoin 2026-11 masternode unbond v1"
    POSE_CHALLENGE = "RustyCoin 2026-11 pose challenge v1"
    POSE_RESPONSE = "RustyCoin 2026-11 pose response v1"
    POSE_CHALLENGER = "RustyCoin 2026-11 pose challenger v1"
    GOVERNANCE_PROPOSAL = "RustyCoin 2026-11 governance proposal v1"
    GOVERNANCE_VOTE = "RustyCoin 2026-11 governance vote v1"
    P2P_MESSAGE = "RustyCoin 2026-11 p2p message v1"
    COMPACT_SHORT_ID = "RustyCoin 2026-11 compact short id v1"
    QUORUM_COMMITMENT = "RustyCoin 2026-11 quorum commitment v1"
    GOSSIP_MESSAGE_ID = "RustyCoin 2026-11 gossip message id v1"
    OPERATOR_PEER_RECORD = "RustyCoin 2026-11 operator peer addresses record v1"
    SIDECHAIN_HEADER = "RustyCoin 2026-11 sidechain header v1"
    SIDECHAIN_CHECKPOINT = "RustyCoin 2026-11 sidechain checkpoint v1"
    SIDECHAIN_INPUTS = "RustyCoin 2026-11 sidechain inputs v1"
    FERRIS_SIGNATURE_HASH = "RustyCoin 2026-11 ferris signature hash v1"
    WASM_TRANSACTION = "RustyCoin 2026-11 wasm transaction v1"
    WASM_CONTRACT_ADDRESS = "RustyCoin 2026-11 wasm contract address v1"
    WASM_HOST_HASH = "RustyCoin 2026-11 wasm host hash v1"


def domain_by_name(name: str) -> HashDomain:
    """Look up a domain by its member name (``"MERKLE_LEAF"``); raise ``HASH_UNKNOWN_DOMAIN``."""
    try:
        return HashDomain[name]
    except KeyError:
        raise UnknownDomain(f"no hash domain named {name!r}") from None


@cache
def _keyed_hasher(context: str) -> Any:
    """BLAKE3 in derive_key mode for the context string ``context``, nothing hashed yet: the
    context hashed once; :func:`tagged_hash` hashes into copies of it (never into this one). Keyed
    by the domain's context string (``domain._value_``, whose hash Python keeps) rather than the
    member, whose ``__hash__`` and ``.value`` are Python-level calls."""
    return blake3.blake3(derive_key_context=context)


def domain_hasher(domain: HashDomain) -> Any:
    """BLAKE3 with ``domain``'s context absorbed and nothing hashed yet, for a caller that hashes
    many messages in one domain: ``tagged_hash(domain, data)`` is ``copy()``, ``update(data)``,
    ``digest()`` of it. Callers hash into copies only, never into the returned object itself."""
    return _keyed_hasher(domain._value_)


def tagged_hash(domain: HashDomain, data: bytes) -> bytes:
    """HASH-1: the 32-byte domain-separated BLAKE3 hash of ``data``.

    By definition ``blake3.blake3(data, derive_key_context=domain.value).digest()``
    (:func:`tagged_hash_readable`); this copies a hasher that has already absorbed the context
    string instead of hashing it again for every call (issue 14: five or more tagged hashes per
    transaction). ``tests/test_fast_paths.py`` checks both agree in every domain.
    """
    hasher = _keyed_hasher(domain._value_).copy()
    hasher.update(data)
    digest: bytes = hasher.digest()
    return digest


def tagged_hash_readable(domain: HashDomain, data: bytes) -> bytes:
    """HASH-1 as written: one ``derive_key`` BLAKE3 call."""
    digest: bytes = blake3.blake3(data, derive_key_context=domain.value).digest()
    return digest


def tagged_hash_many(domain: HashDomain, parts: tuple[bytes, ...]) -> bytes:
    """HASH-1 over the concatenation of ``parts`` (callers must use fixed-width or prefixed parts)."""
    hasher = _keyed_hasher(domain._value_).copy()
    for part in parts:
        hasher.update(part)
    digest: bytes = hasher.digest()
    return digest
