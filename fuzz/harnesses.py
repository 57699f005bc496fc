"""Fuzz harnesses: one function per decoder or validator, each ``fuzz_<name>(data: bytes) -> None``.

A harness feeds arbitrary bytes to its target. A rejection with a :class:`~spec.errors.SpecError`
(the project rule: the only way to refuse input) is swallowed; every other exception escapes and
is a finding. On success the harness checks the target's invariants -- above all ENC-2,
``encode(decode(b)) == b`` -- and raises :class:`InvariantViolation` when one fails.

The harnesses need neither atheris nor any other fuzzer: they are plain functions of ``bytes``, so
the same code runs under libFuzzer (``python -m fuzz.run``), in the corpus replay
(``python -m fuzz.run --replay``) and under Hypothesis (``tests/test_decoder_robustness.py``).
Structured inputs are derived from the raw bytes with the project's own codecs, so a fuzzer that
mutates a valid seed reaches deep into the target.

:data:`HARNESSES` maps each harness name to its strict function. Bugs that are known and not yet
fixed are listed in :data:`KNOWN_BUGS`; :func:`tolerant` wraps a harness so that it ignores exactly
those (unless ``RUSTY_FUZZ_STRICT=1``), which keeps a long fuzzing run hunting for *new* bugs.
Each known bug is pinned by a test in ``tests/test_fuzz_smoke.py`` that is an expected failure while
the bug reproduces and fails as soon as it is fixed, so the entry cannot outlive the bug.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache, lru_cache, partial
from typing import Any

import spec.presets as presets_module
from conformance.adapter import handle_request, parse_request, serve
from conformance.handlers import FLOW_HANDLERS
from conformance.handlers.encoding import parse_type
from conformance.model import BadInput
from fuzz.accumulator_harnesses import ACCUMULATOR_HARNESSES
from fuzz.chain_harnesses import CHAIN_HARNESSES
from fuzz.dispute_harnesses import DISPUTE_HARNESSES
from fuzz.dkg_harnesses import DKG_HARNESSES
from fuzz.eth_rpc_harnesses import ETH_RPC_HARNESSES
from fuzz.evm_harnesses import EVM_HARNESSES
from fuzz.finality_harnesses import FINALITY_HARNESSES
from fuzz.fraud_proof_harnesses import FRAUD_PROOF_HARNESSES
from fuzz.ledger_harnesses import LEDGER_HARNESSES
from fuzz.masternode_harnesses import MASTERNODE_HARNESSES
from fuzz.p2p_harnesses import P2P_HARNESSES
from fuzz.script_harnesses import SCRIPT_HARNESSES
from fuzz.sidechain_block_harnesses import SIDECHAIN_BLOCK_HARNESSES
from fuzz.sidechain_harnesses import SIDECHAIN_HARNESSES
from fuzz.state_harnesses import STATE_HARNESSES
from fuzz.trie_harnesses import TRIE_HARNESSES
from fuzz.upgrade_harnesses import UPGRADE_HARNESSES
from fuzz.vm_wasm_harnesses import VM_WASM_HARNESSES
from fuzz.watch_store_harnesses import WATCH_STORE_HARNESSES
from reference import jsonsafe
from spec.crypto import bls
from spec.encoding import (
    BOOL,
    BYTES32,
    MAX_U64,
    MAX_VARINT_BYTES,
    U8,
    U16,
    U32,
    U64,
    VARINT,
    Codec,
    FixedBytes,
    ListOf,
    Mapped,
    OptionOf,
    Reader,
    Struct,
    VarBytes,
    decode,
    encode,
    varint_encode,
    varint_read,
)
from spec.errors import (
    ALL_ERROR_CODES,
    DecodeError,
    InvalidEnumTag,
    InvalidPublicKey,
    InvalidSecretKey,
    InvalidSignatureEncoding,
    MerkleEmptyTree,
    MerkleError,
    MerkleIndexOutOfRange,
    MerkleProofLength,
    MerkleRootMismatch,
    SpecError,
)
from spec.merkle import (
    inclusion_proof,
    inclusion_proof_length,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_inclusion_proof,
    split_point,
    verify_inclusion_proof,
)
from spec.presets import DEVNET, MAINNET, Preset, parse_preset

Harness = Callable[[bytes], None]

STRICT_ENV = "RUSTY_FUZZ_STRICT"
"""Set to ``1`` to make :func:`tolerant` ignore :data:`KNOWN_BUGS` (report known bugs too)."""


class InvariantViolation(AssertionError):
    """A target accepted (or rejected) an input in a way its rules forbid.

    ``known_bug`` names the :data:`KNOWN_BUGS` entry the violation is an instance of, when the
    harness can tell; ``None`` means a new finding.
    """

    def __init__(self, message: str, known_bug: str | None = None) -> None:
        super().__init__(message)
        self.known_bug = known_bug


# --------------------------------------------------------------------------------------------
# Known, not yet fixed bugs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownBug:
    """A bug the harnesses found that the specification has not fixed yet."""

    ident: str
    summary: str
    harnesses: tuple[str, ...]
    matches: Callable[[BaseException], bool]


def _is_tagged(ident: str) -> Callable[[BaseException], bool]:
    # Duck-typed: harness modules of other areas raise their own AssertionError subclasses with the
    # same (message, known_bug) shape.
    return lambda exc: isinstance(exc, AssertionError) and getattr(exc, "known_bug", None) == ident


KNOWN_BUGS: tuple[KnownBug, ...] = ()
"""Bugs found by these harnesses and not yet fixed in ``spec/`` or ``conformance/``.

