"""PEP 316 contracts on the libp2p protocol's arithmetic and decisions (``crosshair check
--analysis_kind=PEP316``), rules P2P-LP-2, P2P-LP-5 and P2P-LP-7 of docs/p2p.md.

Each function is a small wrapper around :mod:`spec.p2p.libp2p`; its ``post:`` lines must hold for
every input meeting its ``pre:`` lines (bounded so that the solver can explore them). The wrappers
are plain functions too (``tests/test_libp2p_symbolic.py`` calls them on sample inputs); their canary
of deliberately wrong contracts is ``tests/libp2p_symbolic_canary.py``.

Contracts (rule references in brackets):

* score decay [P2P-LP-7]: for any ``[network.gossipsub]`` table the preset checks accept
  (positive integers, ``decay_to_zero_permille < 1000``, thresholds that deepen), the decay per
  heartbeat is in ``(0, 1)``, a counter falls to ``decay_to_zero`` of its value after
  ``score_decay_seconds`` of heartbeats, and a longer decay time decays less per heartbeat.
* thresholds [P2P-LP-7]: penalties and the gossip, publish and graylist thresholds are negative
  and deepen (``graylist <= publish <= gossip < 0``), peer exchange needs a positive score, and a
  peer whose P2P-SCORE-1 misbehaviour reaches ``graylist / app_score_weight`` is graylisted by P5
  alone.
* application-specific score [P2P-LP-7]: P5 is zero exactly for a peer that never misbehaved,
  negative otherwise, and strictly decreasing in the misbehaviour score.
* message id [P2P-LP-2]: 20 bytes for every topic up to 65535 bytes, refused
  (``DECODE_LENGTH_LIMIT``) for a longer topic, and the topic's length prefix separates it from the
  data (moving a byte from the data to the topic changes the id).
* validation decision [P2P-LP-5]: for every topic and every error code string, ``accept`` exactly
  without a code, a violation exactly with ``reject``, every decode code a reject
  (``too_many_items`` for ``DECODE_LENGTH_LIMIT``, else ``malformed_message``), and a well-formed
  sidechain message never rejected.
* IPv6 record text [P2P-LP-6]: for any eight 16-bit groups, the RFC 5952 text
  (``compute_ipv6_text``) is canonical exactly when the address is not IPv4-mapped, has no
  uppercase letter, no group of more than 4 digits, at most one ``::``, and the uncompressed
  spelling of the same groups is canonical only when it is the same text.
"""

from __future__ import annotations

from dataclasses import replace

from spec.errors import LengthLimitExceeded
from spec.p2p.libp2p import (
    MESSAGE_ID_BYTES,  # noqa: F401  (used by post: lines)
    GossipDecision,
    TopicKind,
    compute_app_specific_score,
    compute_gossip_score_params,
    compute_gossip_validation,
    compute_ipv6_text,
    compute_message_id,
    is_canonical_ipv6,
    is_decode_code,
)
from spec.p2p.peers import Violation
from spec.presets import DEVNET, Preset

__all__ = [
    "app_score_order",
    "decay_per_heartbeat",
    "graylisted_by_misbehaviour",
    "ipv6_text",
    "message_id_shape",
    "threshold_order",
    "validation_decision",
]

_TOPICS = tuple(TopicKind)


def _preset(
    heartbeat_ms: int,
    score_decay_seconds: int,
    decay_to_zero_permille: int,
    gossip: int = 25,
    publish: int = 50,
    graylist: int = 100,
    app_weight: int = 1,
    invalid_weight: int = 10,
    accept_px: int = 10,
) -> Preset:
    table = replace(
        DEVNET.network.gossipsub,
        heartbeat_ms=heartbeat_ms,
        score_decay_seconds=score_decay_seconds,
        decay_to_zero_permille=decay_to_zero_permille,
        gossip_threshold=gossip,
        publish_threshold=publish,
        graylist_threshold=graylist,
        app_score_weight=app_weight,
        invalid_message_weight=invalid_weight,
        accept_px_threshold=accept_px,
    )
    return replace(DEVNET, network=replace(DEVNET.network, gossipsub=table))


def _decay(heartbeat_ms: int, score_decay_seconds: int, permille: int) -> float:
    return compute_gossip_score_params(_preset(heartbeat_ms, score_decay_seconds, permille)).decay


def decay_per_heartbeat(heartbeat_ms: int, score_decay_seconds: int, permille: int) -> float:
    """The decay per heartbeat of a table with these parameters.

    pre: 1 <= heartbeat_ms <= 10_000
    pre: 1 <= score_decay_seconds <= 100_000
    pre: 1 <= permille <= 999
    post: 0 < __return__ < 1
    post: abs(__return__ ** (score_decay_seconds * 1000 / heartbeat_ms) - permille / 1000) < 1e-6
    post: __return__ <= _decay(heartbeat_ms, score_decay_seconds + 1, permille)
    """
    return _decay(heartbeat_ms, score_decay_seconds, permille)


