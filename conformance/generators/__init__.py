"""Deterministic vector generators, one module per flow.

A generator yields :class:`~conformance.model.CaseSpec` values; :mod:`conformance.generate` runs
the reference handler on each, checks the result against the generator's intent and writes the
vector file. Generators take no randomness from the environment: any pseudo-random input is
derived from a fixed seed with :func:`conformance.seeded.seeded_bytes`.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.generators import (
    adequacy,
    chain,
    crypto,
    dispute,
    dkg,
    encoding,
    governance,
    hashing,
    ledger,
    masternode,
    merkle,
    p2p,
    script,
    sidechain,
    sidechain_block,
    state,
    strength,
    trie,
    upgrade,
    vm_evm,
    vm_wasm,
)
from conformance.model import CaseSpec, Generator
from spec.presets import Preset


def _with(*parts: Generator) -> Generator:
    """One flow generator made of several (the flow's own cases first)."""

    def generate(preset: Preset) -> Iterator[CaseSpec]:
        for part in parts:
            yield from part(preset)

    return generate


FLOW_GENERATORS: dict[str, Generator] = {
    "encoding": _with(encoding.generate, strength.encoding_cases),
    "hashing": hashing.generate,
    "merkle": _with(merkle.generate, strength.merkle_cases),
    "script": _with(script.generate, strength.script_cases),
    "bls": crypto.generate_bls,
    "threshold": crypto.generate_threshold,
    "ed25519": crypto.generate_ed25519,
    "ledger": _with(ledger.generate, strength.ledger_cases, adequacy.ledger_cases),
    "chain": _with(chain.generate, strength.chain_cases, strength.ticket_price_cases, adequacy.chain_cases),
    "p2p": _with(p2p.generate, adequacy.p2p_cases),
    "trie": _with(trie.generate, strength.trie_cases, adequacy.trie_cases),
    "dkg": dkg.generate,
    "masternode": masternode.generate,
    "governance": governance.generate,
    "upgrade": _with(
        upgrade.generate,
        upgrade.state_trie_cases,
        upgrade.sidechains_cases,
        upgrade.sidechain_registration_cases,
    ),
    "state": state.generate,
    "vm_evm": vm_evm.generate,
    "vm_ferris": sidechain_block.generate_vm_ferris,
    "sidechain_block": sidechain_block.generate_sidechain_block,
    "vm_wasm": vm_wasm.generate,
    "sidechain": sidechain.generate_sidechain,
    "peg": sidechain.generate_peg,
    "dispute": dispute.generate,
}
