"""PEP 316 contracts on the P2P arithmetic (``crosshair check --analysis_kind=PEP316``).

Like :mod:`conformance.symbolic.chain_contracts`, each function is a small wrapper around helpers
of ``spec/p2p/``; its ``post:`` lines must hold for every input meeting its ``pre:`` lines. The
ranges are bounded so that the solver can explore them; the wrappers are plain functions too
(``tests/test_p2p_symbolic.py`` calls them on sample inputs).

Contracts (rule references in brackets):

* locator step schedule [P2P-LOC]: steps are 1 for the first ten, then double; the heights start
  at the tip, strictly decrease, end at genesis, and number at most ``12 + bitlength(tip)``.
* bucket index [P2P-KAD-1]: for every non-zero 256-bit XOR distance the index ``i`` is in
  ``[0, 255]`` and the distance lies in ``[2**(255 - i), 2**(256 - i))``.
* differential indexes [P2P-3]: encoding a strictly increasing list gives non-negative
  differences that decode back to the list; decoding any non-negative differences either gives a
  strictly increasing list below the limit or is refused with ``P2P_INDEX_OVERFLOW``.
* served bodies [P2P-PRUNE-1]: a pruned peer serves exactly the ``pruned_serve_blocks`` heights
  up to its own, a full peer every height up to its own, nobody a height above its own or below 0.
* base58btc [P2P-LP-3]: the text of ``zeros`` zero bytes then a big-endian value decodes back to
  the same bytes, and starts with exactly ``zeros`` ones.
* snapshot certification [SNAP-9 step 2, FIN-2]: a certificate height that can prove a snapshot's
  finality is at or above the snapshot, within the header chain, certified by a quorum (at or
  after the first DKG's end) whose base is at or below the snapshot (else its key cannot be in the
  snapshot's state), within that quorum's term.
* gossip decision [P2P-LP-5]: over every topic and a sample of codes (none, decode, ignore,
  consensus), ``accept`` exactly for no code, and a violation exactly for ``reject``.
* operator-record selection [P2P-LP-8]: of three records, the DHT keeps one with the highest
  sequence, and the first of those.
"""

from __future__ import annotations

from spec.chain.snapshot_finality import certifies_snapshot
from spec.errors import DifferentialIndexOverflow
from spec.masternode.finality import dkg_length, finality_quorum_height
from spec.p2p.kademlia import bucket_of_distance
from spec.p2p.libp2p import (
    GossipDecision,
    OperatorPeerRecord,
    TopicKind,
    compute_gossip_validation,
    decode_base58,  # noqa: F401  (used by post: lines)
    encode_base58,
    select_operator_peer_record,
)
from spec.p2p.messages import SERVICE_FULL_NODE, SERVICE_PRUNED, differential_decode, differential_encode
from spec.p2p.sync import is_body_served, locator_heights, locator_step
from spec.presets import DEVNET

_FULL, _PRUNED = SERVICE_FULL_NODE, SERVICE_PRUNED
_WINDOW = DEVNET.network.pruned_serve_blocks

__all__ = [
    "base58_roundtrip",
    "body_served_window",
    "bucket_bounds",
    "differential_decode_checked",
    "differential_roundtrip",
    "gossip_decision_shape",
    "locator_shape",
    "locator_step_schedule",
    "record_selection",
    "snapshot_certification",
]

_D = dkg_length(DEVNET)
_I = DEVNET.masternodes.finality_quorum_interval


def snapshot_certification(snapshot_height: int, certificate_height: int, chain_length: int) -> bool:
    """Whether a certificate at ``certificate_height`` can prove the snapshot at ``snapshot_height``
    final on a header chain of ``chain_length`` blocks, and the quorum in charge could have its key
    in the snapshot's state.

    pre: 0 <= snapshot_height < 10**6
    pre: 0 <= certificate_height < 10**6
    pre: 0 <= chain_length < 10**6
    post: not __return__ or snapshot_height <= certificate_height < chain_length
    post: not __return__ or certificate_height >= _D
    post: not __return__ or certificate_height - finality_quorum_height(certificate_height, DEVNET) < _D + _I
    post: not __return__ or finality_quorum_height(certificate_height, DEVNET) % _I == 0
    """
    if not certifies_snapshot(snapshot_height, certificate_height, chain_length):
        return False
    base = finality_quorum_height(certificate_height, DEVNET)
    return base is not None and base <= snapshot_height


def locator_step_schedule(index: int) -> int:
    """Ten steps of one, then each step doubles the one before.

    pre: 1 <= index <= 200
    post: __return__ >= 1
    post: index > 10 or __return__ == 1
    post: index <= 10 or __return__ == 2 * locator_step(index - 1)
    """
    return locator_step(index)


def locator_shape(tip: int) -> tuple[int, ...]:
    """Tip first, genesis last, strictly decreasing, logarithmically many heights.

    pre: 0 <= tip <= 10**9
    post: __return__[0] == tip and __return__[-1] == 0
    post: all(a > b for a, b in zip(__return__, __return__[1:]))
    post: len(__return__) <= 12 + tip.bit_length()
    """
    return locator_heights(tip)


