"""Reference handlers: the JSON face of ``spec/`` that the reference adapter serves.

Each flow module exports ``HANDLERS: dict[str, Handler]``. A handler decodes its JSON input,
calls the spec functions of its flow, and encodes the result; it never re-implements a rule.
"""

from __future__ import annotations

from conformance.handlers import (
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
    trie,
    upgrade,
    vm_evm,
    vm_wasm,
)
from conformance.model import Handler

FLOW_HANDLERS: dict[str, dict[str, Handler]] = {
    "encoding": encoding.HANDLERS,
    "hashing": hashing.HANDLERS,
    "merkle": merkle.HANDLERS,
    "script": script.HANDLERS,
    "bls": crypto.BLS_HANDLERS,
    "threshold": crypto.THRESHOLD_HANDLERS,
    "ed25519": crypto.ED25519_HANDLERS,
    "ledger": ledger.HANDLERS,
    "chain": chain.HANDLERS,
    "p2p": p2p.HANDLERS,
    "trie": trie.HANDLERS,
    "dkg": dkg.HANDLERS,
    "masternode": masternode.HANDLERS,
    "governance": governance.HANDLERS,
    "upgrade": upgrade.HANDLERS,
    "state": state.HANDLERS,
    "vm_evm": vm_evm.HANDLERS,
    "vm_ferris": sidechain_block.VM_FERRIS_HANDLERS,
    "sidechain_block": sidechain_block.SIDECHAIN_BLOCK_HANDLERS,
    "vm_wasm": vm_wasm.HANDLERS,
    "sidechain": sidechain.SIDECHAIN_HANDLERS,
    "peg": sidechain.PEG_HANDLERS,
    "dispute": dispute.HANDLERS,
}
"""Every flow the reference adapter serves, by flow name, then handler name."""
