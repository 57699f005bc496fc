"""FerrisScript v1: the stack language of spending conditions (protocol step "SCRIPT").

A transaction output carries a ``script_pubkey``; the input that spends it carries a push-only
``script_sig``. The spend is valid iff :func:`evaluate` returns: the ``script_sig`` runs on an empty
stack, the ``script_pubkey`` runs on the stack it leaves, and exactly one true element remains.
The language has no loops and no jumps, so every operation runs at most once and every run ends.
The full rule text, the opcode table and the execution diagram are in ``docs/script.md``.

Static rules (checked by :func:`parse_script`, in reading order, before anything runs):

* **SCRIPT-1** a script is at most ``max_script_bytes`` bytes (``SCRIPT_TOO_LARGE``).
* **SCRIPT-2** every byte in opcode position is an opcode of :class:`Opcode` or a direct push
  ``0x01..0x4b`` (``SCRIPT_BAD_OPCODE``).
* **SCRIPT-3** a push's length prefix and data lie inside the script (``SCRIPT_TRUNCATED_PUSH``).
* **SCRIPT-4** every push uses the shortest encoding of its data (:func:`encode_push`), so the
  encoding of a script is canonical: ``serialize_script(parse_script(b)) == b``
  (``SCRIPT_NON_MINIMAL_PUSH``).
* **SCRIPT-5** a push carries at most ``max_element_bytes`` bytes (``SCRIPT_PUSH_SIZE``).
* **SCRIPT-6** at most ``max_ops`` non-push opcodes per script (``SCRIPT_OP_COUNT``).
* **SCRIPT-7** IF/NOTIF ... [ELSE ...] ENDIF nest properly, with at most one ELSE each, inside one
  script (``SCRIPT_UNBALANCED_CONDITIONAL``).

Execution rules (:func:`evaluate`):

* **SCRIPT-8** the ``script_sig`` holds pushes only (``SCRIPT_SIG_NOT_PUSH_ONLY``).
* **SCRIPT-9** the counted sigops of the ``script_pubkey`` (:func:`count_sigops`) are at most
  ``max_sigops_per_tx``; :func:`check_sigops` applies the same bound to a whole transaction.
* **SCRIPT-10** after every operation the stack holds at most ``max_stack_items`` elements.
* **SCRIPT-11** an operation that needs more elements than the stack holds fails.
* **SCRIPT-12** conditionals: an executed IF/NOTIF pops a condition that must be empty (false) or
  exactly ``01`` (true) (``SCRIPT_MINIMALIF``); inside a branch not taken only IF/NOTIF/ELSE/ENDIF
  act.
* **SCRIPT-13** the stack and comparison opcodes (table in ``docs/script.md``).
* **SCRIPT-14** numbers (:func:`decode_number`): minimal little-endian sign-magnitude, at most
  :data:`NUMBER_MAX_BYTES` bytes.
* **SCRIPT-15** CHECKSIG: a signature is empty or 64 bytes, a public key is 32 bytes; an empty
  signature is false without asking the checker; a failed check with a non-empty signature is an
  error (NULLFAIL).
* **SCRIPT-16** CHECKMULTISIG: counts, ordered matching from the top down, an empty dummy
  (NULLDUMMY) and NULLFAIL.
* **SCRIPT-17** CHECKLOCKTIMEVERIFY / CHECKSEQUENCEVERIFY: a non-negative number, left on the
  stack, accepted by the checker.
* **SCRIPT-18** success iff the final stack is exactly one true element (clean stack).
* **SCRIPT-19** templates: P2PKH, bare multisig and null data (OP_RETURN) outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from functools import lru_cache
from typing import Protocol, TypeAlias

from spec.errors import (
    ScriptBadOpcode,
    ScriptBadTemplate,
    ScriptCheckSigVerifyFailed,
    ScriptCleanStack,
    ScriptEqualVerifyFailed,
    ScriptError,
    ScriptFalseResult,
    ScriptMinimalIf,
    ScriptNegativeLocktime,
    ScriptNonMinimalNumber,
    ScriptNonMinimalPush,
    ScriptNullDummy,
    ScriptNullFail,
    ScriptNumberOverflow,
    ScriptOpCount,
    ScriptPubkeyCount,
    ScriptPubkeyEncoding,
    ScriptPushSize,
    ScriptReturn,
    ScriptSigCount,
    ScriptSigEncoding,
    ScriptSigNotPushOnly,
    ScriptSigopLimit,
    ScriptStackOverflow,
    ScriptStackUnderflow,
    ScriptTooLarge,
    ScriptTruncatedPush,
    ScriptUnbalancedConditional,
    ScriptUnsatisfiedLocktime,
    ScriptUnsatisfiedSequence,
    ScriptVerifyFailed,
)
from spec.hashing import HASH_LENGTH, HashDomain, tagged_hash
from spec.presets import ScriptParams

# Format constants of the language (not network parameters, so not in the presets).
NUMBER_MAX_BYTES = 5
"""SCRIPT-14: longest stack element read as a number (Bitcoin's CLTV/CSV width; covers 2**39 - 1)."""
PUBLIC_KEY_BYTES = 32
"""SCRIPT-15: an Ed25519 public key."""
SIGNATURE_BYTES = 64
"""SCRIPT-15: an Ed25519 signature (no sighash-type byte: the transaction layer defines one hash)."""
KEY_HASH_BYTES = HASH_LENGTH
"""SCRIPT-19: the key hash of P2PKH, ``script_hash(public_key)``."""
MAX_DIRECT_PUSH = 0x4B
"""SCRIPT-2: opcodes 0x01..0x4b push that many following bytes."""
MAX_SMALL_INTEGER = 16
"""SCRIPT-4: OP_1..OP_16 push the one-byte values 1..16."""
TRUE = b"\x01"
"""The element opcodes push for true."""
FALSE = b""
"""The element opcodes push for false."""


class Opcode(IntEnum):
    """SCRIPT-2: the named opcodes of FerrisScript v1 (direct pushes 0x01..0x4b are unnamed).

    Every other byte, among them Bitcoin's 0x4f (1NEGATE), 0x50 (RESERVED) and 0xa9 (HASH160), is
    rejected wherever it appears.
    """

    OP_0 = 0x00
    OP_PUSHDATA1 = 0x4C
    OP_PUSHDATA2 = 0x4D
    OP_PUSHDATA4 = 0x4E
    OP_1 = 0x51
    OP_2 = 0x52
    OP_3 = 0x53
    OP_4 = 0x54
    OP_5 = 0x55
    OP_6 = 0x56
    OP_7 = 0x57
    OP_8 = 0x58
    OP_9 = 0x59
    OP_10 = 0x5A
    OP_11 = 0x5B
    OP_12 = 0x5C
    OP_13 = 0x5D
    OP_14 = 0x5E
    OP_15 = 0x5F
    OP_16 = 0x60
    OP_NOP = 0x61
    OP_IF = 0x63
    OP_NOTIF = 0x64
    OP_ELSE = 0x67
    OP_ENDIF = 0x68
    OP_VERIFY = 0x69
    OP_RETURN = 0x6A
    OP_DROP = 0x75
    OP_DUP = 0x76
    OP_SWAP = 0x7C
    OP_SIZE = 0x82
    OP_EQUAL = 0x87
    OP_EQUALVERIFY = 0x88
    OP_BLAKE3 = 0xAA
    OP_CHECKSIG = 0xAC
    OP_CHECKSIGVERIFY = 0xAD
    OP_CHECKMULTISIG = 0xAE
    OP_CHECKLOCKTIMEVERIFY = 0xB1
    OP_CHECKSEQUENCEVERIFY = 0xB2


PUSH_OPCODES: frozenset[int] = frozenset(
    {Opcode.OP_0, Opcode.OP_PUSHDATA1, Opcode.OP_PUSHDATA2, Opcode.OP_PUSHDATA4}
    | set(range(1, MAX_DIRECT_PUSH + 1))
    | set(range(Opcode.OP_1, Opcode.OP_16 + 1))
)
"""SCRIPT-8: the bytes that start a push; every other opcode counts against max_ops (SCRIPT-6)."""

_PUSHDATA_WIDTH: dict[int, int] = {Opcode.OP_PUSHDATA1: 1, Opcode.OP_PUSHDATA2: 2, Opcode.OP_PUSHDATA4: 4}
_CONDITIONALS = frozenset({Opcode.OP_IF, Opcode.OP_NOTIF, Opcode.OP_ELSE, Opcode.OP_ENDIF})


@dataclass(frozen=True)
class Push:
    """A push of ``data``; its encoding (OP_0, direct, PUSHDATAn or OP_1..OP_16) follows from ``data``."""

    data: bytes


@dataclass(frozen=True)
class Op:
    """A non-push opcode."""

    opcode: Opcode


ScriptOp: TypeAlias = Push | Op
"""One instruction of a parsed script."""


class SignatureChecker(Protocol):
    """What the transaction layer lends the interpreter (SCRIPT-15..17).

    The interpreter never sees the transaction: the checker knows the signature hash, the
    transaction's lock time and the spending input's sequence.
    """

    def check_signature(self, signature: bytes, public_key: bytes) -> bool:
        """Whether the 64-byte ``signature`` by the 32-byte ``public_key`` signs the signature hash.

        Returns ``False`` for a wrong signature; raises a :class:`~spec.errors.SpecError` with a
        stable code for an encoding that no signature or key can have (for example a point not on
        the curve, or a scalar not below the group order).
        """
        ...

    def check_lock_time(self, lock_time: int) -> bool:
        """Whether the transaction's lock time satisfies ``0 <= lock_time < 2**39`` (CLTV)."""
        ...

    def check_sequence(self, sequence: int) -> bool:
        """Whether the spending input's sequence satisfies ``0 <= sequence < 2**39`` (CSV)."""
        ...


# --------------------------------------------------------------------------------------------
# Numbers and truth (SCRIPT-14)
# --------------------------------------------------------------------------------------------


def encode_number(value: int) -> bytes:
    """SCRIPT-14: the minimal little-endian sign-magnitude encoding of ``value`` (zero is empty).

    The magnitude is written little-endian in as few bytes as possible; the top bit of the last
    byte is the sign. When the magnitude already uses that bit, one more byte ``00`` (positive) or
    ``80`` (negative) is appended.
    """
    if value == 0:
        return b""
    magnitude = abs(value)
    out = bytearray(magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "little"))
    if out[-1] & 0x80:
        out.append(0x80 if value < 0 else 0x00)
    elif value < 0:
        out[-1] |= 0x80
    return bytes(out)


