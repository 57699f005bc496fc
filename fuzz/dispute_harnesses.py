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
* ``dispute_credit_step``: the same over the one step of a block with credits and no transactions
  (SC-DSP-1/5, its credit step; seeded with the honest proof): only ``SpecError`` codes reject it,
  and an accepted proof always lets the honest defender win (a transaction or transaction proof
  in it is ``DSP_EMPTY_TRACE``, a mutated witness only ever makes the credits fail).
* ``dispute_decode_open_message``, ``dispute_decode_move_message``: the mainchain messages of
  SC-DSP-14/15 (SC-TX-0 kinds 5 and 6): only ``DECODE_*`` codes, canonical re-encoding;
* ``dispute_game_move``: any move message in the on-chain game a lying challenger opened over an
  honest checkpoint (seeded with the honest one-step move): only ``SpecError`` codes reject it, and
  no accepted move reverts the checkpoint or penalises the federation (SC-DSP-15..17).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from conformance import gamechain
from conformance.disputebuilder import (
    PARAMS,
    bisect_move,
    build_block,
    empty_block,
    mover,
    one_step_proof,
    opening_against,
)
from spec.encoding import encode
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
from spec.sidechain.games import (
    DisputeMoveMessage,
    DisputeOpenMessage,
    apply_move,
    decode_move_message,
    decode_open_message,
    game_codecs,
)
from spec.sidechain.header import BlockCredit
from spec.sidechain.registry import SidechainsState
from spec.sidechain.transactions import match_sidechain_message


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


def _check_defender_proof(game: Game, data: bytes, what: str) -> None:
    """Decode ``data`` as the defender's one-step proof in ``game`` and apply it: a proof the spec
    accepts must leave the honest defender the winner."""
    try:
        proof = decode_one_step_proof(data)
        done = apply_one_step(game, Party.DEFENDER, proof, game.last_move_at + 1, MAINNET)
    except SpecError:
        return
    if done.outcome is None or done.outcome.winner != Party.DEFENDER:
        raise DisputeInvariantViolation(f"an accepted {what} proof made the honest defender lose")


def fuzz_dispute_one_step(data: bytes) -> None:
    """SC-DSP-5/6 over mutated one-step proofs (see the module docstring)."""
    _check_defender_proof(_narrowed()[0], data, "one-step")


@cache
def _credit_step() -> tuple[Game, bytes]:
    """A game over an EVM block of two credits (one refunded) and no transactions, opened by a
    lying challenger (one step: the credit step), and the honest one-step proof."""
    credits = (BlockCredit(b"\x42" * 20, 900), BlockCredit(b"not an address", 5))
    block = empty_block(build_block(1), credits)
    game = open_game(opening_against(block, [b"\xf0" * 32]), PARAMS)
    return game, encode_one_step_proof(one_step_proof(block, game))


def fuzz_dispute_credit_step(data: bytes) -> None:
    """SC-DSP-1/5/6 over mutated credit-step proofs (see the module docstring)."""
    _check_defender_proof(_credit_step()[0], data, "credit-step")


def fuzz_dispute_decode_open_message(data: bytes) -> None:
    """SC-DSP-14 / SC-TX-0 kind 5 on arbitrary bytes: only ``DECODE_*`` codes, canonical."""
    try:
        message = decode_open_message(data, MAINNET)
    except DecodeError:
        return
    if encode(game_codecs(MAINNET).open, message) != data:
        raise DisputeInvariantViolation("a non-canonical dispute opening was accepted")


def fuzz_dispute_decode_move_message(data: bytes) -> None:
    """SC-DSP-15 / SC-TX-0 kind 6 on arbitrary bytes: only ``DECODE_*`` codes, canonical."""
    try:
        message = decode_move_message(data, MAINNET)
    except DecodeError:
        return
    if encode(game_codecs(MAINNET).move, message) != data:
        raise DisputeInvariantViolation("a non-canonical dispute move was accepted")


@cache
def _honest_checkpoint_game() -> tuple[SidechainsState, bytes]:
    """An on-chain game a lying challenger opened over an honest one-transaction checkpoint (so
    the defender owes the one-step proof at once), and the honest move message."""
    sc = gamechain.scenario(1, MAINNET, challenger_lies_at=(0,))
    state = gamechain.initial()
    for height, outputs in gamechain.checkpoint_blocks(sc):
        state = gamechain.apply(state, height, outputs, MAINNET).state
    opening = gamechain.opening(sc, bond=MAINNET.dispute.min_challenger_bond, preset=MAINNET)
    state = gamechain.apply(state, gamechain.CHECKPOINT_1_AT + 1, [[opening]], MAINNET).state
    kind, data = gamechain.honest_move(sc, state.games[0].game, MAINNET)
    move = DisputeMoveMessage(0, Party.DEFENDER, kind, data)
    return state, encode(game_codecs(MAINNET).move, move)


def fuzz_dispute_game_move(data: bytes) -> None:
    """SC-DSP-15..17: any move message posted in the game over an honest checkpoint: only
    ``SpecError`` codes reject it, and an accepted one never reverts the checkpoint nor penalises
    its federation (an honest defender cannot be made to lose by anyone's move)."""
    state, _ = _honest_checkpoint_game()
    try:
        message = decode_move_message(data, MAINNET)
        after, penalties = apply_move(state, message, gamechain.CHECKPOINT_1_AT + 2, MAINNET)
    except SpecError:
        return
    if penalties or len(after.chains[gamechain.SPEC_G.sidechain_id].checkpoints) != 2:
        raise DisputeInvariantViolation("a move made the honest defender lose its checkpoint")


DISPUTE_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "dispute_decode_bisect_move": fuzz_dispute_decode_bisect_move,
    "dispute_decode_one_step_proof": fuzz_dispute_decode_one_step_proof,
    "dispute_one_step": fuzz_dispute_one_step,
    "dispute_credit_step": fuzz_dispute_credit_step,
    "dispute_decode_open_message": fuzz_dispute_decode_open_message,
    "dispute_decode_move_message": fuzz_dispute_decode_move_message,
    "dispute_game_move": fuzz_dispute_game_move,
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
        "dispute_credit_step": {"seed-honest": _credit_step()[1]},
        "dispute_decode_open_message": {"seed-opening": _opening_seed()},
        "dispute_decode_move_message": {"seed-move": _honest_checkpoint_game()[1]},
        "dispute_game_move": {"seed-honest": _honest_checkpoint_game()[1]},
    }


def _opening_seed() -> bytes:
    sc = gamechain.scenario(2, MAINNET, federation_lies_at=(1,))
    output = gamechain.opening(sc, bond=MAINNET.dispute.min_challenger_bond, preset=MAINNET)
    message = match_sidechain_message(output.script_pubkey, MAINNET)
    assert isinstance(message, DisputeOpenMessage)
    return encode(game_codecs(MAINNET).open, message)
