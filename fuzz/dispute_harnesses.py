"""Fuzz harnesses of the sidechain dispute game (spec/sidechain/dispute.py, SC-DSP-3, 5, 6, 10),
``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`DisputeInvariantViolation`. :data:`DISPUTE_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`dispute_seeds` gives their seed corpora.

* ``dispute_decode_bisect_move``, ``dispute_decode_one_step_proof``: only ``DECODE_*`` codes reject
  bytes, and an accepted move re-encodes to exactly the input (SC-DSP-10);
* ``dispute_one_step``: the input is a one-step proof (seeded with the honest one, so mutations
  mostly land in its witness) submitted by an honest defender in a game narrowed to one EVM
  transfer. Only ``SpecError`` codes reject it, and an accepted proof always lets the honest
  defender win: no witness, however mutated, makes the one-step verifier compute another root
  (VM-2: a witness only ever makes execution fail, never differ).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from conformance.disputebuilder import (
    PARAMS,
    bisect_move,
    build_block,
    mover,
    one_step_proof,
    opening_against,
)
from spec.errors import DecodeError, SpecError
from spec.presets import MAINNET
from spec.sidechain.dispute import (
    BisectMove,
    Game,
    Party,
    apply_bisect_move,
    apply_one_step,
    decode_bisect_move,
    decode_one_step_proof,
    encode_bisect_move,
    encode_one_step_proof,
    open_game,
)


class DisputeInvariantViolation(AssertionError):
    """A move decoder or the one-step verifier broke a rule of the dispute game."""


def fuzz_dispute_decode_bisect_move(data: bytes) -> None:
    """SC-DSP-10 on arbitrary bytes."""
    try:
        move = decode_bisect_move(data)
    except DecodeError:
        return
    if encode_bisect_move(move) != data:
        raise DisputeInvariantViolation("a non-canonical bisection move was accepted")


def fuzz_dispute_decode_one_step_proof(data: bytes) -> None:
    """SC-DSP-10 on arbitrary bytes."""
    try:
        proof = decode_one_step_proof(data)
    except DecodeError:
        return
    if encode_one_step_proof(proof) != data:
        raise DisputeInvariantViolation("a non-canonical one-step proof was accepted")


@cache
def _narrowed() -> tuple[Game, bytes]:
    """A game over four transfers narrowed to its last one, and the honest one-step proof."""
    block = build_block(4)
    honest = list(block.trace[1:])
    lie = [*honest[:-1], b"\xf0" * 32]
    game = open_game(opening_against(block, lie), PARAMS)
    now = game.last_move_at
    while game.hi - game.lo > 1:
        now += 1
        roots = honest if mover(game) is Party.DEFENDER else lie
        game = apply_bisect_move(game, mover(game), bisect_move(roots, game), now, PARAMS)
    return game, encode_one_step_proof(one_step_proof(block, game))


def fuzz_dispute_one_step(data: bytes) -> None:
    """SC-DSP-5/6 over mutated one-step proofs (see the module docstring)."""
    game, _ = _narrowed()
    try:
        proof = decode_one_step_proof(data)
        done = apply_one_step(game, Party.DEFENDER, proof, game.last_move_at + 1, MAINNET)
    except SpecError:
        return
    if done.outcome is None or done.outcome.winner != Party.DEFENDER:
        raise DisputeInvariantViolation("an accepted one-step proof made the honest defender lose")


DISPUTE_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "dispute_decode_bisect_move": fuzz_dispute_decode_bisect_move,
    "dispute_decode_one_step_proof": fuzz_dispute_decode_one_step_proof,
    "dispute_one_step": fuzz_dispute_one_step,
}


def dispute_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: a bisection move and the honest one-step proof of the narrowed game."""
    game, honest = _narrowed()
    move = encode_bisect_move(
        BisectMove(game.hi, game.agreed_root, (game.defender_root, game.challenger_root))
    )
    return {
        "dispute_decode_bisect_move": {"seed-move": move},
        "dispute_decode_one_step_proof": {"seed-honest": honest},
        "dispute_one_step": {"seed-honest": honest},
    }