def decode_number(element: bytes) -> int:
    """SCRIPT-14: read a stack element as a number; the inverse of :func:`encode_number`.

    Rejects elements longer than :data:`NUMBER_MAX_BYTES` (``SCRIPT_NUMBER_OVERFLOW``) and any
    element that is not :func:`encode_number` of its value (``SCRIPT_NON_MINIMAL_NUMBER``): a last
    byte of ``00`` or ``80`` is allowed only when the byte before it has its top bit set.
    """
    if len(element) > NUMBER_MAX_BYTES:
        raise ScriptNumberOverflow(f"a number is at most {NUMBER_MAX_BYTES} bytes, got {len(element)}")
    if not element:
        return 0
    if element[-1] & 0x7F == 0 and (len(element) == 1 or element[-2] & 0x80 == 0):
        raise ScriptNonMinimalNumber(f"{element.hex()} is not a minimal number")
    magnitude = int.from_bytes(element, "little") & ~(0x80 << (8 * (len(element) - 1)))
    return -magnitude if element[-1] & 0x80 else magnitude


def cast_to_bool(element: bytes) -> bool:
    """SCRIPT-13: an element is false iff all its bytes are zero, except possibly a last byte 0x80.

    So the empty element, ``00``, ``0000`` and ``80`` ("negative zero") are false.
    """
    for index, byte in enumerate(element):
        if byte != 0:
            return not (index == len(element) - 1 and byte == 0x80)
    return False


