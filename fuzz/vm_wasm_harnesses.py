"""Fuzz harnesses of the WASM sidechain VM (spec/vm/wasm.py, VMW-2/VMW-4) and of the VM witness
decoder (spec/vm/interface.py, VM-4), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` of the target's own
family is swallowed, any other exception escapes and is a finding, and a broken invariant raises
:class:`WasmInvariantViolation`. :data:`VM_WASM_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`vm_wasm_seeds` gives their seed corpora.

* ``wasm_module`` (VMW-4): only ``VM_WASM_*`` module codes reject; an accepted module is at most
  ``max_code_bytes`` long, and validating it again gives the same verdict (the compiled-module
  cache changes nothing).
* ``wasm_transaction`` (VMW-2): only ``DECODE_*`` and ``VM_WASM_MALFORMED_TRANSACTION`` reject; an
  accepted transaction re-encodes to the same bytes (ENC-2).
* ``vm_wasm_witness`` (VM-4): only ``DECODE_*`` and ``VM_WITNESS_NOT_CANONICAL`` reject; an
  accepted witness re-encodes to the same bytes and its node source holds every preimage.
"""

from __future__ import annotations

from collections.abc import Callable

from spec.errors import DecodeError, WasmMalformedTransaction, WasmModuleError, WitnessNotCanonical
from spec.presets import DEVNET
from spec.vm.interface import (
    StateWitness,
    VmKind,
    decode_witness,
    encode_witness,
    state_hasher,
    witness_nodes,
)
from spec.vm.wasm import check_module, decode_transaction, encode_transaction

PARAMS = DEVNET.vm_wasm
HASHER = state_hasher(VmKind.WASM)


class WasmInvariantViolation(AssertionError):
    """The WASM VM accepted or rejected an input in a way its rules forbid."""


def fuzz_wasm_module(data: bytes) -> None:
    """VMW-4 on arbitrary module bytes."""
    try:
        check_module(data, PARAMS)
    except WasmModuleError:
        return
    if len(data) > PARAMS.max_code_bytes:
        raise WasmInvariantViolation("a module above max_code_bytes was accepted")
    check_module(data, PARAMS)


def fuzz_wasm_transaction(data: bytes) -> None:
    """VMW-2 on arbitrary transaction bytes."""
    try:
        tx = decode_transaction(data, PARAMS)
    except (DecodeError, WasmMalformedTransaction):
        return
    if encode_transaction(tx) != data:
        raise WasmInvariantViolation("ENC-2: a decoded transaction re-encodes differently")


def fuzz_vm_wasm_witness(data: bytes) -> None:
    """VM-4 on arbitrary witness bytes (the WASM VM's hasher)."""
    try:
        witness = decode_witness(data, HASHER)
    except (DecodeError, WitnessNotCanonical):
        return
    if encode_witness(witness) != data:
        raise WasmInvariantViolation("ENC-2: a decoded witness re-encodes differently")
    nodes = witness_nodes(witness, HASHER)
    if sorted(nodes.values()) != sorted(witness.preimages):
        raise WasmInvariantViolation("VM-2: the node source lost a preimage")


VM_WASM_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "wasm_module": fuzz_wasm_module,
    "wasm_transaction": fuzz_wasm_transaction,
    "vm_wasm_witness": fuzz_vm_wasm_witness,
}


def vm_wasm_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: the example contracts and one module per VMW-4 rejection; transactions of each kind;
    the witnesses of a transfer and a token transfer."""
    from conformance.generators.vm_wasm import FUNDS, INVALID_MODULES, LOOP, MESSAGE
    from conformance.wasm_contracts import (
        CONTEXT,
        address_of,
        contract_module,
        make_tx,
        run_sequence,
        token_transfer_input,
    )
    from spec.vm.interface import record_witness
    from spec.vm.wasm import TxKind, apply_transaction, build_genesis, compute_contract_address

    modules = {f"seed-{name}": contract_module(name) for name in ("token", "escrow")}
    modules |= {"seed-loop": LOOP, "seed-message": MESSAGE}
    modules |= {f"seed-{name}": module for name, module, _ in INVALID_MODULES if len(module) < 4096}
    alice, bob = address_of("alice"), address_of("bob")
    token = compute_contract_address(alice, 0)
    transfer = make_tx("alice", TxKind.TRANSFER, 0, to=bob, value=5)
    call = make_tx("alice", TxKind.CALL, 1, to=token, data=token_transfer_input(bob, 9))
    deploy = make_tx("alice", TxKind.DEPLOY, 0, data=contract_module("token"))
    transactions = {"seed-transfer": transfer, "seed-call": call, "seed-deploy": deploy}
    genesis = build_genesis({alice: FUNDS, bob: FUNDS})
    chain, _ = run_sequence(DEVNET, genesis, [deploy])
    witnesses = {
        "seed-transfer": encode_witness(
            record_witness(apply_transaction, DEVNET, genesis[1], genesis[0], transfer, CONTEXT)
        ),
        "seed-token-transfer": encode_witness(
            record_witness(apply_transaction, DEVNET, chain.nodes, chain.root, call, CONTEXT)
        ),
        "seed-empty": encode_witness(StateWitness(())),
    }
    return {"wasm_module": modules, "wasm_transaction": transactions, "vm_wasm_witness": witnesses}