Fixed so far (their reproducers stay in the corpora as ``seed-fixed-<IDENT>*``): ENC-NESTED-OPTION
(``01 00`` and ``00`` both decoded to ``None`` under an option of an option), ENC-ZERO-WIDTH-ITEMS
(a list of zero-width items let 5 input bytes claim 2**32 items), PRESET-TOML-ERRORS (``ValueError``
and ``RecursionError`` escaping ``parse_preset``), HANDLER-TYPE-DIGITS (``ValueError`` from a type
length over 4300 digits), THRESHOLD-UNBOUNDED-DEGREE (an unbounded ``threshold`` in
``coefficients_from_seed`` requests), ADAPTER-JSON-ERRORS (``serve`` killed by a deeply nested or
over-long-integer line; a segmentation fault at the recursion limit py_ecc sets), BLS-PYECC-G1-X0
(the two backends named different rules for the G1 encodings with x = 0).
"""


def strict_mode() -> bool:
    """Whether known bugs are reported like new ones (``RUSTY_FUZZ_STRICT=1``)."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def known_bug_of(name: str, exc: BaseException) -> KnownBug | None:
    """The known bug that ``exc``, raised by harness ``name``, is an instance of (or ``None``)."""
    for bug in KNOWN_BUGS:
        if name in bug.harnesses and bug.matches(exc):
            return bug
    return None


def tolerant(name: str) -> Harness:
    """Harness ``name`` ignoring :data:`KNOWN_BUGS` (all of them reported in strict mode)."""
    target = HARNESSES[name]

    def run(data: bytes) -> None:
        try:
            target(data)
        except Exception as exc:
            if strict_mode() or known_bug_of(name, exc) is None:
                raise

    run.__name__ = f"tolerant_{target.__name__}"
    return run


# --------------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------------


def _check_roundtrip(codec: Codec[Any], data: bytes, value: Any, subject: str) -> None:
    """ENC-2: an accepted input is the one encoding of its value; decoding again gives the value."""
    try:
        again = encode(codec, value)
    except SpecError as exc:
        raise InvariantViolation(f"{subject}: decoded value {value!r} does not encode: {exc}") from exc
    if again != data:
        raise InvariantViolation(
            f"{subject}: encode(decode(b)) != b: {data.hex()} -> {value!r} -> {again.hex()}"
        )
    if decode(codec, again) != value:
        raise InvariantViolation(f"{subject}: decode(encode(v)) != v for {value!r}")


def _decode_or_none(codec: Codec[Any], data: bytes, subject: str) -> Any:
    """ENC-4: decode ``data``; a ``DecodeError`` means rejected (``None``); other SpecErrors are bugs.

    Callers must not use codecs whose values include ``None`` at the top level.
    """
    try:
        return decode(codec, data)
    except DecodeError:
        return None
    except SpecError as exc:
        raise InvariantViolation(f"{subject}: a decoder raised {exc.code}, not a DECODE_* code") from exc


# --------------------------------------------------------------------------------------------
# Canonical encoding
# --------------------------------------------------------------------------------------------


class FuzzKind(IntEnum):
    """A toy enumeration with a gap in its tags (exercises ``Mapped`` and ``DECODE_INVALID_TAG``)."""

    PAYMENT = 0
    STAKE = 1
    VOTE = 7


def _kind_from_wire(tag: int) -> FuzzKind:
    try:
        return FuzzKind(tag)
    except ValueError:
        raise InvalidEnumTag(f"no kind with tag {tag}") from None


def _kind_to_wire(kind: FuzzKind) -> int:
    return int(kind)


KIND: Codec[FuzzKind] = Mapped(U8, _kind_to_wire, _kind_from_wire)