def _bool_element(value: bool) -> bytes:
    return TRUE if value else FALSE


# --------------------------------------------------------------------------------------------
# Encoding and parsing (SCRIPT-1..7)
# --------------------------------------------------------------------------------------------


def encode_push(data: bytes) -> bytes:
    """SCRIPT-4: the one encoding of a push of ``data``, the shortest one.

    Empty: ``OP_0``. One byte 1..16: ``OP_1..OP_16``. Up to 75 bytes: a direct push (the length
    byte itself). Up to 255: ``OP_PUSHDATA1`` and a 1-byte length. Up to 65535: ``OP_PUSHDATA2``
    and a 2-byte little-endian length. Beyond: ``OP_PUSHDATA4`` and a 4-byte length.
    """
    length = len(data)
    if length == 0:
        return bytes([Opcode.OP_0])
    if length == 1 and 1 <= data[0] <= MAX_SMALL_INTEGER:
        return bytes([Opcode.OP_1 - 1 + data[0]])
    if length <= MAX_DIRECT_PUSH:
        return bytes([length]) + data
    for opcode, width in _PUSHDATA_WIDTH.items():
        if length < 1 << (8 * width):
            return bytes([opcode]) + length.to_bytes(width, "little") + data
    raise ScriptBadTemplate(f"a push of {length} bytes has no encoding")


def _read_push(script: bytes, pos: int, params: ScriptParams) -> tuple[Push, int]:
    """SCRIPT-3..5: read the push that starts at ``script[pos]``; return it and the next offset."""
    opcode = script[pos]
    if opcode == Opcode.OP_0:
        return Push(b""), pos + 1
    if Opcode.OP_1 <= opcode <= Opcode.OP_16:
        return Push(bytes([opcode - Opcode.OP_1 + 1])), pos + 1
    width = _PUSHDATA_WIDTH.get(opcode, 0)
    start = pos + 1 + width
    if start > len(script):
        raise ScriptTruncatedPush(f"length of the push at offset {pos} runs past the end")
    length = int.from_bytes(script[pos + 1 : start], "little") if width else opcode
    end = start + length
    if end > len(script):
        raise ScriptTruncatedPush(f"push at offset {pos} needs {length} bytes, {len(script) - start} left")
    data = script[start:end]
    if encode_push(data) != script[pos:end]:
        raise ScriptNonMinimalPush(f"push of {length} bytes at offset {pos} is not minimal")
    if length > params.max_element_bytes:
        raise ScriptPushSize(f"push of {length} bytes exceeds {params.max_element_bytes}")
    return Push(data), end


def _read_op(script: bytes, pos: int, params: ScriptParams) -> tuple[ScriptOp, int]:
    """SCRIPT-2..5: read one instruction at ``script[pos]``."""
    byte = script[pos]
    if byte in PUSH_OPCODES:
        return _read_push(script, pos, params)
    try:
        return Op(Opcode(byte)), pos + 1
    except ValueError:
        raise ScriptBadOpcode(f"0x{byte:02x} at offset {pos} is not an opcode") from None


def _track_conditional(open_blocks: tuple[bool, ...], opcode: Opcode) -> tuple[bool, ...]:
    """SCRIPT-7: the open IF blocks after ``opcode``; each entry says whether its ELSE was seen."""
    if opcode in (Opcode.OP_IF, Opcode.OP_NOTIF):
        return (*open_blocks, False)
    if opcode not in (Opcode.OP_ELSE, Opcode.OP_ENDIF):
        return open_blocks
    if not open_blocks:
        raise ScriptUnbalancedConditional(f"{opcode.name} without an open IF")
    if opcode == Opcode.OP_ENDIF:
        return open_blocks[:-1]
    if open_blocks[-1]:
        raise ScriptUnbalancedConditional("second OP_ELSE in one IF block")
    return (*open_blocks[:-1], True)


PARSE_MEMO_SIZE = 1 << 14
"""How many accepted scripts :func:`parse_script` remembers (not a consensus constant: a memo size)."""


@lru_cache(maxsize=PARSE_MEMO_SIZE)
def parse_script(script: bytes, params: ScriptParams) -> tuple[ScriptOp, ...]:
    """SCRIPT-1..7: the instructions of ``script``, or the first rule it breaks in reading order.

    Each instruction is checked as it is read (SCRIPT-2..5, then SCRIPT-6, then SCRIPT-7); an IF
    still open at the end is reported last. Every accepted script satisfies
    ``serialize_script(parse_script(script)) == script``.

    The result (an immutable tuple) is memoised per ``(script, params)``: a block's validation reads
    each script several times (sigop count, evaluation, unspendability, templates; issue 14), and
    the same output scripts recur across transactions. A rejected script is not memoised (the
    error is raised again on each call). ``parse_script.__wrapped__`` is the unmemoised function.
    """
    if len(script) > params.max_script_bytes:
        raise ScriptTooLarge(f"script of {len(script)} bytes exceeds {params.max_script_bytes}")
    ops: list[ScriptOp] = []
    open_blocks: tuple[bool, ...] = ()
    op_count = 0
    pos = 0
    while pos < len(script):
        op, pos = _read_op(script, pos, params)
        if isinstance(op, Op):
            op_count += 1
            if op_count > params.max_ops:
                raise ScriptOpCount(f"more than {params.max_ops} non-push opcodes")
            open_blocks = _track_conditional(open_blocks, op.opcode)
        ops.append(op)
    if open_blocks:
        raise ScriptUnbalancedConditional(f"{len(open_blocks)} IF block(s) never closed")
    return tuple(ops)


