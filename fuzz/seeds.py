"""Deterministic writer of the committed seed corpora: ``python -m fuzz.seeds [--check]``.

Every harness gets a handful of small inputs built from *valid* encodings (so mutation starts next
to the interesting code paths) plus a few near misses. Files are named ``seed-*``; inputs that
reproduce a :data:`~fuzz.harnesses.KNOWN_BUGS` entry are named ``known-<bug>-*`` and become
``seed-fixed-<bug>-*`` when the bug is fixed (a regression input replayed on every test run). This writer owns
exactly those two prefixes in ``fuzz/corpora/<harness>/``: it rewrites them and removes stale ones,
and never touches any other file (such as a hand-committed ``regress-*`` crash reproducer).

``--check`` writes nothing and exits 1 if the committed files differ from what would be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from fuzz.accumulator_harnesses import accumulator_seeds
from fuzz.chain_harnesses import chain_seeds
from fuzz.dispute_harnesses import dispute_seeds
from fuzz.dkg_harnesses import dkg_seeds
from fuzz.eth_rpc_harnesses import eth_rpc_seeds
from fuzz.evm_harnesses import evm_seeds
from fuzz.finality_harnesses import finality_seeds
from fuzz.fraud_proof_harnesses import fraud_proof_seeds
from fuzz.harnesses import (
    CODEC_CASES,
    HARNESSES,
    PROOF_CASE,
    TREE_CASE,
    TYPE_SEPARATOR,
    ProofCase,
    TreeCase,
)
from fuzz.ledger_harnesses import ledger_seeds
from fuzz.masternode_harnesses import masternode_seeds
from fuzz.p2p_harnesses import p2p_seeds
from fuzz.script_harnesses import script_seeds
from fuzz.sidechain_block_harnesses import sidechain_block_seeds
from fuzz.sidechain_harnesses import sidechain_seeds
from fuzz.state_harnesses import state_seeds
from fuzz.trie_harnesses import trie_seeds
from fuzz.upgrade_harnesses import upgrade_seeds
from fuzz.vm_wasm_harnesses import vm_wasm_seeds
from fuzz.watch_store_harnesses import watch_store_seeds
from spec.crypto import bls
from spec.encoding import encode, varint_encode
from spec.merkle import inclusion_proof, merkle_root

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent / "corpora"
OWNED_PREFIXES = ("seed-", "known-")

Seeds = dict[str, bytes]


def _encoding() -> Seeds:
    seeds: Seeds = {}
    for index, case in enumerate(CODEC_CASES):
        for number, sample in enumerate(case.samples):
            seeds[f"seed-{index:02d}-{number}"] = bytes([index]) + encode(case.codec, sample)
        seeds[f"seed-{index:02d}-empty"] = bytes([index])
    return seeds


_EXPRESSIONS: tuple[tuple[str, str], ...] = (
    ("u8", "05"),
    ("u64", "ffffffffffffffff"),
    ("varint", "8001"),
    ("bool", "01"),
    ("fixed_bytes(3)", "010203"),
    ("bytes(8)", "03616263"),
    ("list(u16, 4)", "020100ffff"),
    ("list(option(bytes(3)), 4)", "03000101410100"),
    ("option(list(varint, 3))", "0102ac0200"),
    ("list(list(bool, 2), 2)", "0201010200 01"),
)


def _encoding_expr() -> Seeds:
    seeds: Seeds = {}
    for number, (type_text, body) in enumerate(_EXPRESSIONS):
        seeds[f"seed-{number:02d}"] = type_text.encode() + TYPE_SEPARATOR + bytes.fromhex(body)
    seeds["seed-fixed-ENC-NESTED-OPTION"] = b"option(option(u8))" + TYPE_SEPARATOR + b"\x01\x00"
    seeds["seed-fixed-HANDLER-TYPE-DIGITS"] = b"bytes(" + b"9" * 4400 + b")" + TYPE_SEPARATOR
    seeds["seed-fixed-ENC-ZERO-WIDTH-ITEMS"] = (
        b"list(fixed_bytes(0), 4294967296)" + TYPE_SEPARATOR + varint_encode(2**32 - 1)
    )
    return seeds


def _varint() -> Seeds:
    valid = (0, 1, 127, 128, 300, 2**14, 2**35, 2**63, 2**64 - 1)
    seeds: Seeds = {f"seed-valid-{v:x}": varint_encode(v) for v in valid}
    seeds["seed-overlong-zero"] = bytes.fromhex("8000")
    seeds["seed-overflow"] = bytes.fromhex("ffffffffffffffffff7f")
    seeds["seed-eleven-bytes"] = bytes.fromhex("ffffffffffffffffffff01")
    seeds["seed-truncated"] = bytes.fromhex("ff")
    seeds["seed-trailing"] = bytes.fromhex("0100")
    return seeds


def _leaves(count: int) -> list[bytes]:
    return [f"leaf-{i}".encode() for i in range(count)]


def _merkle_verify() -> Seeds:
    seeds: Seeds = {}
    for count, index in ((1, 0), (2, 1), (3, 2), (5, 4), (7, 3), (8, 5), (13, 12)):
        leaves = _leaves(count)
        case = ProofCase(leaves[index], index, count, inclusion_proof(leaves, index), merkle_root(leaves))
        seeds[f"seed-{index}-of-{count}"] = encode(PROOF_CASE, case)
    leaves = _leaves(6)
    proof = inclusion_proof(leaves, 1)
    root = merkle_root(leaves)
    seeds["seed-wrong-root"] = encode(PROOF_CASE, ProofCase(leaves[1], 1, 6, proof, bytes(32)))
    seeds["seed-short-proof"] = encode(PROOF_CASE, ProofCase(leaves[1], 1, 6, proof[:-1], root))
    seeds["seed-index-out-of-range"] = encode(PROOF_CASE, ProofCase(leaves[1], 6, 6, proof, root))
    seeds["seed-huge-tree"] = encode(
        PROOF_CASE, ProofCase(b"x", 2**64 - 2, 2**64 - 1, (bytes(32),) * 64, root)
    )
    return seeds


def _merkle_tree() -> Seeds:
    return {
        f"seed-{index}-of-{count}": encode(TREE_CASE, TreeCase(tuple(_leaves(count)), index))
        for count, index in ((0, 0), (1, 0), (2, 0), (3, 1), (5, 4), (11, 6), (16, 15), (4, 4))
    }


def _preset() -> Seeds:
    files = resources.files("spec.presets")
    seeds: Seeds = {
        f"seed-{name}": files.joinpath(f"{name}.toml").read_text(encoding="utf-8").encode()
        for name in ("mainnet", "devnet")
    }
    seeds["seed-missing-section"] = b'name = "x"\n[network]\nmagic = "00000000"\nmax_message_bytes = 1\n'
    seeds["seed-bad-magic"] = (
        b'name = "x"\n[network]\nmagic = "zz"\nmax_message_bytes = 1\n'
        b"[encoding]\nmax_bytes_field = 1\nmax_list_items = 1\n[quorum]\nmax_members = 1\n"
    )
    seeds["seed-fixed-PRESET-TOML-ERRORS-digits"] = b"x = " + b"1" * 4400 + b"\n"
    seeds["seed-fixed-PRESET-TOML-ERRORS-nesting"] = b"x = " + b"[" * 2000 + b"]" * 2000 + b"\n"
    return seeds


def _request(flow: str, handler: str, data: dict[str, object], preset: str = "devnet") -> dict[str, object]:
    return {"id": 1, "method": "run", "preset": preset, "flow": flow, "handler": handler, "input": data}


def _requests() -> dict[str, dict[str, object]]:
    sk = _secret(7)
    pk = bls.sk_to_pk(sk)
    leaves = _leaves(5)
    proof = [h.hex() for h in inclusion_proof(leaves, 3)]
    root = merkle_root(leaves).hex()
    return {
        "hello": {"id": 1, "method": "hello"},
        "shutdown": {"id": 2, "method": "shutdown"},
        "decode": _request("encoding", "decode", {"type": "list(option(u16), 4)", "bytes": "0201340100"}),
        "encode": _request("encoding", "encode", {"type": "option(bytes(4))", "value": "abcd"}),
        "hash": _request("hashing", "tagged_hash", {"domain": "MERKLE_LEAF", "data": "00ff"}),
        "root": _request("merkle", "root", {"leaves": [leaf.hex() for leaf in leaves]}),
        "proof": _request("merkle", "proof", {"leaves": [leaf.hex() for leaf in leaves], "index": 3}),
        "verify": _request(
            "merkle",
            "verify_proof",
            {"leaf": leaves[3].hex(), "index": 3, "count": 5, "proof": proof, "root": root},
            preset="mainnet",
        ),
        "unsupported": _request("blocks", "validate", {}),
        "bls-decode": _request("bls", "decode_public_key", {"public_key": bls.G1_GENERATOR.hex()}),
        "bls-verify": _request(
            "bls",
            "verify",
            {"public_key": pk.hex(), "message": "6d7367", "signature": bls.sign(sk, b"msg").hex()},
        ),
        "bls-aggregate": _request(
            "bls", "aggregate", {"signatures": [bls.G2_GENERATOR.hex(), bls.G2_IDENTITY.hex()]}
        ),
        "threshold-seed": _request("threshold", "coefficients_from_seed", {"seed": "00ff", "threshold": 3}),
        "threshold-lagrange": _request("threshold", "lagrange_coefficients", {"indices": [1, 2, 5]}),
        "threshold-recover": _request(
            "threshold",
            "recover_public_key",
            {"threshold": 1, "shares": [{"index": 1, "public_key": pk.hex()}]},
        ),
        "ed25519-verify": _request(
            "ed25519", "verify", {"public_key": "00" * 32, "message": "", "signature": "00" * 64}
        ),
    }


def _json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True).encode()


def _adapter() -> Seeds:
    seeds: Seeds = {f"seed-{name}": _json(request) for name, request in _requests().items()}
    seeds["seed-not-an-object"] = b"[1, 2, 3]"
    seeds["seed-fixed-ENC-NESTED-OPTION"] = _json(
        _request("encoding", "decode", {"type": "option(option(u8))", "bytes": "0100"})
    )
    seeds["seed-fixed-HANDLER-TYPE-DIGITS"] = _json(
        _request("encoding", "decode", {"type": "bytes(" + "9" * 4400 + ")", "bytes": "00"})
    )
    seeds["seed-fixed-THRESHOLD-UNBOUNDED-DEGREE"] = _json(
        _request("threshold", "coefficients_from_seed", {"seed": "00", "threshold": 2**62})
    )
    seeds["seed-fixed-ENC-ZERO-WIDTH-ITEMS"] = _json(
        _request("encoding", "decode", {"type": "list(fixed_bytes(0), 4294967296)", "bytes": "ffffffff0f"})
    )
    return seeds


def _adapter_serve() -> Seeds:
    requests = _requests()
    session = [requests[name] for name in ("hello", "decode", "verify", "unsupported", "shutdown")]
    return {
        "seed-session": b"\n".join(_json(r) for r in session) + b"\n",
        "seed-garbage-line": b'{"id": 1, "method": "hello"}\nnot json\n\n{"id": 3}\n',
        "seed-fixed-ADAPTER-JSON-ERRORS-nesting": b"[" * 2000 + b"]" * 2000 + b"\n",
        "seed-fixed-ADAPTER-JSON-ERRORS-digits": b"1" * 4400 + b"\n",
    }


def _secret(value: int) -> bytes:
    return bls.encode_secret_key(value)


def _bls_public_key() -> Seeds:
    flipped = bytes([bls.G1_GENERATOR[0] ^ 0x20]) + bls.G1_GENERATOR[1:]
    return {
        "seed-generator": bls.G1_GENERATOR,
        "seed-derived": bls.sk_to_pk(_secret(123456789)),
        "seed-identity": bls.G1_IDENTITY,
        "seed-other-sign": flipped,
        "seed-uncompressed-flag": bytes([bls.G1_GENERATOR[0] & 0x7F]) + bls.G1_GENERATOR[1:],
    }


def _bls_signature() -> Seeds:
    return {
        "seed-generator": bls.G2_GENERATOR,
        "seed-signature": bls.sign(_secret(987654321), b"rusty coin fuzz seed"),
        "seed-identity": bls.G2_IDENTITY,
        "seed-short": bls.G2_GENERATOR[:48],
    }


def _bls_secret_key() -> Seeds:
    return {
        "seed-one": _secret(1),
        "seed-max": _secret(bls.CURVE_ORDER - 1),
        "seed-order": bls.CURVE_ORDER.to_bytes(32, "big"),
        "seed-zero": bytes(32),
        "seed-short": _secret(5)[1:],
    }


def _bls_backends() -> Seeds:
    # Byte 0: group (bit 0), flags (bits 1..2: natural, sign flipped, infinity set, compression
    # cleared), source (bit 3: table x or k * generator); byte 1: table index or k - 1; byte 2:
    # G2 c0 index or delta (see fuzz.harnesses.backend_point).
    return {
        "seed-g1-generator": bytes([0x08, 0, 0]),
        "seed-g1-multiple-8-minus-1": bytes([0x08, 7, 6]),
        "seed-g1-negated-3": bytes([0x08 | 0x02, 2, 0]),
        "seed-g1-uncompressed-flag": bytes([0x08 | 0x06, 2, 0]),
        "seed-g1-identity": bytes([0x04, 0, 0]),
        "seed-g1-x-5": bytes([0x00, 5, 0]),
        "seed-g1-x-p-minus-1": bytes([0x00, 7, 0]),
        "seed-g2-generator": bytes([0x09, 0, 0]),
        "seed-g2-multiple-2-plus-1": bytes([0x09, 1, 1]),
        "seed-g2-table": bytes([0x01, 1, 3]),
        "seed-g2-identity": bytes([0x05, 0, 0]),
        "seed-fixed-bls-pyecc-g1-x0": bytes([0x00, 0, 0]),
    }


WRITERS: dict[str, Callable[[], Seeds]] = {
    "encoding": _encoding,
    "encoding_expr": _encoding_expr,
    "varint": _varint,
    "merkle_verify": _merkle_verify,
    "merkle_tree": _merkle_tree,
    "preset": _preset,
    "adapter": _adapter,
    "adapter_serve": _adapter_serve,
    "bls_public_key": _bls_public_key,
    "bls_signature": _bls_signature,
    "bls_secret_key": _bls_secret_key,
    "bls_backends": _bls_backends,
}


SEED_PROVIDERS: tuple[Callable[[], dict[str, Seeds]], ...] = (
    script_seeds,
    trie_seeds,
    ledger_seeds,
    chain_seeds,
    p2p_seeds,
    dkg_seeds,
    masternode_seeds,
    finality_seeds,
    upgrade_seeds,
    state_seeds,
    evm_seeds,
    sidechain_block_seeds,
    vm_wasm_seeds,
    sidechain_seeds,
    dispute_seeds,
    eth_rpc_seeds,
    watch_store_seeds,
    accumulator_seeds,
    fraud_proof_seeds,
)
"""Seed writers of harnesses registered from other modules (harness name -> files)."""


def all_seeds() -> dict[str, Seeds]:
    """Every generated corpus file, by harness name, then file name."""
    generated = {name: writer() for name, writer in WRITERS.items() if name in HARNESSES}
    for provider in SEED_PROVIDERS:
        generated.update(provider())
    missing = set(HARNESSES) - set(generated)
    if missing:
        raise RuntimeError(f"harnesses without a seed writer: {sorted(missing)}")
    return {name: generated[name] for name in HARNESSES}


def _owned(path: Path) -> bool:
    return path.is_file() and path.name.startswith(OWNED_PREFIXES)


def differences(corpus_dir: Path) -> list[str]:
    """What :func:`write` would change under ``corpus_dir`` (empty when the commit is up to date)."""
    problems: list[str] = []
    for name, seeds in all_seeds().items():
        directory = corpus_dir / name
        for file_name, content in sorted(seeds.items()):
            path = directory / file_name
            if not path.is_file() or path.read_bytes() != content:
                problems.append(f"{name}/{file_name}: missing or different")
        if directory.is_dir():
            problems.extend(
                f"{name}/{path.name}: stale"
                for path in sorted(directory.iterdir())
                if _owned(path) and path.name not in seeds
            )
    return problems


def write(corpus_dir: Path) -> int:
    """Write every seed file and remove stale owned files; return the number of files written."""
    written = 0
    for name, seeds in all_seeds().items():
        directory = corpus_dir / name
        directory.mkdir(parents=True, exist_ok=True)
        for path in directory.iterdir():
            if _owned(path) and path.name not in seeds:
                path.unlink()
        for file_name, content in seeds.items():
            path = directory / file_name
            if not path.is_file() or path.read_bytes() != content:
                path.write_bytes(content)
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m fuzz.seeds", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    parser.add_argument("--check", action="store_true", help="only compare with the files on disk")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences(args.corpus_dir)
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    count = write(args.corpus_dir)
    total = sum(p.stat().st_size for p in args.corpus_dir.rglob("*") if p.is_file())
    print(f"wrote {count} seed files under {args.corpus_dir} ({total} bytes in the corpora)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
