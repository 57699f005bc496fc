"""Benchmarks of the dispute game (spec/sidechain/dispute.py) against their floors (pytest-benchmark).

Run with ``pytest tests/benchmarks/test_bench_dispute.py --benchmark-enable``; CI runs each once
with ``--benchmark-disable`` as a correctness check.

How to read the figures (docs/disputes.md#benchmarks):

* ``test_bench_dispute_one_step`` is the mainchain's one-step verification of one EVM transfer
  (decode the proof and its witness, check the transaction's Merkle proof, re-execute statelessly,
  decide); its floor is ``test_bench_dispute_floor_full_execution``, the plain execution of the
  same transaction over the sidechain's whole node store.
* ``test_bench_dispute_whole_game`` is every mainchain step of a game over a 64-transaction block
  (opening, 12 bisection moves with their Merkle proofs, the one-step proof: 13 moves); its floor
  is ``test_bench_dispute_floor_checkpoint``, one BLS verification of a checkpoint signature (what
  validating one checkpoint costs at least).
* ``test_bench_dispute_one_step_vm[ferris|wasm]`` is the same one-step verification on a
  FerrisScript transfer and a WASM token-contract call (the last of an 8-transaction block); the
  floor is ``test_bench_dispute_floor_full_execution_vm``, the plain execution of that transaction.
* ``test_bench_dispute_credit_step`` is the one-step verification of an empty EVM block's credit
  step (eight deposits, SC-DSP-1/5); its floors are ``test_bench_dispute_floor_credit_step_full``
  (the same credits applied over the whole store) and
  ``test_bench_dispute_floor_bare_credit_witness_hashes`` (keccak-256 of every witness node).
* the bare library floors the guide asks for: ``test_bench_dispute_floor_bare_witness_hashes`` is
  the bare keccak-256 (pycryptodome) of every witness preimage and of the transaction's Merkle path
  (only the hash calls the witness and proof checks cannot avoid), the floor of the one-step;
  ``test_bench_dispute_floor_bare_bls_verify`` is one BLS verification straight on
  py-arkworks-bls12381 (checked decodes, hash-to-curve, one pairing check), the floor of one
  checkpoint validation and so of the whole game.
"""

from __future__ import annotations

import pytest
from Crypto.Hash import keccak
from py_arkworks_bls12381 import GT, G1Point, G2Point
from pytest_benchmark.fixture import BenchmarkFixture

from conformance.disputebuilder import (
    PARAMS,
    SENDERS,
    Block,
    bisect_move,
    build_block,
    build_ferris_block,
    build_wasm_block,
    empty_block,
    lying_header,
    mover,
    one_step_proof,
    opening_against,
)
from spec.crypto import bls
from spec.presets import MAINNET
from spec.sidechain.dispute import (
    ONE_STEP_EXECUTORS,
    BisectMove,
    Game,
    Party,
    apply_bisect_move,
    apply_one_step,
    compute_context,
    decode_one_step_proof,
    encode_one_step_proof,
    execute_credit_step,
    max_moves,
    open_game,
)
from spec.sidechain.header import BlockCredit, compute_checkpoint_message
from spec.trie import ETHEREUM_TRIE_HASHER
from spec.vm.evm import apply_transaction
from spec.vm.interface import VmKind, decode_witness

TX_COUNT = 64
BLOCK = build_block(TX_COUNT)
HONEST = list(BLOCK.trace[1:])
LIE = [*HONEST[:40], *(bytes([0xF0, i]) * 16 for i in range(40, TX_COUNT))]
OPENING = opening_against(BLOCK, HONEST, header=lying_header(BLOCK, LIE))


def _play() -> Game:
    game = open_game(OPENING, PARAMS)
    now = game.last_move_at
    while game.outcome is None:
        now += 1
        party = mover(game)
        if game.hi - game.lo == 1:
            proof = decode_one_step_proof(PROOF_BYTES)
            game = apply_one_step(game, party, proof, now, MAINNET)
        else:
            game = apply_bisect_move(game, party, MOVES[(game.lo, game.hi, party)], now, PARAMS)
    return game


