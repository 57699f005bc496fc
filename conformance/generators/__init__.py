"""Deterministic vector generators, one module per flow.

A generator yields :class:`~conformance.model.CaseSpec` values; :mod:`conformance.generate` runs
the reference handler on each, checks the result against the generator's intent and writes the
vector file. Generators take no randomness from the environment: any pseudo-random input is
derived from a fixed seed with :func:`conformance.seeded.seeded_bytes`.
"""

from __future__ import annotations

from conformance.generators import (
    chain,
    crypto,
    dkg,
    encoding,
    governance,
    hashing,
    ledger,
    masternode,
    merkle,
    p2p,
    script,
    trie,
    upgrade,
)
from conformance.model import Generator

FLOW_GENERATORS: dict[str, Generator] = {
    "encoding": encoding.generate,
    "hashing": hashing.generate,
    "merkle": merkle.generate,
    "script": script.generate,
    "bls": crypto.generate_bls,
    "threshold": crypto.generate_threshold,
    "ed25519": crypto.generate_ed25519,
    "ledger": ledger.generate,
    "chain": chain.generate,
    "p2p": p2p.generate,
    "trie": trie.generate,
    "dkg": dkg.generate,
    "masternode": masternode.generate,
    "governance": governance.generate,
    "upgrade": upgrade.generate,
}