@dataclass(frozen=True)
class FuzzOutpoint:
    """A toy struct: a transaction hash and an output index."""

    txid: bytes
    index: int


@dataclass(frozen=True)
class FuzzHeader:
    """A toy struct with every combinator inside (struct, list of structs, option, enum, bool)."""

    version: int
    previous: bytes
    final: bool
    memo: bytes | None
    inputs: tuple[FuzzOutpoint, ...]
    kind: FuzzKind


OUTPOINT: Codec[FuzzOutpoint] = Struct(FuzzOutpoint, [("txid", BYTES32), ("index", U32)])
HEADER: Codec[FuzzHeader] = Struct(
    FuzzHeader,
    [
        ("version", U16),
        ("previous", BYTES32),
        ("final", BOOL),
        ("memo", OptionOf(VarBytes(40))),
        ("inputs", ListOf(OUTPOINT, 4)),
        ("kind", KIND),
    ],
)

_TXID = bytes(range(32))
_OUTPOINTS = (FuzzOutpoint(_TXID, 0), FuzzOutpoint(bytes(32), 2**32 - 1))
_HEADERS = (
    FuzzHeader(1, bytes(32), False, None, (), FuzzKind.PAYMENT),
    FuzzHeader(65535, _TXID, True, b"memo", _OUTPOINTS, FuzzKind.VOTE),
)


@dataclass(frozen=True)
class CodecCase:
    """One entry of the ``encoding`` harness's codec table, with sample values for the seeds."""

    name: str
    codec: Codec[Any]
    samples: tuple[Any, ...]


CODEC_CASES: tuple[CodecCase, ...] = (
    CodecCase("u8", U8, (0, 255)),
    CodecCase("u16", U16, (0, 0x1234)),
    CodecCase("u32", U32, (7, 2**32 - 1)),
    CodecCase("u64", U64, (0, MAX_U64)),
    CodecCase("varint", VARINT, (0, 127, 128, 300, MAX_U64)),
    CodecCase("bool", BOOL, (False, True)),
    CodecCase("fixed_bytes(4)", FixedBytes(4), (b"\x00\x01\x02\x03",)),
    CodecCase("bytes(16)", VarBytes(16), (b"", b"abc", bytes(16))),
    CodecCase("bytes(devnet)", VarBytes(DEVNET.encoding.max_bytes_field), (b"\xff" * 130,)),
    CodecCase("list(u16, 8)", ListOf(U16, 8), ((), (1, 2, 65535))),
    CodecCase("list(bytes(4), 3)", ListOf(VarBytes(4), 3), ((b"", b"\x01\x02\x03\x04"),)),
    CodecCase("list(list(bool, 3), 3)", ListOf(ListOf(BOOL, 3), 3), (((True,), (), (False, True)),)),
    CodecCase("list(varint, mainnet)", ListOf(VARINT, MAINNET.encoding.max_list_items), ((1, 128, 2**40),)),
    CodecCase("option(varint)", OptionOf(VARINT), (None, 0, 2**63)),
    CodecCase(
        "option(list(option(bytes(2)), 4))",
        OptionOf(ListOf(OptionOf(VarBytes(2)), 4)),
        (None, (), (None, b"\x00\x01", b"")),
    ),
    CodecCase("kind", KIND, tuple(FuzzKind)),
    CodecCase("list(kind, 5)", ListOf(KIND, 5), ((FuzzKind.STAKE, FuzzKind.VOTE),)),
    CodecCase("outpoint", OUTPOINT, _OUTPOINTS),
    CodecCase("header", HEADER, _HEADERS),
    CodecCase("list(header, 3)", ListOf(HEADER, 3), (_HEADERS,)),
    CodecCase("option(header)", OptionOf(HEADER), (None, _HEADERS[1])),
)
"""The ``encoding`` harness's codecs: the first input byte selects one (modulo the table size)."""


def fuzz_encoding(data: bytes) -> None:
    """ENC-1..4 over a fixed table of codecs: byte 0 picks the codec, the rest is decoded."""
    if not data:
        return
    case = CODEC_CASES[data[0] % len(CODEC_CASES)]
    body = data[1:]
    try:
        value = decode(case.codec, body)
    except DecodeError:
        return
    except SpecError as exc:
        raise InvariantViolation(f"{case.name}: decoder raised {exc.code}, not a DECODE_* code") from exc
    _check_roundtrip(case.codec, body, value, case.name)


TYPE_SEPARATOR = b"\n"


