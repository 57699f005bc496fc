"""The WASM VM's example contracts and a small driver (tests, vectors, benchmarks; docs/vm.md#wasm).

The contracts are WAT text in ``conformance/contracts/wasm/``, compiled by wasmtime's ``wat2wasm``
when used; vectors carry the compiled bytes (hex) so another implementation needs no WAT tool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import wasmtime

from spec.crypto import ed25519
from spec.presets import Preset
from spec.vm.interface import ExecutionContext, TxOutcome
from spec.vm.wasm import WasmTransaction, apply_transaction_with, encode_transaction, sign_transaction

CONTRACTS = ("token", "escrow")


def contract_source(name: str) -> str:
    """The WAT text of example contract ``name``."""
    return (
        resources.files("conformance")
        .joinpath("contracts", "wasm", f"{name}.wat")
        .read_text(encoding="utf-8")
    )


@cache
def compile_wat(text: str) -> bytes:
    """WAT text compiled to a module binary (wasmtime's ``wat2wasm``)."""
    return bytes(wasmtime.wat2wasm(text))


def contract_module(name: str) -> bytes:
    """Example contract ``name`` compiled."""
    return compile_wat(contract_source(name))


def seed_of(label: str) -> bytes:
    """A fixed test key seed (32 bytes) named by ``label``."""
    return label.encode().ljust(32, b".")[:32]


def address_of(label: str) -> bytes:
    """The address (Ed25519 public key) of the test key ``label``."""
    return ed25519.public_key_from_seed(seed_of(label))


CONTEXT = ExecutionContext(
    sidechain_id=7, height=1, timestamp=1_800_000_000, fee_recipient=bytes(32), gas_limit=10_000_000
)
"""The block context of the examples (fee recipient: the all-zero address)."""


def make_tx(
    label: str,
    kind: int,
    nonce: int,
    *,
    to: bytes = b"",
    value: int = 0,
    data: bytes = b"",
    fuel_limit: int = 200_000,
    fuel_price: int = 1,
    sidechain_id: int = CONTEXT.sidechain_id,
) -> bytes:
    """A transaction signed by the test key ``label``, encoded."""
    unsigned = WasmTransaction(kind, bytes(32), nonce, fuel_limit, fuel_price, value, to, data, bytes(64))
    return encode_transaction(sign_transaction(unsigned, seed_of(label), sidechain_id))


def token_transfer_input(to: bytes, amount: int) -> bytes:
    """The token contract's call input of a transfer."""
    return b"\x01" + to + amount.to_bytes(8, "little")


@dataclass
class Chain:
    """A WASM sidechain's state as a full node holds it: root and every preimage."""

    root: bytes
    nodes: dict[bytes, bytes]

    def apply(self, preset: Preset, tx: bytes, context: ExecutionContext = CONTEXT) -> TxOutcome:
        """Apply ``tx`` (full execution) and keep its new preimages."""
        outcome, created = apply_transaction_with(preset.vm_wasm, self.nodes, self.root, tx, context)
        self.nodes.update(created)
        self.root = outcome.post_root
        return outcome


def run_sequence(
    preset: Preset,
    genesis: tuple[bytes, Mapping[bytes, bytes]],
    txs: Sequence[bytes],
    context: ExecutionContext = CONTEXT,
) -> tuple[Chain, list[TxOutcome]]:
    """Apply ``txs`` in order from ``genesis``; the final chain and every outcome."""
    chain = Chain(genesis[0], dict(genesis[1]))
    return chain, [chain.apply(preset, tx, context) for tx in txs]
