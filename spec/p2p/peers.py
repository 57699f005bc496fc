"""Handshake checks and misbehaviour scoring (protocol steps "P2P-HS", "P2P-SCORE-1".."P2P-SCORE-3").

* **P2P-HS** each side's first message is Version; a valid Version is acknowledged with Verack.
  A Version is refused when its ``protocol_version`` is below ``min_protocol_version``
  (``P2P_INCOMPATIBLE_VERSION``) or its nonce is the node's own nonce for this connection attempt
  (``P2P_SELF_CONNECTION``). Any other message before both Version and Verack were received, and
  a second Version, are ``handshake_violation``.
* **P2P-SCORE-1** each :class:`Violation` adds its preset score (``[network.misbehaviour]``) to the
  peer's misbehaviour score; a peer whose score reaches ``ban_threshold`` is disconnected and
  banned (how long is the node's choice: the spec has no clock).
* **P2P-SCORE-2** a violation after which the byte stream cannot be trusted to be at a frame
  boundary (``wrong_magic``, ``oversized_message``) disconnects at once, whatever the score. Every
  other frame error leaves the stream at a frame boundary: in particular a frame with an unknown
  command is skipped by its ``payload_length`` (:func:`spec.p2p.messages.skipped_payload_length`,
  still bounded by ``max_message_bytes``) and the connection goes on.
* **P2P-SCORE-3** a frame that fails to decode is the violation of its error: ``P2P_WRONG_MAGIC`` →
  ``wrong_magic``, ``P2P_UNKNOWN_COMMAND`` → ``unknown_command``, ``P2P_MESSAGE_TOO_LARGE`` →
  ``oversized_message``, ``P2P_BAD_CHECKSUM`` → ``bad_checksum``, ``DECODE_LENGTH_LIMIT`` →
  ``too_many_items``, any other ``DECODE_*`` → ``malformed_message``. An unknown command from a
  peer whose Version announced a ``protocol_version`` above the node's own is no violation (it is
  a command of that newer version; :func:`is_newer_command`).
* **P2P-SCORE-4** a quorum message (P2P-5) is ``invalid_quorum_message`` when it fails a check that
  no honest relay can fail, because nodes forward only what they verified and the key is one the
  receiver shares with the sender: a DKG message whose signature does not verify under its
  sender's member key (DKG-3) or whose shape is malformed (DKG-4/7), a complaint against its own
  sender (DKG-6); a finality certificate for a known block whose signature does not verify under
  the group key committed on chain for its height (FORK-3, FIN-5); a signature share that does not
  verify under the member's public key share when the receiver's DKG result has the committed key
  (SIGN-2); a commitment signature of the receiver's result that does not verify under the
  member's operator key (FIN-5). A message that is only early, late, for an unknown session or
  block, or from a different DKG view is not a violation (it can be an honest race).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from spec.errors import (
    BadChecksum,
    DecodeError,
    IncompatibleVersion,
    LengthLimitExceeded,
    MessageTooLarge,
    SelfConnection,
    UnknownCommand,
    WrongMagic,
)
from spec.p2p.messages import Command, Version
from spec.presets import Preset


def check_version(version: Version, own_nonce: int, preset: Preset) -> None:
    """P2P-HS: raise unless the peer's Version may be acknowledged."""
    if version.protocol_version < preset.network.min_protocol_version:
        raise IncompatibleVersion(
            f"protocol version {version.protocol_version} < {preset.network.min_protocol_version}"
        )
    if version.nonce == own_nonce:
        raise SelfConnection("the peer's nonce is ours")


def is_handshake_violation(received_version: bool, received_verack: bool, command: Command) -> bool:
    """P2P-HS: whether receiving ``command`` now breaks the handshake order."""
    if command == Command.VERSION:
        return received_version
    if command == Command.VERACK:
        return not received_version or received_verack
    return not (received_version and received_verack)


class Violation(Enum):
    """P2P-SCORE-1: the kinds of misbehaviour; each value names its ``[network.misbehaviour]`` score."""

    WRONG_MAGIC = "wrong_magic"
    UNKNOWN_COMMAND = "unknown_command"
    OVERSIZED_MESSAGE = "oversized_message"
    BAD_CHECKSUM = "bad_checksum"
    MALFORMED_MESSAGE = "malformed_message"
    TOO_MANY_ITEMS = "too_many_items"
    HANDSHAKE_VIOLATION = "handshake_violation"
    UNCONNECTING_HEADERS = "unconnecting_headers"
    INVALID_HEADER = "invalid_header"
    INVALID_BLOCK = "invalid_block"
    INVALID_COMPACT_BLOCK = "invalid_compact_block"
    INVALID_TRANSACTION = "invalid_transaction"
    UNREQUESTED_DATA = "unrequested_data"
    INVALID_QUORUM_MESSAGE = "invalid_quorum_message"
    INVALID_SNAPSHOT = "invalid_snapshot"


STREAM_FATAL: frozenset[Violation] = frozenset({Violation.WRONG_MAGIC, Violation.OVERSIZED_MESSAGE})
"""P2P-SCORE-2: violations that always disconnect."""


def violation_score(violation: Violation, preset: Preset) -> int:
    """P2P-SCORE-1: the preset score of ``violation``."""
    score: int = getattr(preset.network.misbehaviour, violation.value)
    return score


def frame_violation(error: DecodeError) -> Violation:
    """P2P-SCORE-3: the violation of a frame that failed to decode with ``error``."""
    if isinstance(error, WrongMagic):
        return Violation.WRONG_MAGIC
    if isinstance(error, UnknownCommand):
        return Violation.UNKNOWN_COMMAND
    if isinstance(error, MessageTooLarge):
        return Violation.OVERSIZED_MESSAGE
    if isinstance(error, BadChecksum):
        return Violation.BAD_CHECKSUM
    if isinstance(error, LengthLimitExceeded):
        return Violation.TOO_MANY_ITEMS
    return Violation.MALFORMED_MESSAGE


def is_newer_command(peer_protocol_version: int | None, preset: Preset) -> bool:
    """P2P-SCORE-3: whether an unknown command from a peer that announced ``peer_protocol_version``
    (``None``: no Version yet) is a command of a newer protocol version, hence not a violation."""
    return peer_protocol_version is not None and peer_protocol_version > preset.network.protocol_version


@dataclass(frozen=True)
class Scores:
    """P2P-SCORE-1: the misbehaviour score of every peer that has misbehaved (peer key → score).

    The peer key is the node's choice (its address before the handshake, its node id after).
    """

    by_peer: Mapping[str, int]


NO_SCORES = Scores({})


def score_of(scores: Scores, peer: str) -> int:
    """The current score of ``peer`` (0 if it never misbehaved)."""
    return scores.by_peer.get(peer, 0)


def is_banned(scores: Scores, peer: str, preset: Preset) -> bool:
    """P2P-SCORE-1: whether ``peer``'s score has reached the ban threshold."""
    return score_of(scores, peer) >= preset.network.misbehaviour.ban_threshold


def record(scores: Scores, peer: str, violation: Violation, preset: Preset) -> tuple[Scores, bool]:
    """P2P-SCORE-1/2: the scores after ``peer`` committed ``violation``, and whether to disconnect it."""
    updated = {**scores.by_peer, peer: score_of(scores, peer) + violation_score(violation, preset)}
    after = Scores(updated)
    return after, violation in STREAM_FATAL or is_banned(after, peer, preset)


def forget(scores: Scores, peer: str) -> Scores:
    """The scores without ``peer`` (the node calls it when a ban it imposed expires)."""
    return Scores({p: s for p, s in scores.by_peer.items() if p != peer})