def fuzz_encoding_expr(data: bytes) -> None:
    """ENC-1..4 over any type the conformance type grammar can name: ``<type>\\n<bytes>``.

    An unparsable type expression (``BadInput``) is skipped: it is a malformed vector, not input
    to a decoder.
    """
    type_text, separator, body = data.partition(TYPE_SEPARATOR)
    if not separator:
        return
    try:
        node = parse_type(type_text.decode("utf-8", errors="replace"))
    except BadInput:
        return
    try:
        value = decode(node.codec, body)
    except DecodeError:
        return
    except SpecError as exc:
        raise InvariantViolation(f"{type_text!r}: decoder raised {exc.code}, not DECODE_*") from exc
    _check_roundtrip(node.codec, body, value, repr(type_text))


def fuzz_varint(data: bytes) -> None:
    """ENC varint: a prefix read and a whole-input decode agree, and accepted bytes are minimal."""
    reader = Reader(data)
    prefix_error: str | None = None
    value = -1
    try:
        value = varint_read(reader)
    except DecodeError as exc:
        prefix_error = exc.code
    consumed = len(data) - reader.remaining
    if prefix_error is None:
        if not 0 <= value <= MAX_U64 or not 1 <= consumed <= MAX_VARINT_BYTES:
            raise InvariantViolation(f"varint {data.hex()}: value {value} from {consumed} bytes")
        if varint_encode(value) != data[:consumed]:
            raise InvariantViolation(f"varint {data[:consumed].hex()} is not the minimal encoding of {value}")
    try:
        whole: int | None = decode(VARINT, data)
        whole_error = None
    except DecodeError as exc:
        whole, whole_error = None, exc.code
    if prefix_error is not None:
        expected_error: str | None = prefix_error
    elif consumed != len(data):
        expected_error = "DECODE_TRAILING_BYTES"
    else:
        expected_error = None
    if whole_error != expected_error or (whole is not None and whole != value):
        raise InvariantViolation(
            f"varint {data.hex()}: decode gave {whole!r}/{whole_error}, "
            f"prefix read gave {value}/{prefix_error}"
        )


# --------------------------------------------------------------------------------------------
# Merkle proofs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProofCase:
    """A structured ``verify_inclusion_proof`` call, decoded from the fuzz input."""

    leaf: bytes
    leaf_index: int
    leaf_count: int
    proof: tuple[bytes, ...]
    root: bytes


MAX_FUZZ_PROOF_HASHES = 70
"""Above the 64 hashes a tree of 2**64 leaves needs, so wrong lengths are reachable."""

PROOF_CASE: Codec[ProofCase] = Struct(
    ProofCase,
    [
        ("leaf", VarBytes(64)),
        ("leaf_index", VARINT),
        ("leaf_count", VARINT),
        ("proof", ListOf(BYTES32, MAX_FUZZ_PROOF_HASHES)),
        ("root", BYTES32),
    ],
)


def _model_root(node: bytes, index: int, count: int, proof: Sequence[bytes]) -> bytes | None:
    """MERKLE-2/3 read literally, recursively: the root ``proof`` implies, or ``None`` if its length is wrong.

    An independent model of the iterative fold in :func:`spec.merkle.root_from_inclusion_proof`:
    the proof lists siblings from the leaf upwards, so its *last* hash is the top-level sibling.
    """
    if count == 1:
        return node if not proof else None
    if not proof:
        return None
    k = split_point(count)
    if index < k:
        inner = _model_root(node, index, k, proof[:-1])
        return None if inner is None else node_hash(inner, proof[-1])
    inner = _model_root(node, index - k, count - k, proof[:-1])
    return None if inner is None else node_hash(proof[-1], inner)


def _model_verdict(case: ProofCase) -> tuple[str | None, bytes | None]:
    if case.leaf_count <= 0:
        return MerkleEmptyTree.code, None
    if not 0 <= case.leaf_index < case.leaf_count:
        return MerkleIndexOutOfRange.code, None
    root = _model_root(leaf_hash(case.leaf), case.leaf_index, case.leaf_count, case.proof)
    return (MerkleProofLength.code, None) if root is None else (None, root)


