"""The wrappers of ``conformance/symbolic/libp2p_contracts.py`` on concrete examples.

Plain calls, no CrossHair: the symbolic check of these contracts and of their canary
(``tests/libp2p_symbolic_canary.py``) runs in ``tests/test_symbolic_suites.py``.
"""

from __future__ import annotations

import math

from conformance.symbolic import libp2p_contracts
from spec.p2p.libp2p import TopicKind, compute_gossip_score_params
from spec.presets import DEVNET
from tests import libp2p_symbolic_canary


def test_libp2p_wrappers_on_examples() -> None:
    devnet = DEVNET.network.gossipsub
    decay = libp2p_contracts.decay_per_heartbeat(
        devnet.heartbeat_ms, devnet.score_decay_seconds, devnet.decay_to_zero_permille
    )
    assert decay == compute_gossip_score_params(DEVNET).decay
    assert math.isclose(decay ** (3600 / 0.7), 0.01, rel_tol=1e-9)
    assert libp2p_contracts.decay_per_heartbeat(1000, 1, 500) == 0.5
    assert libp2p_contracts.threshold_order(25, 50, 100, 10, 10)
    assert libp2p_contracts.threshold_order(1, 1, 1, 1, 1)
    assert libp2p_contracts.graylisted_by_misbehaviour(100, 100, 1)  # the ban threshold
    assert not libp2p_contracts.graylisted_by_misbehaviour(99, 100, 1)
    assert libp2p_contracts.graylisted_by_misbehaviour(50, 100, 2)
    assert libp2p_contracts.app_score_order(0, 5) == (0.0, -5.0)
    assert libp2p_contracts.message_id_shape(27, 1) == 20
    assert libp2p_contracts.message_id_shape(0xFFFF, 0) == 20
    assert libp2p_contracts.message_id_shape(0x10000, 0) == -1
    topics = list(TopicKind)
    for index in range(len(topics)):
        for code in (None, "DECODE_TRUNCATED", "DECODE_LENGTH_LIMIT", "HDR_WRONG_PARENT", "X", ""):
            assert libp2p_contracts.validation_decision(index, code), (topics[index], code)
    assert libp2p_contracts.ipv6_text(0, 0, 0, 0, 0, 0, 0, 1) == "::1"
    assert libp2p_contracts.ipv6_text(0x2001, 0xDB8, 0, 0, 1, 0, 0, 1) == "2001:db8::1:0:0:1"
    assert libp2p_contracts.ipv6_text(1, 2, 3, 4, 5, 6, 7, 8) == "1:2:3:4:5:6:7:8"


def test_the_canary_is_wrong_on_examples() -> None:
    """The canary's claims fail on concrete inputs too (CrossHair must find such inputs)."""
    value = libp2p_symbolic_canary.per_second_decay_claim(700, 3600)
    assert abs(value ** (3600 * 1000 / 700) - 0.01) > 1e-6
    assert not libp2p_symbolic_canary.quorum_never_rejected("SIGN_BAD_SHARE")
    assert not libp2p_symbolic_canary.uncompressed_ipv6_is_canonical(0x2001, 0xDB8, 0, 0)