def bucket_bounds(gap: int) -> int:
    """The bucket of a non-zero 256-bit distance is in [0, 255] and brackets the distance.

    pre: 1 <= gap < 2**256
    post: 0 <= __return__ <= 255
    post: 2 ** (255 - __return__) <= gap < 2 ** (256 - __return__)
    """
    return bucket_of_distance(gap, DEVNET.network.node_id_bits)


def _increasing(first: int, gap1: int, gap2: int, gap3: int) -> tuple[int, ...]:
    return (first, first + gap1, first + gap1 + gap2, first + gap1 + gap2 + gap3)


def differential_roundtrip(first: int, gap1: int, gap2: int, gap3: int) -> tuple[int, ...]:
    """Encoding a strictly increasing list gives differences >= 0 that decode back to it.

    pre: 0 <= first <= 10**6
    pre: 1 <= gap1 <= 10**6 and 1 <= gap2 <= 10**6 and 1 <= gap3 <= 10**6
    post: all(d >= 0 for d in __return__)
    post: differential_decode(__return__, 4 * 10**6 + 1) == _increasing(first, gap1, gap2, gap3)
    """
    return differential_encode(_increasing(first, gap1, gap2, gap3))


def differential_decode_checked(d0: int, d1: int, d2: int, limit: int) -> tuple[int, ...] | None:
    """Decoding non-negative differences gives an increasing list below the limit, or refuses.

    pre: 0 <= d0 <= 2**64 and 0 <= d1 <= 2**64 and 0 <= d2 <= 2**64
    pre: 1 <= limit <= 2**32
    post: __return__ is None or all(a < b for a, b in zip(__return__, __return__[1:]))
    post: __return__ is None or all(0 <= i < limit for i in __return__)
    post: (__return__ is None) == (d0 + d1 + d2 + 2 >= limit)
    """
    try:
        return differential_decode((d0, d1, d2), limit)
    except DifferentialIndexOverflow:
        return None


def _in_window(peer_height: int, height: int) -> bool:
    return height >= 0 and peer_height - _WINDOW < height <= peer_height


def body_served_window(services: int, peer_height: int, height: int) -> bool:
    """A pruned peer serves its last ``pruned_serve_blocks`` bodies; a full peer all of its own.

    pre: 0 <= services < 2**64
    pre: 0 <= peer_height <= 10**9 and -5 <= height <= 10**9 + 5
    post: __return__ == False or 0 <= height <= peer_height
    post: not (services & _FULL) or __return__ == (0 <= height <= peer_height)
    post: services & (_FULL | _PRUNED) != _PRUNED or __return__ == _in_window(peer_height, height)
    post: services & (_FULL | _PRUNED) != 0 or __return__ == False
    """
    return is_body_served(services, peer_height, height, DEVNET)


def base58_roundtrip(zeros: int, value: int) -> str:
    """base58btc text decodes to its bytes; leading zero bytes are leading ones.

    pre: 0 <= zeros <= 3
    pre: 1 <= value < 2**64
    post: decode_base58(__return__) == bytes(zeros) + value.to_bytes((value.bit_length() + 7) // 8, "big")
    post: len(__return__) - len(__return__.lstrip("1")) == zeros
    """
    return encode_base58(bytes(zeros) + value.to_bytes((value.bit_length() + 7) // 8, "big"))


_SAMPLE_CODES: tuple[str | None, ...] = (
    None,
    "DECODE_TRUNCATED",
    "DECODE_LENGTH_LIMIT",
    "P2P_UNKNOWN_COMMAND",
    "HDR_WRONG_PARENT",
    "TX_MISSING_INPUT",
    "DKG_WRONG_SESSION",
    "BLK_BAD_MERKLE_ROOT",
    "SCRIPT_VERIFY_FAILED",
    "DKG_BAD_SIGNATURE",
)


def gossip_decision_shape(kind_index: int, code_index: int) -> str:
    """Accept exactly without an error; a violation exactly on reject.

    pre: 0 <= kind_index < 5
    pre: 0 <= code_index < 10
    post: (__return__ == "accept") == (code_index == 0)
    """
    kind = list(TopicKind)[kind_index]
    validation = compute_gossip_validation(kind, _SAMPLE_CODES[code_index])
    if (validation.violation is None) == (validation.decision is GossipDecision.REJECT):
        raise AssertionError("a reject without a violation, or a violation without a reject")
    return validation.decision.value


def record_selection(first: int, second: int, third: int) -> int:
    """The kept record has the highest sequence and no earlier record has it.

    pre: 0 <= first < 2**64 and 0 <= second < 2**64 and 0 <= third < 2**64
    post: [first, second, third][__return__] == max(first, second, third)
    post: all(s < max(first, second, third) for s in [first, second, third][:__return__])
    """
    records = [OperatorPeerRecord(b"", b"", (), sequence, b"") for sequence in (first, second, third)]
    return select_operator_peer_record(records)