def serialize_script(ops: Sequence[ScriptOp]) -> bytes:
    """SCRIPT-4: the bytes of ``ops``; the inverse of :func:`parse_script` on accepted scripts.

    Raises ``SCRIPT_BAD_TEMPLATE`` for an :class:`Op` holding a push opcode (pushes are :class:`Push`).
    """
    out = bytearray()
    for op in ops:
        if isinstance(op, Push):
            out += encode_push(op.data)
        elif op.opcode in PUSH_OPCODES:
            raise ScriptBadTemplate(f"{op.opcode.name} is a push: use Push(data)")
        else:
            out.append(op.opcode)
    return bytes(out)


def op_to_asm(op: ScriptOp) -> str:
    """The text form of one instruction: ``OP_0``, ``OP_1``..``OP_16``, the pushed hex, or the opcode name."""
    if isinstance(op, Op):
        return op.opcode.name
    if not op.data:
        return "OP_0"
    if len(op.data) == 1 and 1 <= op.data[0] <= MAX_SMALL_INTEGER:
        return f"OP_{op.data[0]}"
    return op.data.hex()


def is_push_only(ops: Sequence[ScriptOp]) -> bool:
    """SCRIPT-8: whether every instruction is a push."""
    return all(isinstance(op, Push) for op in ops)


# --------------------------------------------------------------------------------------------
# Signature operations (SCRIPT-9)
# --------------------------------------------------------------------------------------------


def _small_integer(op: ScriptOp | None) -> int | None:
    """The value 1..16 of an OP_1..OP_16 push, else ``None``."""
    if isinstance(op, Push) and len(op.data) == 1 and 1 <= op.data[0] <= MAX_SMALL_INTEGER:
        return op.data[0]
    return None


def count_ops_sigops(ops: Sequence[ScriptOp], params: ScriptParams) -> int:
    """SCRIPT-9: CHECKSIG and CHECKSIGVERIFY count 1; CHECKMULTISIG counts n when the instruction
    right before it is OP_n (1..16), else ``max_pubkeys_per_multisig``. Branches are not considered:
    every instruction counts, executed or not."""
    total = 0
    previous: ScriptOp | None = None
    for op in ops:
        if isinstance(op, Op):
            if op.opcode in (Opcode.OP_CHECKSIG, Opcode.OP_CHECKSIGVERIFY):
                total += 1
            elif op.opcode == Opcode.OP_CHECKMULTISIG:
                declared = _small_integer(previous)
                total += params.max_pubkeys_per_multisig if declared is None else declared
        previous = op
    return total


def count_sigops(script: bytes, params: ScriptParams) -> int:
    """SCRIPT-9: the counted signature operations of ``script`` (which must parse, SCRIPT-1..7)."""
    return count_ops_sigops(parse_script(script, params), params)


def check_sigops(scripts: Sequence[bytes], params: ScriptParams) -> int:
    """SCRIPT-9: the sigops of all ``scripts`` of one transaction; ``SCRIPT_SIGOP_LIMIT`` above the budget."""
    total = sum(count_sigops(script, params) for script in scripts)
    if total > params.max_sigops_per_tx:
        raise ScriptSigopLimit(f"{total} sigops exceed {params.max_sigops_per_tx}")
    return total


# --------------------------------------------------------------------------------------------
# Execution (SCRIPT-10..18)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecState:
    """The interpreter state between two instructions.

    ``stack`` lists elements bottom first (the top is ``stack[-1]``); ``branches`` holds one flag
    per open IF block, true when its current branch is taken.
    """

    stack: tuple[bytes, ...] = ()
    branches: tuple[bool, ...] = ()

    @property
    def executing(self) -> bool:
        """SCRIPT-12: instructions act only when every enclosing branch is taken."""
        return all(self.branches)


def _take(stack: tuple[bytes, ...], count: int) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """SCRIPT-11: split off the top ``count`` elements (returned bottom first)."""
    if len(stack) < count:
        raise ScriptStackUnderflow(f"need {count} stack elements, have {len(stack)}")
    split = len(stack) - count
    return stack[:split], stack[split:]


def script_hash(data: bytes) -> bytes:
    """SCRIPT-13 (OP_BLAKE3): ``tagged_hash(SCRIPT_HASH, data)``; the P2PKH key hash of a public key."""
    return tagged_hash(HashDomain.SCRIPT_HASH, data)


def check_signature_pair(signature: bytes, public_key: bytes, checker: SignatureChecker) -> bool:
    """SCRIPT-15: one signature comparison.

    In order: the signature is empty or 64 bytes (``SCRIPT_SIG_ENCODING``); the key is 32 bytes
    (``SCRIPT_PUBKEY_ENCODING``); an empty signature is false without a checker call; otherwise the
    checker decides (and may raise for an encoding it rejects).
    """
    if len(signature) not in (0, SIGNATURE_BYTES):
        raise ScriptSigEncoding(f"signature of {len(signature)} bytes")
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ScriptPubkeyEncoding(f"public key of {len(public_key)} bytes")
    if not signature:
        return False
    return checker.check_signature(signature, public_key)