def fuzz_merkle_verify(data: bytes) -> None:
    """MERKLE-3/4: a decoded (leaf, index, count, proof, root) is judged like the recursive model does."""
    case = _decode_or_none(PROOF_CASE, data, "proof case")
    if case is None:
        return
    _check_roundtrip(PROOF_CASE, data, case, "proof case")
    expected_error, expected_root = _model_verdict(case)
    try:
        implied: bytes | None = root_from_inclusion_proof(
            case.leaf, case.leaf_index, case.leaf_count, case.proof
        )
        error = None
    except MerkleError as exc:
        implied, error = None, exc.code
    if error != expected_error or implied != expected_root:
        raise InvariantViolation(
            f"root_from_inclusion_proof gave {error or implied!r}, "
            f"the model {expected_error or expected_root!r}"
        )
    if expected_error is None and len(case.proof) != inclusion_proof_length(case.leaf_index, case.leaf_count):
        raise InvariantViolation("an accepted proof's length differs from inclusion_proof_length")
    try:
        verify_inclusion_proof(case.leaf, case.leaf_index, case.leaf_count, case.proof, case.root)
        verdict: str | None = None
    except MerkleError as exc:
        verdict = exc.code
    wanted: str | None = expected_error
    if expected_error is None and case.root != expected_root:
        wanted = MerkleRootMismatch.code
    if verdict != wanted:
        raise InvariantViolation(f"verify_inclusion_proof gave {verdict}, expected {wanted}")


@dataclass(frozen=True)
class TreeCase:
    """A small tree and one leaf index, decoded from the fuzz input."""

    leaves: tuple[bytes, ...]
    leaf_index: int


TREE_CASE: Codec[TreeCase] = Struct(TreeCase, [("leaves", ListOf(VarBytes(8), 40)), ("leaf_index", VARINT)])


def _flip_first_bit(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:] if data else b"\x00"


def fuzz_merkle_tree(data: bytes) -> None:
    """MERKLE-2..4 completeness and binding: real proofs verify; a changed leaf or sibling does not."""
    case = _decode_or_none(TREE_CASE, data, "tree case")
    if case is None:
        return
    leaves, index = case.leaves, case.leaf_index
    try:
        proof = inclusion_proof(leaves, index)
    except (MerkleEmptyTree, MerkleIndexOutOfRange):
        if leaves and index < len(leaves):
            raise InvariantViolation(f"no proof for leaf {index} of {len(leaves)}") from None
        return
    root = merkle_root(leaves)
    count = len(leaves)
    if len(proof) != inclusion_proof_length(index, count):
        raise InvariantViolation(f"proof of {index}/{count} has {len(proof)} hashes")
    verify_inclusion_proof(leaves[index], index, count, proof, root)  # must not raise
    tampered: list[tuple[bytes, tuple[bytes, ...]]] = [(_flip_first_bit(leaves[index]), proof)]
    if proof:
        tampered.append((leaves[index], (_flip_first_bit(proof[0]), *proof[1:])))
    for leaf, bad_proof in tampered:
        try:
            verify_inclusion_proof(leaf, index, count, bad_proof, root)
        except MerkleRootMismatch:
            continue
        raise InvariantViolation(f"a tampered proof of {index}/{count} verified")


# --------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------


