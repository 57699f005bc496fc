"""Fuzz harnesses of the equivocation and escrow-overdraw proofs (spec/sidechain/proofs.py,
SC-DSP-8/9/23), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`FraudProofInvariantViolation`. :data:`FRAUD_PROOF_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`fraud_proof_seeds` gives their seed corpora.

* ``equivocation_proof_decode``, ``overdraw_proof_decode``: only ``DECODE_*`` codes reject bytes,
  and an accepted proof re-encodes to exactly the input (canonical encodings);
* ``equivocation_proof_check``: any equivocation proof checked against the mainchain state of
  :mod:`conformance.fraudchain` (an honest federation's checkpoints 0 and 1): only ``SpecError``
  codes reject it, and an accepted one holds two different headers of one sidechain and height,
  the first the accepted one, both signed under the federation's key (seeded with a forged second
  header, so mutations land in headers and signatures);
* ``overdraw_proof_check``: any overdraw proof against the same chain with a withdrawal within the
  escrow (never reverted) and with one an atom above it: only ``SpecError`` codes, and the only
  accepted proof names that withdrawal at its leaf; applied, it takes the next game id and its
  penalty names that id and the proof's payout script (SC-DSP-25's reward).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

from conformance import fraudchain
from conformance import sidechainbuilder as sb
from spec.errors import DecodeError, SpecError
from spec.presets import MAINNET
from spec.sidechain.checkpoint import is_signed_by
from spec.sidechain.header import compute_header_hash
from spec.sidechain.proofs import (
    apply_overdraw_proof,
    check_equivocation_in_chain,
    check_overdraw_in_chain,
    decode_equivocation_proof,
    decode_overdraw_proof,
    encode_equivocation_proof,
    encode_overdraw_proof,
)
from spec.sidechain.registry import SidechainsState

PROOF_AT = fraudchain.PROOF_AT
PAYEE = sb.ALICE
"""SC-DSP-25: the seeds' prover payout script."""


class FraudProofInvariantViolation(Exception):
    """A fraud-proof harness found a broken invariant (not a rejection)."""


def fuzz_equivocation_proof_decode(data: bytes) -> None:
    """SC-DSP-8 on arbitrary bytes: only ``DECODE_*`` codes, canonical re-encoding."""
    try:
        proof = decode_equivocation_proof(data, MAINNET)
    except DecodeError:
        return
    if encode_equivocation_proof(proof, MAINNET) != data:
        raise FraudProofInvariantViolation("a non-canonical equivocation proof was accepted")


def fuzz_overdraw_proof_decode(data: bytes) -> None:
    """SC-DSP-9 on arbitrary bytes: only ``DECODE_*`` codes, canonical re-encoding."""
    try:
        proof = decode_overdraw_proof(data, MAINNET)
    except DecodeError:
        return
    if encode_overdraw_proof(proof, MAINNET) != data:
        raise FraudProofInvariantViolation("a non-canonical overdraw proof was accepted")


@cache
def _chains() -> tuple[fraudchain.Chain, fraudchain.Chain]:
    """The honest chain (a withdrawal within the escrow) and the overdrawing one."""
    return fraudchain.chain(MAINNET), fraudchain.chain(MAINNET, fraudchain.ESCROW + 1)


def _keys_at(_height: int) -> dict[int, bytes]:
    return sb.keys()


def fuzz_equivocation_proof_check(data: bytes) -> None:
    """SC-DSP-8: any proof against the honest chain: only ``SpecError`` codes; an accepted one is a
    real equivocation of the accepted checkpoint under the federation's key."""
    state: SidechainsState = _chains()[0].state
    try:
        proof = decode_equivocation_proof(data, MAINNET)
        height = check_equivocation_in_chain(state, proof, PROOF_AT, _keys_at)
    except SpecError:
        return
    first, second = proof.first, proof.second
    key = sb.federation_public(fraudchain.SPEC.federation)
    accepted = state.chains[first.header.sidechain_id].checkpoints[height]
    if not (
        height == first.header.height == second.header.height
        and first.header.sidechain_id == second.header.sidechain_id
        and compute_header_hash(first.header) == accepted.header_hash != compute_header_hash(second.header)
        and is_signed_by(first, key)
        and is_signed_by(second, key)
    ):
        raise FraudProofInvariantViolation("an equivocation proof without equivocation was accepted")


def fuzz_overdraw_proof_check(data: bytes) -> None:
    """SC-DSP-9: any proof against a withdrawal within the escrow (never reverted) and one above it
    (reverted only by the proof of that withdrawal)."""
    honest, fraud = _chains()
    try:
        proof = decode_overdraw_proof(data, MAINNET)
    except SpecError:
        return
    try:
        check_overdraw_in_chain(honest.state, proof, PROOF_AT)
    except SpecError:
        pass
    else:
        raise FraudProofInvariantViolation("an overdraw proof reverted an honest checkpoint")
    try:
        height = check_overdraw_in_chain(fraud.state, proof, PROOF_AT)
    except SpecError:
        return
    if height != 1 or proof.leaf_index != 0 or proof.entry != fraud.outbox[0]:
        raise FraudProofInvariantViolation("an overdraw proof of another entry was accepted")
    after, penalties = apply_overdraw_proof(fraud.state, proof, PROOF_AT)
    claim_id = fraud.state.next_game
    if after.next_game != claim_id + 1 or [(p.claim_id, p.payout_script) for p in penalties] != [
        (claim_id, proof.payout_script)
    ]:
        raise FraudProofInvariantViolation("a proof's reward is not payable to its payout script (SC-DSP-25)")


FRAUD_PROOF_HARNESSES: dict[str, Callable[[bytes], None]] = {
    "equivocation_proof_decode": fuzz_equivocation_proof_decode,
    "equivocation_proof_check": fuzz_equivocation_proof_check,
    "overdraw_proof_decode": fuzz_overdraw_proof_decode,
    "overdraw_proof_check": fuzz_overdraw_proof_check,
}


def fraud_proof_seeds() -> dict[str, dict[str, bytes]]:
    """Seeds: a valid equivocation proof against checkpoint 1 and the valid overdraw proof."""
    honest, fraud = _chains()
    equivocation = encode_equivocation_proof(
        replace(fraudchain.equivocation(honest.checkpoint_1), payout_script=PAYEE), MAINNET
    )
    overdraw = encode_overdraw_proof(replace(fraudchain.overdraw(fraud), payout_script=PAYEE), MAINNET)
    return {
        "equivocation_proof_decode": {"seed-proof": equivocation},
        "equivocation_proof_check": {"seed-proof": equivocation},
        "overdraw_proof_decode": {"seed-proof": overdraw},
        "overdraw_proof_check": {"seed-proof": overdraw},
    }