def _checksig(stack: tuple[bytes, ...], checker: SignatureChecker) -> tuple[tuple[bytes, ...], bool]:
    """SCRIPT-15: pop a public key (top) and a signature; NULLFAIL on a failed non-empty signature."""
    rest, (signature, public_key) = _take(stack, 2)
    valid = check_signature_pair(signature, public_key, checker)
    if not valid and signature:
        raise ScriptNullFail("signature check failed with a non-empty signature")
    return rest, valid


def match_signatures(
    signatures: Sequence[bytes], public_keys: Sequence[bytes], checker: SignatureChecker
) -> bool:
    """SCRIPT-16: whether ``signatures`` match an ordered subsequence of ``public_keys`` (both bottom first).

    The comparison starts with the last (topmost) signature and key. A match moves to the next
    signature down; every comparison moves to the next key down. It stops with false as soon as
    more signatures remain than keys; keys never reached are not looked at.
    """
    sig_index, key_index = len(signatures), len(public_keys)
    while sig_index > 0:
        if sig_index > key_index:
            return False
        if check_signature_pair(signatures[sig_index - 1], public_keys[key_index - 1], checker):
            sig_index -= 1
        key_index -= 1
    return True


def _checkmultisig(
    stack: tuple[bytes, ...], checker: SignatureChecker, params: ScriptParams
) -> tuple[bytes, ...]:
    """SCRIPT-16: ``dummy sig_1..sig_m m key_1..key_n n CHECKMULTISIG``.

    Pops and checks in this order: n (a number, ``0 <= n <= max_pubkeys_per_multisig``), n keys,
    m (``0 <= m <= n``), m signatures, the dummy (must be empty: NULLDUMMY); then matches
    (:func:`match_signatures`); a false result with any non-empty signature is NULLFAIL.
    """
    rest, (key_count_element,) = _take(stack, 1)
    key_count = decode_number(key_count_element)
    if not 0 <= key_count <= params.max_pubkeys_per_multisig:
        raise ScriptPubkeyCount(f"key count {key_count} not in [0, {params.max_pubkeys_per_multisig}]")
    rest, public_keys = _take(rest, key_count)
    rest, (sig_count_element,) = _take(rest, 1)
    sig_count = decode_number(sig_count_element)
    if not 0 <= sig_count <= key_count:
        raise ScriptSigCount(f"signature count {sig_count} not in [0, {key_count}]")
    rest, signatures = _take(rest, sig_count)
    rest, (dummy,) = _take(rest, 1)
    if dummy:
        raise ScriptNullDummy("the CHECKMULTISIG dummy element is not empty")
    valid = match_signatures(signatures, public_keys, checker)
    if not valid and any(signatures):
        raise ScriptNullFail("multisig check failed with a non-empty signature")
    return (*rest, _bool_element(valid))


def _lock_operand(stack: tuple[bytes, ...]) -> int:
    """SCRIPT-17: the top element (not popped) as a non-negative number."""
    _, (element,) = _take(stack, 1)
    value = decode_number(element)
    if value < 0:
        raise ScriptNegativeLocktime(f"lock operand {value}")
    return value


def _stack_op(stack: tuple[bytes, ...], opcode: Opcode) -> tuple[bytes, ...]:
    """SCRIPT-13: NOP, DROP, DUP, SWAP, SIZE, EQUAL and BLAKE3."""
    if opcode == Opcode.OP_NOP:
        return stack
    if opcode == Opcode.OP_SWAP:
        rest, (below, top) = _take(stack, 2)
        return (*rest, top, below)
    if opcode == Opcode.OP_EQUAL:
        rest, (first, second) = _take(stack, 2)
        return (*rest, _bool_element(first == second))
    rest, (top,) = _take(stack, 1)
    if opcode == Opcode.OP_DROP:
        return rest
    if opcode == Opcode.OP_DUP:
        return (*stack, top)
    if opcode == Opcode.OP_SIZE:
        return (*stack, encode_number(len(top)))
    if opcode == Opcode.OP_BLAKE3:
        return (*rest, script_hash(top))
    raise ScriptBadOpcode(f"{opcode.name} is not a stack opcode")


def _verify_op(stack: tuple[bytes, ...], opcode: Opcode) -> tuple[bytes, ...]:
    """SCRIPT-13: VERIFY, EQUALVERIFY and RETURN."""
    if opcode == Opcode.OP_RETURN:
        raise ScriptReturn("OP_RETURN executed")
    if opcode == Opcode.OP_EQUALVERIFY:
        rest, (first, second) = _take(stack, 2)
        if first != second:
            raise ScriptEqualVerifyFailed("the two top elements differ")
        return rest
    rest, (top,) = _take(stack, 1)
    if not cast_to_bool(top):
        raise ScriptVerifyFailed("OP_VERIFY on a false element")
    return rest


def _signature_op(
    stack: tuple[bytes, ...], opcode: Opcode, checker: SignatureChecker, params: ScriptParams
) -> tuple[bytes, ...]:
    """SCRIPT-15..17: CHECKSIG, CHECKSIGVERIFY, CHECKMULTISIG, CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY."""
    if opcode == Opcode.OP_CHECKSIG:
        rest, valid = _checksig(stack, checker)
        return (*rest, _bool_element(valid))
    if opcode == Opcode.OP_CHECKSIGVERIFY:
        rest, valid = _checksig(stack, checker)
        if not valid:
            raise ScriptCheckSigVerifyFailed("empty signature")
        return rest
    if opcode == Opcode.OP_CHECKMULTISIG:
        return _checkmultisig(stack, checker, params)
    if opcode == Opcode.OP_CHECKLOCKTIMEVERIFY:
        if not checker.check_lock_time(_lock_operand(stack)):
            raise ScriptUnsatisfiedLocktime("the checker rejects the lock time")
        return stack
    if not checker.check_sequence(_lock_operand(stack)):
        raise ScriptUnsatisfiedSequence("the checker rejects the sequence")
    return stack