def threshold_order(gossip: int, publish: int, graylist: int, invalid_weight: int, accept_px: int) -> bool:
    """Whether the signed thresholds deepen (a table the preset checks accept).

    pre: 1 <= gossip <= publish <= graylist <= 10**6
    pre: 1 <= invalid_weight <= 10**6
    pre: 1 <= accept_px <= 10**6
    post: __return__
    """
    params = compute_gossip_score_params(
        _preset(700, 3600, 10, gossip, publish, graylist, 1, invalid_weight, accept_px)
    )
    return (
        params.graylist_threshold <= params.publish_threshold <= params.gossip_threshold < 0
        and params.invalid_message_weight < 0 < params.accept_px_threshold
        and params.graylist_threshold == -graylist
    )


def graylisted_by_misbehaviour(misbehaviour: int, graylist: int, app_weight: int) -> bool:
    """Whether P5 alone puts a peer with this misbehaviour score at or below the graylist.

    pre: 0 <= misbehaviour <= 10**6
    pre: 1 <= graylist <= 10**6
    pre: 1 <= app_weight <= 100
    post: __return__ == (misbehaviour * app_weight >= graylist)
    """
    params = compute_gossip_score_params(_preset(700, 3600, 10, 1, 1, graylist, app_weight))
    return compute_app_specific_score(misbehaviour) * params.app_score_weight <= params.graylist_threshold


def app_score_order(a: int, b: int) -> tuple[float, float]:
    """P5 of two misbehaviour scores.

    pre: 0 <= a <= 10**9
    pre: 0 <= b <= 10**9
    post: (__return__[0] == 0) == (a == 0)
    post: __return__[0] <= 0
    post: (__return__[0] < __return__[1]) == (a > b)
    """
    return compute_app_specific_score(a), compute_app_specific_score(b)


def message_id_shape(topic_length: int, data_length: int) -> int:
    """The length of the message id of a topic and data of these lengths (-1: the topic does not
    fit its u16 length prefix); moving the boundary between topic and data changes the id.

    pre: 0 <= topic_length <= 70_000
    pre: 0 <= data_length <= 64
    post: (__return__ == MESSAGE_ID_BYTES) == (topic_length <= 0xFFFF)
    post: topic_length >= 0xFFFF or _shifted(topic_length, data_length)
    """
    try:
        return len(compute_message_id("t" * topic_length, b"t" * data_length))
    except LengthLimitExceeded:
        return -1


def _shifted(topic_length: int, data_length: int) -> bool:
    """Whether ``topic ‖ data`` and ``topic + 't' ‖ data[1:]`` (the same bytes) have two ids."""
    data = b"t" * (data_length + 1)
    longer = compute_message_id("t" * (topic_length + 1), data[1:])
    return compute_message_id("t" * topic_length, data) != longer


def validation_decision(topic_index: int, code: str | None) -> bool:
    """Whether the decision on a message of topic ``_TOPICS[topic_index]`` with ``code`` is shaped
    as P2P-LP-5 says (the post lines name each part).

    pre: 0 <= topic_index < len(_TOPICS)
    pre: code is None or len(code) <= 24
    post: __return__
    """
    kind = _TOPICS[topic_index]
    validation = compute_gossip_validation(kind, code)
    accepted = validation.decision is GossipDecision.ACCEPT
    rejected = validation.decision is GossipDecision.REJECT
    if accepted != (code is None) or (validation.violation is not None) != rejected:
        return False
    if code is not None and is_decode_code(code):
        expected = Violation.TOO_MANY_ITEMS if code == "DECODE_LENGTH_LIMIT" else Violation.MALFORMED_MESSAGE
        return validation.violation is expected
    return not (kind is TopicKind.SIDECHAIN and rejected)


def ipv6_text(a: int, b: int, c: int, d: int, e: int, f: int, g: int, h: int) -> str:
    """The RFC 5952 text of the groups ``a`` .. ``h`` (P2P-LP-6).

    pre: 0 <= a <= 0xFFFF and 0 <= b <= 0xFFFF and 0 <= c <= 0xFFFF and 0 <= d <= 0xFFFF
    pre: 0 <= e <= 0xFFFF and 0 <= f <= 0xFFFF and 0 <= g <= 0xFFFF and 0 <= h <= 0xFFFF
    post: is_canonical_ipv6(__return__) == ((a, b, c, d, e, f) != (0, 0, 0, 0, 0, 0xFFFF))
    post: __return__ == __return__.lower() and __return__.count("::") <= 1
    post: all(len(group) <= 4 for group in __return__.split(":"))
    post: _uncompressed_is_canonical_only_if_same(__return__, (a, b, c, d, e, f, g, h))
    """
    return compute_ipv6_text((a, b, c, d, e, f, g, h))


def _uncompressed_is_canonical_only_if_same(text: str, groups: tuple[int, ...]) -> bool:
    """Whether the eight groups in lowercase hex with no ``::`` are canonical only if they are
    ``text`` itself (no zero run to compress)."""
    uncompressed = ":".join(format(group, "x") for group in groups)
    return uncompressed == text or not is_canonical_ipv6(uncompressed)