def _check_preset(preset: Preset) -> None:
    values = (
        preset.network.max_message_bytes,
        preset.encoding.max_bytes_field,
        preset.encoding.max_list_items,
        preset.quorum.max_members,
    )
    if not isinstance(preset.name, str) or len(preset.network.magic) != 4:
        raise InvariantViolation(f"accepted preset with name {preset.name!r} magic {preset.network.magic!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise InvariantViolation(f"accepted preset with non-positive limits {values}")


def fuzz_preset(data: bytes) -> None:
    """Presets: any text is a valid preset or ``PRESET_INVALID``; an accepted one keeps its invariants."""
    try:
        preset = parse_preset(data.decode("utf-8", errors="replace"))
    except SpecError:
        return
    _check_preset(preset)


# --------------------------------------------------------------------------------------------
# BLS12-381 encodings
# --------------------------------------------------------------------------------------------


def fuzz_bls_public_key(data: bytes) -> None:
    """BLS-1/2: a public key decodes to itself or raises ``BLS_INVALID_PUBLIC_KEY`` (nothing else)."""
    try:
        key = bls.decode_public_key(data)
    except InvalidPublicKey:
        if bls.key_validate(data):
            raise InvariantViolation(f"key_validate accepts a rejected key {data.hex()}") from None
        return
    except SpecError as exc:
        raise InvariantViolation(f"public key decoder raised {exc.code}") from exc
    if key != data or not bls.key_validate(data) or key == bls.G1_IDENTITY:
        raise InvariantViolation(f"public key {data.hex()} decoded to {key.hex()}")


def fuzz_bls_signature(data: bytes) -> None:
    """BLS-1/2: a signature decodes to itself or raises ``BLS_INVALID_SIGNATURE`` (nothing else)."""
    try:
        signature = bls.decode_signature(data)
    except InvalidSignatureEncoding:
        return
    except SpecError as exc:
        raise InvariantViolation(f"signature decoder raised {exc.code}") from exc
    if signature != data:
        raise InvariantViolation(f"signature {data.hex()} decoded to {signature.hex()}")


def fuzz_bls_secret_key(data: bytes) -> None:
    """BLS-1: a secret key is 32 big-endian bytes of [1, r-1]; decode and encode are inverse."""
    try:
        value = bls.decode_secret_key(data)
    except InvalidSecretKey:
        return
    except SpecError as exc:
        raise InvariantViolation(f"secret key decoder raised {exc.code}") from exc
    if not 1 <= value < bls.CURVE_ORDER or bls.encode_secret_key(value) != data:
        raise InvariantViolation(f"secret key {data.hex()} decoded to {value}")


_P = bls.FIELD_MODULUS
_X_MASK = (1 << 381) - 1
BACKEND_X_TABLE: tuple[int, ...] = (
    0,
    1,
    2,
    3,
    4,
    5,
    11,
    _P - 1,
    _P - 2,
    _P - 3,
    (_P - 1) // 2,
    (_P + 1) // 2,
)
"""Coordinates of special interest: 0 (``(0, +-2)`` is on the G1 curve, outside the subgroup: the
BLS-PYECC-G1-X0 case), small values, the top of the field, the middle (square-root sign
boundaries). Roughly half give a point on the curve, almost none one in the subgroup."""
BACKEND_G2_X_TABLE = (0, 1, _P - 1, (_P - 1) // 2)
"""Each half of a G2 coordinate ``x = c0 + c1 * u`` comes from this shorter table (16 pairs)."""
BACKEND_MULTIPLES = {0: 8, 1: 3}
"""Multiples ``k * generator`` (k = 1..n) per group (0: G1, 1: G2): points in the subgroup."""
BACKEND_DELTA = {0: 3, 1: 2}
"""A multiple's x (G1) or c0 (G2) is moved by up to this much: on the curve outside the subgroup or off it."""
BACKEND_FLAG_FLIPS = (0x00, 0x20, 0x40, 0x80)
"""The natural flags, the sign flipped, the infinity flag set, the compression flag cleared."""


@cache
def _multiple(group: int, k: int) -> bytes:
    """``k * generator`` in G1 (group 0) or G2 (group 1), compressed (arkworks; cached)."""
    backend = bls.get_backend("arkworks")
    if group:
        return backend.g2_linear_combination((bls.G2_GENERATOR,), (k,))
    return backend.g1_linear_combination((bls.G1_GENERATOR,), (k,))


def backend_point(data: bytes) -> tuple[int, bytes]:
    """The ``(group, encoding)`` a ``bls_backends`` input describes (structure-aware decoding).

    Byte 0: bit 0 the group (G1/G2); bits 1..2 one of :data:`BACKEND_FLAG_FLIPS` applied to the
    natural flags; bit 3 the source -- 0: x from :data:`BACKEND_X_TABLE` (byte 1; G2: c1 and c0
    from :data:`BACKEND_G2_X_TABLE` by bytes 1 and 2), 1: ``k * generator`` (k from byte 1) with x
    (G1) or c0 (G2) moved by a delta (byte 2). Missing bytes are zero (``08`` is the G1 generator,
    ``09`` the G2 one); the encodings form a bounded set of about 400, of which some 170 reach a
    backend's curve arithmetic.
    """
    header, first, second = (data + bytes(3))[:3]
    group = header & 1
    if header & 0x08:
        natural = _multiple(group, first % BACKEND_MULTIPLES[group] + 1)
        flags = natural[0] & 0xE0
        spread = BACKEND_DELTA[group]
        delta = (second + spread) % (2 * spread + 1) - spread
        if group:
            c1 = int.from_bytes(natural[:48], "big") & _X_MASK
            c0 = (int.from_bytes(natural[48:], "big") + delta) % (1 << 384)
            body = c1.to_bytes(48, "big") + c0.to_bytes(48, "big")
        else:
            x = (int.from_bytes(natural, "big") & _X_MASK) + delta
            body = (x & _X_MASK).to_bytes(48, "big")
    else:
        flags = 0x80
        if group:
            c1, c0 = (BACKEND_G2_X_TABLE[i % len(BACKEND_G2_X_TABLE)] for i in (first, second))
            body = c1.to_bytes(48, "big") + c0.to_bytes(48, "big")
        else:
            body = BACKEND_X_TABLE[first % len(BACKEND_X_TABLE)].to_bytes(48, "big")
    flags ^= BACKEND_FLAG_FLIPS[(header >> 1) & 3]
    return group, bytes([flags | body[0]]) + body[1:]


def _backend_verdict(name: str, group: int, point: bytes) -> str:
    decoder = bls.decode_g2_point if group else bls.decode_g1_point
    with bls.use_backend(name):
        try:
            decoder(point)
        except SpecError as exc:
            return str(exc)
    return "valid"


_reference_verdict = lru_cache(maxsize=None)(partial(_backend_verdict, "py_ecc"))
"""py_ecc's verdict, once per encoding: 20 ms (G1) to 110 ms (G2) a point, on a bounded set."""


def fuzz_bls_backends(data: bytes) -> None:
    """BLS backends: py_ecc and arkworks give the same verdict on every G1/G2 encoding.

    Structure-aware (:func:`backend_point`): every input is a well-formed-length encoding of a
    special coordinate or of a near-multiple of the generator under any flag combination, so it
    reaches the curve arithmetic of both backends (on the curve or not, in the subgroup or not,
    the identity, x = 0). arkworks runs on every input; the slow reference backend (py_ecc) runs
    once per distinct encoding (the set is bounded) and its verdict is remembered.
    """
    if not data:
        return
    group, point = backend_point(data)
    fast = _backend_verdict("arkworks", group, point)
    reference = _reference_verdict(group, point)
    if fast != reference:
        raise InvariantViolation(
            f"backends disagree on {point.hex()}: arkworks {fast!r}, py_ecc {reference!r}"
        )


# --------------------------------------------------------------------------------------------
# The reference adapter
# --------------------------------------------------------------------------------------------

_RESULTS = frozenset({"ok", "error", "unsupported", "bad_request"})


def _check_response(response: Any) -> None:
    if not isinstance(response, dict) or "result" not in response:
        raise InvariantViolation(f"adapter answered {response!r}")
    result = response["result"]
    if result not in _RESULTS:
        # internal_error: a handler leaked a non-SpecError exception (a bug in spec/ or a handler).
        raise InvariantViolation(f"adapter answered {result!r}: {response.get('message', '')}")
    if result == "error" and response.get("code") not in ALL_ERROR_CODES:
        raise InvariantViolation(f"adapter reported unknown error code {response.get('code')!r}")
    json.dumps(response, sort_keys=True)  # serve() writes every response as JSON


def _check_decode_roundtrip(request: dict[str, Any], response: dict[str, Any]) -> None:
    """ENC-2 through the adapter: the value a decode request returns encodes back to the same bytes."""
    output = response.get("output")
    if not isinstance(output, dict) or "value" not in output:
        raise InvariantViolation(f"decode answered {output!r}")
    encode_request = {
        "id": 0,
        "method": "run",
        "preset": request.get("preset"),
        "flow": "encoding",
        "handler": "encode",
        "input": {"type": request["input"]["type"], "value": output["value"]},
    }
    again = handle_request(encode_request, FLOW_HANDLERS)
    wanted = bytes.fromhex(request["input"]["bytes"]).hex()
    got = again.get("output")
    if again.get("result") != "ok" or not isinstance(got, dict) or got.get("bytes") != wanted:
        raise InvariantViolation(f"decode/encode through the adapter: {wanted} -> {again}")


def fuzz_adapter(data: bytes) -> None:
    """Adapter: any JSON request gets a response with a known ``result`` (never ``internal_error``)."""
    try:
        request = jsonsafe.loads(data)  # depth-checked first, as the adapter's parse_request does
    except ValueError:  # not JSON, or nested deeper than the adapter accepts: no request at all
        return
    response = handle_request(request, FLOW_HANDLERS)
    _check_response(response)
    if (
        response["result"] == "ok"
        and request.get("method") == "run"
        and request.get("flow") == "encoding"
        and request.get("handler") == "decode"
    ):
        _check_decode_roundtrip(request, response)


def fuzz_adapter_serve(data: bytes) -> None:
    """Adapter loop: every non-blank request line gets exactly one JSON response line; serve never raises."""
    # Split exactly as serve() will (a StringIO splits on "\n" only).
    lines = list(io.StringIO(data.decode("utf-8", errors="replace")))
    expected = 0
    for line in lines:
        if not line.strip():
            continue
        expected += 1
        if "shutdown" not in line and "\\" not in line:
            continue  # only a shutdown request ends the session (its name may be \u-escaped)
        request, problem = parse_request(line)
        if problem is None and isinstance(request, dict) and request.get("method") == "shutdown":
            break
    out = io.StringIO()
    serve(io.StringIO("".join(lines)), out)
    responses = out.getvalue().splitlines()
    if len(responses) != expected:
        raise InvariantViolation(f"{expected} requests got {len(responses)} responses")
    for line in responses:
        _check_response(json.loads(line))


# --------------------------------------------------------------------------------------------
# libFuzzer dictionaries (tokens the mutator splices in; built from the code, never committed)
# --------------------------------------------------------------------------------------------

_TYPE_TOKENS = (
    "u8",
    "u16",
    "u32",
    "u64",
    "varint",
    "bool",
    "fixed_bytes(",
    "bytes(",
    "list(",
    "option(",
    ", ",
    ")",
)
_JSON_FIELDS = (
    "id", "method", "preset", "flow", "handler", "input", "type", "bytes", "value", "domain", "data", "leaf",
    "leaves", "index", "count", "proof", "root", "public_key", "public_keys", "signature", "signatures",
    "message", "messages", "secret_key", "ikm", "key_info", "seed", "threshold", "indices", "shares",
    "coefficients", "member_indices", "secret_share", "signature_share",
)  # fmt: skip


def _preset_tokens(cls: type[Any]) -> list[str]:
    """``key = `` for every preset field and ``[section]`` for every nested table, from the dataclasses."""
    tokens: list[str] = []
    for item in dataclasses.fields(cls):
        nested = vars(presets_module).get(item.type) if isinstance(item.type, str) else None
        if isinstance(nested, type) and dataclasses.is_dataclass(nested):
            tokens.append(f"\n[{item.name}]\n")
            tokens.extend(_preset_tokens(nested))
        else:
            tokens.append(f"{item.name} = ")
    return tokens


def dictionary(name: str) -> list[bytes]:
    """libFuzzer dictionary tokens for harness ``name`` (empty when random bytes are the right input)."""
    tokens: list[str] = []
    if name in ("adapter", "adapter_serve"):
        tokens += [f'"{field}": ' for field in _JSON_FIELDS]
        tokens += ['"hello"', '"run"', '"shutdown"', '"mainnet"', '"devnet"', "null", "true", "false", '"00"']
        for flow, handlers in FLOW_HANDLERS.items():
            tokens += [f'"{flow}"', *(f'"{handler}"' for handler in handlers)]
        tokens += [f'"{token}' for token in _TYPE_TOKENS]
    elif name == "encoding_expr":
        tokens += [*_TYPE_TOKENS, "4294967296", "\n"]
    elif name == "preset":
        tokens += [*_preset_tokens(Preset), '"', "[", "]", "0x", "1_000"]
    elif name == "eth_rpc_params":
        tags = ("latest", "earliest", "pending", "safe", "finalized")
        fields = ("from", "to", "gas", "value", "data", "input")
        tokens += [*(f'"{t}"' for t in tags), *(f'"{f}": ' for f in fields), '"0x', "0x0", "null", "true"]
    return sorted({token.encode() for token in tokens})


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

MAX_LEN: dict[str, int] = {"adapter_serve": 1024}
"""libFuzzer ``-max_len`` per harness (default: the longest corpus file). ``adapter_serve``'s
regression reproducers are 4 KB lines (4400 digits, 2000-deep nesting), which made every mutated
input that long; 1 KB lines still reach every path (nesting over the limit included), and the
reproducers are replayed whole by the tests."""

HARNESSES: dict[str, Harness] = {
    "encoding": fuzz_encoding,
    "encoding_expr": fuzz_encoding_expr,
    "varint": fuzz_varint,
    "merkle_verify": fuzz_merkle_verify,
    "merkle_tree": fuzz_merkle_tree,
    "preset": fuzz_preset,
    "adapter": fuzz_adapter,
    "adapter_serve": fuzz_adapter_serve,
    "bls_public_key": fuzz_bls_public_key,
    "bls_signature": fuzz_bls_signature,
    "bls_secret_key": fuzz_bls_secret_key,
    "bls_backends": fuzz_bls_backends,
    **SCRIPT_HARNESSES,
    **TRIE_HARNESSES,
    **LEDGER_HARNESSES,
    **CHAIN_HARNESSES,
    **UPGRADE_HARNESSES,
    **STATE_HARNESSES,
    **P2P_HARNESSES,
    **DKG_HARNESSES,
    **MASTERNODE_HARNESSES,
    **FINALITY_HARNESSES,
    **EVM_HARNESSES,
    **SIDECHAIN_BLOCK_HARNESSES,
    **VM_WASM_HARNESSES,
    **SIDECHAIN_HARNESSES,
    **DISPUTE_HARNESSES,
    **ACCUMULATOR_HARNESSES,
    **FRAUD_PROOF_HARNESSES,
    **ETH_RPC_HARNESSES,
    **WATCH_STORE_HARNESSES,
}
"""Every harness by name (the names of the corpus directories ``fuzz/corpora/<name>/``)."""