_STACK_OPCODES = frozenset(
    {
        Opcode.OP_NOP,
        Opcode.OP_DROP,
        Opcode.OP_DUP,
        Opcode.OP_SWAP,
        Opcode.OP_SIZE,
        Opcode.OP_EQUAL,
        Opcode.OP_BLAKE3,
    }
)
_VERIFY_OPCODES = frozenset({Opcode.OP_VERIFY, Opcode.OP_EQUALVERIFY, Opcode.OP_RETURN})
_SIGNATURE_OPCODES = frozenset(
    {
        Opcode.OP_CHECKSIG,
        Opcode.OP_CHECKSIGVERIFY,
        Opcode.OP_CHECKMULTISIG,
        Opcode.OP_CHECKLOCKTIMEVERIFY,
        Opcode.OP_CHECKSEQUENCEVERIFY,
    }
)


def _conditional(state: ExecState, opcode: Opcode) -> ExecState:
    """SCRIPT-12: IF/NOTIF open a block (popping a minimal condition when executing); ELSE flips
    the innermost block; ENDIF closes it."""
    if opcode in (Opcode.OP_IF, Opcode.OP_NOTIF):
        if not state.executing:
            return replace(state, branches=(*state.branches, False))
        rest, (condition,) = _take(state.stack, 1)
        if condition not in (FALSE, TRUE):
            raise ScriptMinimalIf(f"condition {condition.hex()!r} is neither empty nor 01")
        taken = (condition == TRUE) != (opcode == Opcode.OP_NOTIF)
        return ExecState(stack=rest, branches=(*state.branches, taken))
    if not state.branches:
        raise ScriptUnbalancedConditional(f"{opcode.name} without an open IF")
    if opcode == Opcode.OP_ELSE:
        return replace(state, branches=(*state.branches[:-1], not state.branches[-1]))
    return replace(state, branches=state.branches[:-1])


def step(state: ExecState, op: ScriptOp, checker: SignatureChecker, params: ScriptParams) -> ExecState:
    """SCRIPT-10..17: run one instruction; then the stack may hold at most ``max_stack_items``."""
    if isinstance(op, Op) and op.opcode in _CONDITIONALS:
        after = _conditional(state, op.opcode)
    elif not state.executing:
        return state
    elif isinstance(op, Push):
        after = ExecState((*state.stack, op.data), state.branches)
    elif op.opcode in _STACK_OPCODES:
        after = ExecState(_stack_op(state.stack, op.opcode), state.branches)
    elif op.opcode in _VERIFY_OPCODES:
        after = ExecState(_verify_op(state.stack, op.opcode), state.branches)
    elif op.opcode in _SIGNATURE_OPCODES:
        after = ExecState(_signature_op(state.stack, op.opcode, checker, params), state.branches)
    else:
        raise ScriptBadOpcode(f"{op.opcode.name} cannot run as an instruction")
    if len(after.stack) > params.max_stack_items:
        raise ScriptStackOverflow(f"{len(after.stack)} stack elements exceed {params.max_stack_items}")
    return after


def execute(
    ops: Sequence[ScriptOp], stack: tuple[bytes, ...], checker: SignatureChecker, params: ScriptParams
) -> tuple[bytes, ...]:
    """SCRIPT-10..17: run one parsed script from ``stack``; return the stack it leaves."""
    state = ExecState(stack=stack)
    for op in ops:
        state = step(state, op, checker, params)
    if state.branches:
        raise ScriptUnbalancedConditional("IF block open at the end of the script")
    return state.stack


def check_final_stack(stack: tuple[bytes, ...]) -> None:
    """SCRIPT-18: the top element is true (else ``SCRIPT_FALSE_RESULT``) and the only one left
    (else ``SCRIPT_CLEAN_STACK``)."""
    if not stack or not cast_to_bool(stack[-1]):
        raise ScriptFalseResult("the script ends without a true element on top")
    if len(stack) != 1:
        raise ScriptCleanStack(f"{len(stack)} elements left, exactly one allowed")


def evaluate(
    script_sig: bytes, script_pubkey: bytes, checker: SignatureChecker, params: ScriptParams
) -> None:
    """SCRIPT-1..18: return iff ``script_sig`` unlocks ``script_pubkey``; raise the first rule broken.

    Order: parse ``script_sig`` (SCRIPT-1..7), it is push-only (SCRIPT-8), parse ``script_pubkey``
    (SCRIPT-1..7), its sigops fit (SCRIPT-9), run ``script_sig`` on the empty stack, run
    ``script_pubkey`` on the result (SCRIPT-10..17), check the final stack (SCRIPT-18).
    """
    sig_ops = parse_script(script_sig, params)
    if not is_push_only(sig_ops):
        raise ScriptSigNotPushOnly("script_sig contains a non-push opcode")
    pubkey_ops = parse_script(script_pubkey, params)
    sigops = count_ops_sigops(pubkey_ops, params)
    if sigops > params.max_sigops_per_tx:
        raise ScriptSigopLimit(f"{sigops} sigops exceed {params.max_sigops_per_tx}")
    key_hash = match_p2pkh(script_pubkey)
    if key_hash is not None and len(sig_ops) == 2 and params.max_stack_items >= P2PKH_STACK_DEPTH:
        signature, public_key = (op.data for op in sig_ops if isinstance(op, Push))
        run_p2pkh(signature, public_key, key_hash, checker)
        return
    run_scripts(sig_ops, pubkey_ops, checker, params)


