"""spec/vm/wasm.py's memoised engine, modules and host types are invisible (docs/vm.md, "Caches").

The plain definitions (:func:`build_engine`, :func:`compile_module`, :func:`build_host_types`) are
the specification; ``_engine``, ``_compiled`` and ``_host_types`` only memoise them. These tests
show that no verdict or outcome depends on what the caches hold.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import wasmtime

from conformance.generators.vm_wasm import GROW, INVALID_MODULES, LOOP, MESSAGE, NAN, TRAP
from conformance.wasm_contracts import (
    address_of,
    contract_module,
    make_tx,
    run_sequence,
    token_transfer_input,
)
from spec.errors import SpecError
from spec.presets import MAINNET
from spec.vm import wasm
from spec.vm.interface import TxOutcome
from spec.vm.wasm import (
    TxKind,
    build_engine,
    build_genesis,
    build_host_types,
    check_module,
    compile_module,
    compute_contract_address,
)

PARAMS = MAINNET.vm_wasm
ALICE, BOB = address_of("alice"), address_of("bob")
FIRST = compute_contract_address(ALICE, 0)
VALID_MODULES = {
    "token": contract_module("token"),
    "escrow": contract_module("escrow"),
    "loop": LOOP,
    "grow": GROW,
    "nan": NAN,
    "message": MESSAGE,
    "trap": TRAP,
}
CACHES = (wasm._engine, wasm._compiled, wasm._host_types)


def _clear() -> None:
    for cache in CACHES:
        cache.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    _clear()
    yield
    _clear()


def _describe(kind: object) -> tuple[object, ...]:
    if isinstance(kind, wasmtime.FuncType):
        return ("func", tuple(str(t) for t in kind.params), tuple(str(t) for t in kind.results))
    if isinstance(kind, wasmtime.MemoryType):
        return ("memory", kind.limits.min, kind.limits.max)
    return (type(kind).__name__,)


def _shape(module: wasmtime.Module) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    imports = [(i.module, i.name or "", *_describe(i.type)) for i in module.imports]
    exports = [(e.name, *_describe(e.type)) for e in module.exports]
    return imports, exports


def _verdict(module: bytes) -> str | None:
    try:
        check_module(module, PARAMS)
    except SpecError as exc:
        return exc.code
    return None


@pytest.mark.parametrize("name", sorted(VALID_MODULES))
def test_memoised_module_is_the_plain_compilation(name: str) -> None:
    module = VALID_MODULES[name]
    plain = compile_module(build_engine(PARAMS.max_wasm_stack_bytes), module)
    cached = wasm._compiled(PARAMS.max_wasm_stack_bytes, module)
    assert _shape(cached) == _shape(plain)
    assert _shape(plain)[1], "a module without exports shows nothing"
    assert wasm._compiled(PARAMS.max_wasm_stack_bytes, module) is cached  # really memoised


@pytest.mark.parametrize(("name", "module", "code"), INVALID_MODULES, ids=[m[0] for m in INVALID_MODULES])
def test_rejections_are_not_cached(name: str, module: bytes, code: str) -> None:
    assert _verdict(module) == code
    assert _verdict(module) == code  # the same verdict a second time, warm
    _clear()
    assert _verdict(module) == code


def test_host_types_are_the_plain_definition() -> None:
    plain = build_host_types()
    cached = wasm._host_types()
    assert {name: _describe(t) for name, t in cached.items()} == {
        name: _describe(t) for name, t in plain.items()
    }
    assert set(plain) == set(wasm.HOST_API)


def _transactions() -> list[bytes]:
    token = contract_module("token")
    return [
        make_tx("alice", TxKind.DEPLOY, 0, data=token, fuel_limit=10**7),
        make_tx("alice", TxKind.CALL, 1, to=FIRST, data=token_transfer_input(BOB, 300)),
        make_tx("bob", TxKind.CALL, 0, to=FIRST, data=token_transfer_input(ALICE, 1)),
        make_tx("alice", TxKind.DEPLOY, 2, data=LOOP, fuel_limit=10**6),
        make_tx("alice", TxKind.CALL, 3, to=compute_contract_address(ALICE, 2), fuel_limit=50_000),
    ]


def test_outcomes_do_not_depend_on_the_caches() -> None:
    genesis = build_genesis({ALICE: 10**12, BOB: 10**12})
    warm_chain, warm = run_sequence(MAINNET, genesis, _transactions())
    cold: list[TxOutcome] = []
    cold_chain, _ = run_sequence(MAINNET, genesis, [])
    for tx in _transactions():
        _clear()
        cold.append(cold_chain.apply(MAINNET, tx))
    assert cold == warm
    assert (cold_chain.root, cold_chain.nodes) == (warm_chain.root, warm_chain.nodes)
    assert {o.status for o in warm} == {0, 1}  # the sequence has successes and failures
