"""Fuzz harnesses of the wrong-credits proof (spec/sidechain/accumulator.py, SC-DSP-20/21),
``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`AccumulatorInvariantViolation`. :data:`ACCUMULATOR_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`accumulator_seeds` gives their seed corpora.

* ``credits_proof_decode``: only ``DECODE_*`` codes reject bytes, and an accepted proof re-encodes
  to exactly the input (SC-DSP-21's canonical encoding);
* ``credits_proof_check``: any proof checked against the mainchain state of
  :mod:`conformance.creditschain` with an honest checkpoint 1 and against the same chain with a
  federation that left a deposit out: only ``SpecError`` codes reject it, no proof ever reverts an
  honest checkpoint, and the only proof that reverts the lying one lists exactly the range's
  inputs (seeded with that proof, so mutations land in its inputs and header).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from conformance import creditschain
from spec.errors import DecodeError, SpecError
from spec.presets import MAINNET
from spec.sidechain.accumulator import check_credits_proof, decode_credits_proof, encode_credits_proof
from spec.sidechain.registry import SidechainsState

PROOF_AT = 20


class AccumulatorInvariantViolation(Exception):
    """A credits-proof harness found a broken invariant (not a rejection)."""


def fuzz_credits_proof_decode(data: bytes) -> None:
    """SC-DSP-21 on arbitrary bytes: only ``DECODE_*`` codes, canonical re-encoding."""
    try:
        proof = decode_credits_proof(data, MAINNET)
    except DecodeError:
        return
    if encode_credits_proof(proof, MAINNET) != data:
        raise AccumulatorInvariantViolation("a non-canonical credits proof was accepted")


@cache
def _states() -> tuple[SidechainsState, SidechainsState, bytes]:
    """The honest chain's state, the lying chain's state and the lying chain's valid proof."""
    honest = creditschain.chain(MAINNET)
    lying = creditschain.chain(MAINNET, creditschain.WRONG_CREDITS["never_credited"])
    proof = encode_credits_proof(creditschain.proof(lying.checkpoint_1), MAINNET)
    return honest.state, lying.state, proof


def fuzz_credits_proof_check(data: bytes) -> None:
    """SC-DSP-21: any proof against an honest and a lying checkpoint: only ``SpecError`` codes, an
    honest checkpoint is never reverted, a lying one only by its range's exact inputs."""
    honest, lying, _ = _states()
    try:
        proof = decode_credits_proof(data, MAINNET)
    except SpecError:
        return
    try:
        check_credits_proof(honest, proof, PROOF_AT)
    except SpecError:
        pass
    else:
        raise AccumulatorInvariantViolation("a credits proof reverted an honest checkpoint")
    try:
        height = check_credits_proof(lying, proof, PROOF_AT)
    except SpecError:
        return
    if height != 1 or proof.inputs != creditschain.INPUTS:
        raise AccumulatorInvariantViolation("a credits proof with other inputs was accepted")


ACCUMULATOR_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "credits_proof_decode": fuzz_credits_proof_decode,
    "credits_proof_check": fuzz_credits_proof_check,
}


def accumulator_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: the valid proof against the lying checkpoint."""
    proof = _states()[2]
    return {"credits_proof_decode": {"seed-proof": proof}, "credits_proof_check": {"seed-proof": proof}}