def run_scripts(
    sig_ops: Sequence[ScriptOp],
    pubkey_ops: Sequence[ScriptOp],
    checker: SignatureChecker,
    params: ScriptParams,
) -> None:
    """SCRIPT-10..18: run the parsed ``script_sig`` on the empty stack, the parsed ``script_pubkey``
    on the result, and check the final stack (the readable interpreter, one step per instruction)."""
    stack = execute(sig_ops, (), checker, params)
    stack = execute(pubkey_ops, stack, checker, params)
    check_final_stack(stack)


P2PKH_STACK_DEPTH = 4
"""The deepest stack a two-push script_sig reaches on a P2PKH script (after its key-hash push)."""


def run_p2pkh(signature: bytes, public_key: bytes, key_hash: bytes, checker: SignatureChecker) -> None:
    """SCRIPT-10..18 for ``<signature> <public_key>`` against ``P2PKH(key_hash)``, without the
    general interpreter: exactly what :func:`run_scripts` does on those two instructions lists when
    the stack may hold at least :data:`P2PKH_STACK_DEPTH` items (the common case; issue 14).

    DUP and BLAKE3 hash the key, EQUALVERIFY compares it to ``key_hash``, CHECKSIG checks the pair
    (SCRIPT-15, NULLFAIL on a failed non-empty signature), and the result is the final stack
    (SCRIPT-18). ``tests/test_script.py`` checks both give the same result or error code.
    """
    if script_hash(public_key) != key_hash:
        raise ScriptEqualVerifyFailed("the two top elements differ")
    valid = check_signature_pair(signature, public_key, checker)
    if not valid and signature:
        raise ScriptNullFail("signature check failed with a non-empty signature")
    check_final_stack((_bool_element(valid),))


P2PKH_SCRIPT_SIG_BYTES = 1 + SIGNATURE_BYTES + 1 + PUBLIC_KEY_BYTES
"""A P2PKH script_sig, ``<signature> <public_key>``: two direct pushes, 98 bytes."""
P2PKH_NON_PUSH_OPS = 4
"""DUP, BLAKE3, EQUALVERIFY, CHECKSIG: the non-push opcodes of a P2PKH script (SCRIPT-6)."""


def match_p2pkh_spend(
    script_sig: bytes, script_pubkey: bytes, params: ScriptParams
) -> tuple[bytes, bytes, bytes] | None:
    """``(signature, public_key, key_hash)`` when :func:`evaluate` of this pair, under ``params``,
    is exactly :func:`run_p2pkh` on them, else ``None`` (issue 14: it skips parsing the script_sig,
    which is new in every transaction).

    That is when ``script_sig`` is the 98-byte template (a 64-byte and a 32-byte direct push, the
    minimal encodings), ``script_pubkey`` is P2PKH, and ``params`` let both parse and run:
    ``max_script_bytes`` >= 98, ``max_element_bytes`` >= 64, ``max_ops`` >= 4, one sigop allowed and
    ``max_stack_items >= P2PKH_STACK_DEPTH``. Then SCRIPT-1..9 all pass and :func:`evaluate` takes
    its P2PKH branch. ``tests/test_fast_paths.py`` checks the claim against :func:`evaluate`.
    """
    if (
        len(script_sig) != P2PKH_SCRIPT_SIG_BYTES
        or script_sig[0] != SIGNATURE_BYTES
        or script_sig[SIGNATURE_BYTES + 1] != PUBLIC_KEY_BYTES
        or params.max_script_bytes < P2PKH_SCRIPT_SIG_BYTES
        or params.max_element_bytes < SIGNATURE_BYTES
        or params.max_ops < P2PKH_NON_PUSH_OPS
        or params.max_sigops_per_tx < 1
        or params.max_stack_items < P2PKH_STACK_DEPTH
    ):
        return None
    key_hash = match_p2pkh(script_pubkey)
    if key_hash is None:
        return None
    return script_sig[1 : SIGNATURE_BYTES + 1], script_sig[SIGNATURE_BYTES + 2 :], key_hash


# --------------------------------------------------------------------------------------------
# Templates (SCRIPT-19)
# --------------------------------------------------------------------------------------------


def p2pkh_script(key_hash: bytes) -> bytes:
    """SCRIPT-19: ``OP_DUP OP_BLAKE3 <key_hash> OP_EQUALVERIFY OP_CHECKSIG`` (37 bytes)."""
    if len(key_hash) != KEY_HASH_BYTES:
        raise ScriptBadTemplate(f"a key hash is {KEY_HASH_BYTES} bytes, got {len(key_hash)}")
    return serialize_script(
        (
            Op(Opcode.OP_DUP),
            Op(Opcode.OP_BLAKE3),
            Push(key_hash),
            Op(Opcode.OP_EQUALVERIFY),
            Op(Opcode.OP_CHECKSIG),
        )
    )


def p2pkh_script_sig(signature: bytes, public_key: bytes) -> bytes:
    """SCRIPT-19: ``<signature> <public_key>``, the script_sig that spends a P2PKH output."""
    if len(signature) != SIGNATURE_BYTES or len(public_key) != PUBLIC_KEY_BYTES:
        raise ScriptBadTemplate("P2PKH needs a 64-byte signature and a 32-byte public key")
    return serialize_script((Push(signature), Push(public_key)))


