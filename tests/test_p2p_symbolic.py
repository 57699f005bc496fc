"""The wrappers of ``conformance/symbolic/p2p_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary runs in
``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

import pytest

from conformance.symbolic import p2p_contracts
from spec.errors import EncodeError
from spec.p2p.messages import differential_encode
from spec.presets import DEVNET


def test_p2p_wrappers_on_examples() -> None:
    assert [p2p_contracts.locator_step_schedule(i) for i in (1, 10, 11, 12, 13)] == [1, 1, 2, 4, 8]
    assert p2p_contracts.locator_shape(0) == (0,)
    assert p2p_contracts.locator_shape(12) == (12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 0)
    assert len(p2p_contracts.locator_shape(10**9)) <= 12 + (10**9).bit_length()
    assert p2p_contracts.record_selection(3, 5, 5) == 1
    assert p2p_contracts.record_selection(7, 5, 6) == 0
    assert p2p_contracts.bucket_bounds(1) == 255
    assert p2p_contracts.bucket_bounds(2**255) == 0
    assert p2p_contracts.bucket_bounds(2**256 - 1) == 0
    assert p2p_contracts.differential_roundtrip(0, 1, 1, 1) == (0, 0, 0, 0)
    assert p2p_contracts.differential_roundtrip(5, 3, 1, 10) == (5, 2, 0, 9)
    assert p2p_contracts.differential_decode_checked(0, 0, 0, 3) == (0, 1, 2)
    window = DEVNET.network.pruned_serve_blocks
    assert p2p_contracts.body_served_window(1, 100, 0)
    assert not p2p_contracts.body_served_window(2, 100, 100 - window)
    assert p2p_contracts.body_served_window(2, 100, 100 - window + 1)
    assert not p2p_contracts.body_served_window(0, 100, 100)
    assert p2p_contracts.differential_decode_checked(0, 0, 0, 2) is None
    assert p2p_contracts.differential_decode_checked(2**64, 0, 0, 2**32) is None
    with pytest.raises(EncodeError):
        differential_encode((3, 3))
    # SNAP-9 (devnet: D = 25, I = 30): the quorum based at 30 certifies 55..84
    assert p2p_contracts.snapshot_certification(56, 56, 64)
    assert p2p_contracts.snapshot_certification(31, 56, 64)  # a descendant; base 30 <= 31
    assert not p2p_contracts.snapshot_certification(29, 56, 64)  # the key postdates the snapshot
    assert not p2p_contracts.snapshot_certification(56, 55, 64)  # below the snapshot
    assert not p2p_contracts.snapshot_certification(56, 64, 64)  # above the header chain
    assert not p2p_contracts.snapshot_certification(1, 2, 64)  # no quorum in charge
