"""Deliberately wrong contracts that ``tests/test_symbolic_suites.py`` expects CrossHair to refute
(the canary of ``conformance/symbolic/libp2p_contracts.py``).

* a decay "per second" taken for the decay per heartbeat: ``decay_to_zero ** (1 / seconds)`` is not
  what a counter falls to after the heartbeats of ``score_decay_seconds`` unless a heartbeat is one
  second, so the claim fails for any other heartbeat;
* "a well-formed quorum message is never rejected": every code outside the quorum topic's ignore
  list is a reject (``invalid_quorum_message``), so an unknown code refutes it;
* "the uncompressed IPv6 text is canonical": two or more zero groups must be written ``::``
  (P2P-LP-6, RFC 5952), so any address with a zero run refutes it.

If CrossHair stops finding counterexamples to these, the symbolic check has become vacuous.
"""

from __future__ import annotations

from spec.p2p.libp2p import (
    GossipDecision,
    TopicKind,
    compute_gossip_validation,
    is_canonical_ipv6,
    is_decode_code,
)


def per_second_decay_claim(heartbeat_ms: int, score_decay_seconds: int) -> float:
    """Claims the per-second decay brings a counter to 1/100 after ``score_decay_seconds`` of heartbeats.

    pre: 1 <= heartbeat_ms <= 10_000
    pre: 1 <= score_decay_seconds <= 100_000
    post: abs(__return__ ** (score_decay_seconds * 1000 / heartbeat_ms) - 0.01) < 1e-6
    """
    return float(0.01 ** (1 / score_decay_seconds))


def quorum_never_rejected(code: str) -> bool:
    """Claims a well-formed quorum message is never rejected.

    pre: len(code) <= 24
    post: __return__
    """
    if is_decode_code(code):
        return True
    return compute_gossip_validation(TopicKind.QUORUM, code).decision is not GossipDecision.REJECT


def uncompressed_ipv6_is_canonical(a: int, b: int, c: int, d: int) -> bool:
    """Claims the uncompressed text of an IPv6 address (here ``a:b:c:d:1:1:1:1``) is canonical.

    pre: 0 <= a <= 0xFFFF and 0 <= b <= 0xFFFF and 0 <= c <= 0xFFFF and 0 <= d <= 0xFFFF
    post: __return__
    """
    return is_canonical_ipv6(":".join(format(group, "x") for group in (a, b, c, d, 1, 1, 1, 1)))