def match_p2pkh(script: bytes) -> bytes | None:
    """SCRIPT-19: the key hash of a P2PKH script, or ``None`` when ``script`` is not exactly that template."""
    prefix, suffix = _P2PKH_PREFIX, _P2PKH_SUFFIX
    if len(script) != len(prefix) + KEY_HASH_BYTES + len(suffix):
        return None
    if not (script.startswith(prefix) and script.endswith(suffix)):
        return None
    return script[len(prefix) : len(prefix) + KEY_HASH_BYTES]


_P2PKH_PREFIX = bytes([Opcode.OP_DUP, Opcode.OP_BLAKE3, KEY_HASH_BYTES])
_P2PKH_SUFFIX = bytes([Opcode.OP_EQUALVERIFY, Opcode.OP_CHECKSIG])
P2PKH_PREFIX = _P2PKH_PREFIX
"""SCRIPT-19: the bytes of a P2PKH script before its key hash (``OP_DUP OP_BLAKE3 <32 bytes>``)."""
P2PKH_SUFFIX = _P2PKH_SUFFIX
"""SCRIPT-19: the bytes of a P2PKH script after its key hash (``OP_EQUALVERIFY OP_CHECKSIG``)."""
P2PKH_SCRIPT_BYTES = len(_P2PKH_PREFIX) + KEY_HASH_BYTES + len(_P2PKH_SUFFIX)
"""SCRIPT-19: a P2PKH script is 37 bytes."""


def is_p2pkh(script: bytes) -> bool:
    """SCRIPT-19: whether ``script`` is exactly a P2PKH script."""
    return match_p2pkh(script) is not None


def multisig_script(required: int, public_keys: Sequence[bytes], params: ScriptParams) -> bytes:
    """SCRIPT-19: ``OP_m <key_1> .. <key_n> OP_n OP_CHECKMULTISIG`` with ``1 <= m <= n <= 16``.

    ``n`` is also at most ``max_pubkeys_per_multisig``; keys are 32 bytes. Spend it with
    :func:`multisig_script_sig`, signatures in key order.
    """
    count = len(public_keys)
    if not 1 <= required <= count <= min(MAX_SMALL_INTEGER, params.max_pubkeys_per_multisig):
        raise ScriptBadTemplate(f"{required}-of-{count} is not a multisig template")
    if any(len(key) != PUBLIC_KEY_BYTES for key in public_keys):
        raise ScriptBadTemplate(f"multisig keys are {PUBLIC_KEY_BYTES} bytes")
    ops: list[ScriptOp] = [Push(bytes([required])), *(Push(key) for key in public_keys)]
    ops += [Push(bytes([count])), Op(Opcode.OP_CHECKMULTISIG)]
    return serialize_script(ops)


def multisig_script_sig(signatures: Sequence[bytes]) -> bytes:
    """SCRIPT-19: ``OP_0 <sig_1> .. <sig_m>``: the empty dummy, then the signatures in key order."""
    if any(len(signature) != SIGNATURE_BYTES for signature in signatures):
        raise ScriptBadTemplate(f"signatures are {SIGNATURE_BYTES} bytes")
    return serialize_script([Push(b""), *(Push(signature) for signature in signatures)])


def match_multisig(script: bytes, params: ScriptParams) -> tuple[int, tuple[bytes, ...]] | None:
    """SCRIPT-19: ``(m, keys)`` of a script that :func:`multisig_script` builds, else ``None``."""
    try:
        ops = parse_script(script, params)
    except ScriptError:
        return None
    if len(ops) < 4 or ops[-1] != Op(Opcode.OP_CHECKMULTISIG):
        return None
    required, count = _small_integer(ops[0]), _small_integer(ops[-2])
    keys = tuple(op.data for op in ops[1:-2] if isinstance(op, Push) and len(op.data) == PUBLIC_KEY_BYTES)
    if required is None or count is None or len(keys) != len(ops) - 3 or count != len(keys):
        return None
    if not required <= count <= params.max_pubkeys_per_multisig:
        return None
    return required, keys


def null_data_script(payload: bytes, params: ScriptParams) -> bytes:
    """SCRIPT-19: ``OP_RETURN [<payload>]``, an output that carries data and can never be spent.

    An empty payload gives the bare ``OP_RETURN``; a payload is at most ``max_element_bytes``.
    """
    if len(payload) > params.max_element_bytes:
        raise ScriptBadTemplate(f"payload of {len(payload)} bytes exceeds {params.max_element_bytes}")
    ops: list[ScriptOp] = [Op(Opcode.OP_RETURN)] + ([Push(payload)] if payload else [])
    return serialize_script(ops)


def is_null_data(script: bytes, params: ScriptParams) -> bool:
    """SCRIPT-19: whether ``script`` parses as ``OP_RETURN`` followed by pushes only."""
    try:
        ops = parse_script(script, params)
    except ScriptError:
        return False
    return bool(ops) and ops[0] == Op(Opcode.OP_RETURN) and is_push_only(ops[1:])


OP_RETURN_BYTE = bytes([Opcode.OP_RETURN])
"""``OP_RETURN`` as a one-byte script prefix (built once, not per output: issue 14)."""


def is_unspendable(script: bytes, params: ScriptParams) -> bool:
    """SCRIPT-19: whether no script_sig can ever unlock ``script`` (so the output need not be kept).

    True when the first byte is OP_RETURN (it runs first and fails, SCRIPT-13) or the script does
    not parse (SCRIPT-1..7 reject it before anything runs). False does not promise a spend exists.
    """
    if script[:1] == OP_RETURN_BYTE:
        return True
    try:
        parse_script(script, params)
    except ScriptError:
        return True
    return False