def _prepare() -> tuple[dict[tuple[int, int, Party], BisectMove], Game]:
    """Every move of the game, computed once (the benchmark times the mainchain's side only)."""
    moves: dict[tuple[int, int, Party], BisectMove] = {}
    game = open_game(OPENING, PARAMS)
    now = game.last_move_at
    while game.hi - game.lo > 1:
        now += 1
        party = mover(game)
        move = bisect_move(LIE if party is Party.DEFENDER else HONEST, game)
        moves[(game.lo, game.hi, party)] = move
        game = apply_bisect_move(game, party, move, now, PARAMS)
    return moves, game


MOVES, NARROWED = _prepare()
PROOF_BYTES = encode_one_step_proof(one_step_proof(BLOCK, NARROWED))
SECRET = bls.key_gen(b"bench/dispute/federation/key/ikm")
PUBLIC = bls.sk_to_pk(SECRET)
MESSAGE = compute_checkpoint_message(BLOCK.header)
SIGNATURE = bls.sign(SECRET, MESSAGE)


def test_bench_dispute_floor_full_execution(benchmark: BenchmarkFixture) -> None:
    """The floor of the one-step: the disputed transaction executed over the whole store."""
    index = NARROWED.hi - 1
    context = compute_context(OPENING)
    outcome, _ = benchmark(
        apply_transaction, MAINNET, BLOCK.nodes, NARROWED.agreed_root, BLOCK.txs[index], context
    )
    assert outcome.post_root == BLOCK.trace[NARROWED.hi]


def test_bench_dispute_one_step(benchmark: BenchmarkFixture) -> None:
    """The one-step verification of the same transaction from its proof's bytes."""

    def verify() -> Game:
        return apply_one_step(
            NARROWED, Party.DEFENDER, decode_one_step_proof(PROOF_BYTES), NARROWED.last_move_at + 1, MAINNET
        )

    done = benchmark(verify)
    assert done.outcome is not None and done.outcome.winner == Party.CHALLENGER


WITNESS_NODES = decode_witness(decode_one_step_proof(PROOF_BYTES).witness, ETHEREUM_TRIE_HASHER).preimages


def bare_bls_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """BLS-VERIFY straight on the library: checked decodes, hash-to-curve, one pairing check."""
    return bool(
        GT.pairing_check(
            [G1Point.from_compressed_bytes(public_key), -G1Point()],
            [G2Point.hash_to_curve(message, bls.SIGNATURE_DST), G2Point.from_compressed_bytes(signature)],
        )
    )


def _bare_witness_hashes() -> int:
    """The hash calls a one-step cannot avoid: every witness node, then the transaction's leaf and
    its Merkle path (as many calls, on 64-byte inputs)."""
    for node in WITNESS_NODES:
        keccak.new(data=node, digest_bits=256).digest()
    for _ in range(TX_PATH + 1):
        keccak.new(data=bytes(64), digest_bits=256).digest()
    return len(WITNESS_NODES)


TX_PATH = len(decode_one_step_proof(PROOF_BYTES).tx_proof)


def test_bench_dispute_floor_bare_witness_hashes(benchmark: BenchmarkFixture) -> None:
    """The bare floor of the one-step: keccak-256 of every witness node and of the Merkle path."""
    assert benchmark(_bare_witness_hashes) == len(WITNESS_NODES) > 0


def test_bench_dispute_floor_bare_bls_verify(benchmark: BenchmarkFixture) -> None:
    """The bare floor of one checkpoint validation: one BLS verification on the library."""
    assert benchmark(bare_bls_verify, PUBLIC, MESSAGE, SIGNATURE)


def test_bench_dispute_floor_checkpoint(benchmark: BenchmarkFixture) -> None:
    """The floor of a whole game: one BLS verification of a checkpoint signature."""
    assert benchmark(bls.verify, PUBLIC, MESSAGE, SIGNATURE)


def test_bench_dispute_whole_game(benchmark: BenchmarkFixture) -> None:
    """Every mainchain step of a game over 64 transactions (the federation lied from tx 40)."""
    game = benchmark(_play)
    assert game.outcome is not None and game.outcome.winner == Party.CHALLENGER
    assert game.moves == max_moves(TX_COUNT)


def _narrowed_vm_game(block: Block) -> tuple[Game, bytes]:
    """A game over ``block`` narrowed to its last transaction, and the one-step proof's bytes."""
    honest = list(block.trace[1:])
    lie = [*honest[:-1], b"\xf0" * 32]
    game = open_game(opening_against(block, honest, header=lying_header(block, lie)), PARAMS)
    now = game.last_move_at
    while game.hi - game.lo > 1:
        now += 1
        party = mover(game)
        game = apply_bisect_move(
            game, party, bisect_move(lie if party is Party.DEFENDER else honest, game), now, PARAMS
        )
    return game, encode_one_step_proof(one_step_proof(block, game))


