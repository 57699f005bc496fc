"""The wrappers of ``conformance/symbolic/dkg_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

from conformance.symbolic import dkg_contracts
from spec.crypto.bls import CURVE_ORDER
from spec.masternode.dkg import DkgPhase


def test_dkg_wrappers_on_examples() -> None:
    assert dkg_contracts.exponent_schedule_small(2, 5) == (1, 2, 4, 8, 16)
    assert dkg_contracts.exponent_schedule_steps(-1, 3) == (1, CURVE_ORDER - 1, 1)
    assert dkg_contracts.exponent_schedule_negated(3, 3) == (1, CURVE_ORDER - 3, 9)
    assert dkg_contracts.phase_partition(100, 99, 10, 5, 5, 5) is None
    assert dkg_contracts.phase_partition(100, 100, 10, 5, 5, 5) is DkgPhase.CONTRIBUTION
    assert dkg_contracts.phase_partition(100, 110, 10, 5, 5, 5) is DkgPhase.COMPLAINT
    assert dkg_contracts.phase_partition(100, 124, 10, 5, 5, 5) is DkgPhase.FINALIZATION
    assert dkg_contracts.phase_partition(100, 125, 10, 5, 5, 5) is None
    assert dkg_contracts.phase_monotonic(0, 3, 12, 10, 5)
    assert [dkg_contracts.threshold_two_thirds(n) for n in (1, 2, 3, 4, 400)] == [1, 2, 2, 3, 267]
    assert dkg_contracts.share_scalar_range(b"\x00" * 31 + b"\x05") == 5
    assert dkg_contracts.share_scalar_range(CURVE_ORDER.to_bytes(32, "big")) is None
    assert dkg_contracts.share_scalar_range(b"\x00" * 33) is None
    assert dkg_contracts.batch_weight_range(b"\xff" * 32) == 2**128
    assert dkg_contracts.batch_weight_range(b"\x00" * 32) == 1
    assert dkg_contracts.ephemeral_digest_range(bytes(64)) == 1
    assert dkg_contracts.ephemeral_digest_range((CURVE_ORDER - 2).to_bytes(64, "big")) == CURVE_ORDER - 1
    assert dkg_contracts.ephemeral_scalar_range(bytes(32)) is None
    assert dkg_contracts.ephemeral_scalar_range(b"\x00" * 31 + b"\x07") == 7
    assert dkg_contracts.ephemeral_scalar_range(CURVE_ORDER.to_bytes(32, "big")) is None
    assert dkg_contracts.share_context_injective(bytes(32), 1, 2, 1, 2)
    assert not dkg_contracts.share_context_injective(bytes(32), 1, 2, 2, 1)
