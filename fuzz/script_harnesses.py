"""Fuzz harnesses of FerrisScript (spec/script.py): ``fuzz_script_parse`` and ``fuzz_script_evaluate``.

Same contract as :mod:`fuzz.harnesses`: each is a plain ``(data: bytes) -> None`` function; a
:class:`~spec.errors.SpecError` is a legitimate rejection and is swallowed, any other exception is
a finding, and a broken invariant raises :class:`ScriptInvariantViolation` (an ``AssertionError``
with the same ``(message, known_bug)`` shape as :class:`fuzz.harnesses.InvariantViolation`, kept
separate so that this module never imports the registry that imports it).

Register with ``HARNESSES.update(SCRIPT_HARNESSES)``; :func:`script_seeds` gives the seed corpora.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spec.errors import ScriptError, SpecError
from spec.presets import MAINNET, ScriptParams
from spec.script import (
    MAX_SMALL_INTEGER,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    Op,
    Opcode,
    Push,
    count_ops_sigops,
    encode_push,
    evaluate,
    is_push_only,
    multisig_script,
    multisig_script_sig,
    op_to_asm,
    p2pkh_script,
    p2pkh_script_sig,
    parse_script,
    script_hash,
    serialize_script,
)

PARAMS: ScriptParams = MAINNET.script
HEADER_BYTES = 4
"""``fuzz_script_evaluate`` input: u16 LE script_sig length, a flags byte, a lock byte, then the
script_sig and the script_pubkey."""


class ScriptInvariantViolation(AssertionError):
    """A FerrisScript rule accepted or rejected an input in a way the rules forbid."""

    def __init__(self, message: str, known_bug: str | None = None) -> None:
        super().__init__(message)
        self.known_bug = known_bug


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ScriptInvariantViolation(message)


def fuzz_script_parse(data: bytes) -> None:
    """SCRIPT-1..7 on arbitrary bytes; on success: canonical round trip and every static limit."""
    try:
        ops = parse_script(data, PARAMS)
    except SpecError as exc:
        _require(isinstance(exc, ScriptError), f"parse raised a non-script error {exc.code}")
        return
    _require(serialize_script(ops) == data, "SCRIPT-4: serialize(parse(b)) != b")
    _require(len(data) <= PARAMS.max_script_bytes, "SCRIPT-1: oversized script accepted")
    pushes = [op for op in ops if isinstance(op, Push)]
    _require(all(len(p.data) <= PARAMS.max_element_bytes for p in pushes), "SCRIPT-5: large push accepted")
    _require(len(ops) - len(pushes) <= PARAMS.max_ops, "SCRIPT-6: too many opcodes accepted")
    _require(all(encode_push(p.data) in data for p in pushes), "SCRIPT-4: a push is not in minimal form")
    _require(all(op_to_asm(op) for op in ops), "every instruction has a text form")
    sigops = count_ops_sigops(ops, PARAMS)
    checksigs = sum(1 for op in ops if isinstance(op, Op) and op.opcode.name.startswith("OP_CHECKSIG"))
    _require(checksigs <= sigops, "SCRIPT-9: a CHECKSIG was not counted")
    _require(is_push_only(ops) == (len(pushes) == len(ops)), "is_push_only disagrees with the ops")


@dataclass
class _AuditChecker:
    """A deterministic checker that records its calls (fuzz-local; not part of the spec)."""

    accept_all: bool
    max_lock_time: int
    calls: list[tuple[bytes, bytes]] = field(default_factory=list)

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        self.calls.append((signature, public_key))
        return self.accept_all or signature[:1] == public_key[:1]

    def check_lock_time(self, lock_time: int) -> bool:
        return lock_time <= self.max_lock_time

    def check_sequence(self, sequence: int) -> bool:
        return sequence <= self.max_lock_time // 16


def _split(data: bytes) -> tuple[bytes, bytes, bool, int]:
    header, rest = data[:HEADER_BYTES].ljust(HEADER_BYTES, b"\x00"), data[HEADER_BYTES:]
    sig_length = min(int.from_bytes(header[:2], "little"), len(rest))
    return rest[:sig_length], rest[sig_length:], bool(header[2] & 1), header[3] * 16


def _outcome(script_sig: bytes, script_pubkey: bytes, checker: _AuditChecker) -> str | None:
    try:
        evaluate(script_sig, script_pubkey, checker, PARAMS)
    except SpecError as exc:
        return exc.code
    return None


def fuzz_script_evaluate(data: bytes) -> None:
    """SCRIPT-1..18 on arbitrary scripts with a recording checker.

    Invariants: only SpecError leaves; the verdict is deterministic; the checker sees only
    64-byte signatures and 32-byte keys and is called at most ``count_sigops(script_pubkey)``
    times; an accepted spend has a push-only script_sig and two parseable scripts.
    """
    script_sig, script_pubkey, accept_all, max_lock_time = _split(data)
    first = _AuditChecker(accept_all, max_lock_time)
    verdict = _outcome(script_sig, script_pubkey, first)
    second = _AuditChecker(accept_all, max_lock_time)
    _require(_outcome(script_sig, script_pubkey, second) == verdict, "evaluate is not deterministic")
    _require(first.calls == second.calls, "checker calls differ between two runs")
    for signature, public_key in first.calls:
        _require(len(signature) == SIGNATURE_BYTES, "SCRIPT-15: checker got a signature not 64 bytes")
        _require(len(public_key) == PUBLIC_KEY_BYTES, "SCRIPT-15: checker got a key not 32 bytes")
    if first.calls:
        sigops = count_ops_sigops(parse_script(script_pubkey, PARAMS), PARAMS)
        _require(
            len(first.calls) <= sigops, f"SCRIPT-9: {len(first.calls)} checks for {sigops} counted sigops"
        )
    if verdict is None:
        _require(is_push_only(parse_script(script_sig, PARAMS)), "SCRIPT-8: non-push script_sig accepted")


SCRIPT_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "script_parse": fuzz_script_parse,
    "script_evaluate": fuzz_script_evaluate,
}
"""The script harnesses by corpus name (``fuzz/corpora/<name>/``)."""


def _evaluate_input(script_sig: bytes, script_pubkey: bytes, flags: int = 0, lock: int = 0) -> bytes:
    return len(script_sig).to_bytes(2, "little") + bytes([flags, lock]) + script_sig + script_pubkey


def script_seeds() -> dict[str, dict[str, bytes]]:
    """Seed inputs per harness: valid templates and spends plus a few near misses."""
    keys = [bytes([i]) * PUBLIC_KEY_BYTES for i in range(1, 4)]
    sigs = [bytes([i]) * SIGNATURE_BYTES for i in range(1, 4)]
    p2pkh = p2pkh_script(script_hash(keys[0]))
    multisig = multisig_script(2, keys, PARAMS)
    cltv = serialize_script([Push(b"\x0a"), Op(Opcode.OP_CHECKLOCKTIMEVERIFY)])
    parse = {
        "seed-p2pkh": p2pkh,
        "seed-multisig": multisig,
        "seed-cltv": cltv,
        "seed-pushes": b"".join(encode_push(bytes(n)) for n in (0, 1, 75, 76, 256)),
        "seed-if": bytes([0x00, 0x63, 0x6A, 0x67, 0x51, 0x68]),
        "seed-small": bytes(range(0x51, 0x51 + MAX_SMALL_INTEGER)),
        "seed-non-minimal": bytes([0x01, 0x05]),
        "seed-truncated": bytes([0x4D, 0x00, 0x01]),
    }
    evaluate_seeds = {
        "seed-p2pkh": _evaluate_input(p2pkh_script_sig(sigs[0], keys[0]), p2pkh, flags=1),
        "seed-p2pkh-nullfail": _evaluate_input(p2pkh_script_sig(sigs[1], keys[0]), p2pkh),
        "seed-multisig": _evaluate_input(multisig_script_sig(sigs[:2]), multisig, flags=0),
        "seed-cltv": _evaluate_input(b"", cltv, lock=1),
        "seed-true": _evaluate_input(b"\x51", b""),
    }
    return {"script_parse": parse, "script_evaluate": evaluate_seeds}