FERRIS_BLOCK = build_ferris_block(8)
WASM_BLOCK = build_wasm_block(8)
VM_GAMES = {
    "ferris": (FERRIS_BLOCK, *_narrowed_vm_game(FERRIS_BLOCK)),
    "wasm": (WASM_BLOCK, *_narrowed_vm_game(WASM_BLOCK)),
}


@pytest.mark.parametrize("vm", ["ferris", "wasm"])
def test_bench_dispute_floor_full_execution_vm(benchmark: BenchmarkFixture, vm: str) -> None:
    """The floor of a FerrisScript or WASM one-step: the last transaction over the whole store."""
    block, game, _ = VM_GAMES[vm]
    execute = ONE_STEP_EXECUTORS[VmKind(block.vm_kind)]
    outcome, _ = benchmark(
        execute, MAINNET, block.nodes, game.agreed_root, block.txs[-1], compute_context(game.opening)
    )
    assert outcome.post_root == block.trace[-1]


@pytest.mark.parametrize("vm", ["ferris", "wasm"])
def test_bench_dispute_one_step_vm(benchmark: BenchmarkFixture, vm: str) -> None:
    """The one-step verification of that transaction (a token call for WASM) from its proof's bytes."""
    _, game, proof = VM_GAMES[vm]
    done = benchmark(
        lambda: apply_one_step(
            game, Party.DEFENDER, decode_one_step_proof(proof), game.last_move_at + 1, MAINNET
        )
    )
    assert done.outcome is not None and done.outcome.winner == Party.CHALLENGER


# ---- an empty block's credit step (SC-DSP-1/5, issue 16) --------------------------------------
# An EVM block of eight deposits (four to the block's senders, four to fresh addresses) and no
# transactions, whose federation minted in its state root: the game is the one credit step.
CREDITS = tuple(
    BlockCredit(recipient, 1000 + i)
    for i, recipient in enumerate([*SENDERS, *(bytes([0x60 + i]) * 20 for i in range(4))])
)
EMPTY = empty_block(build_block(4), CREDITS)
EMPTY_GAME = open_game(
    opening_against(EMPTY, list(EMPTY.steps), header=lying_header(EMPTY, [bytes([0xF1]) * 32])), PARAMS
)
CREDIT_PROOF_BYTES = encode_one_step_proof(one_step_proof(EMPTY, EMPTY_GAME))
CREDIT_WITNESS_NODES = decode_witness(
    decode_one_step_proof(CREDIT_PROOF_BYTES).witness, ETHEREUM_TRIE_HASHER
).preimages


def test_bench_dispute_credit_step(benchmark: BenchmarkFixture) -> None:
    """The one-step verification of the empty block's credit step from its proof's bytes (decode,
    witness hashes, the eight credits re-applied statelessly from r_0, the decision)."""

    def verify() -> Game:
        proof = decode_one_step_proof(CREDIT_PROOF_BYTES)
        return apply_one_step(EMPTY_GAME, Party.DEFENDER, proof, EMPTY_GAME.last_move_at + 1, MAINNET)

    done = benchmark(verify)
    assert done.outcome is not None and done.outcome.winner == Party.CHALLENGER


def test_bench_dispute_floor_credit_step_full(benchmark: BenchmarkFixture) -> None:
    """The floor of the credit step: the same eight credits applied over the whole store."""
    root = benchmark(execute_credit_step, MAINNET, VmKind.EVM, EMPTY.nodes, EMPTY.trace[0], CREDITS)
    assert root == EMPTY.steps[0]


def _bare_credit_witness_hashes() -> int:
    for node in CREDIT_WITNESS_NODES:
        keccak.new(data=node, digest_bits=256).digest()
    return len(CREDIT_WITNESS_NODES)


def test_bench_dispute_floor_bare_credit_witness_hashes(benchmark: BenchmarkFixture) -> None:
    """The bare floor of the credit step: keccak-256 of every witness node."""
    assert benchmark(_bare_credit_witness_hashes) == len(CREDIT_WITNESS_NODES) > 0
