"""Fuzz harnesses of the upgrade flow (spec/forks/), ``fuzz_<name>(data: bytes) -> None``.

Same contract as :mod:`fuzz.harnesses`: a :class:`~spec.errors.SpecError` rejection is swallowed,
any other exception escapes and is a finding, and a broken invariant raises
:class:`UpgradeInvariantViolation`. :data:`UPGRADE_HARNESSES` lists them for registration in
:data:`fuzz.harnesses.HARNESSES`; :func:`upgrade_seeds` gives their seed corpora.

Invariants checked by ``upgrade_vote`` (the new vote encoding: vote bits in the BLK-0 vote, UPG-2/3):

* only ``DECODE_*`` codes reject the input as a vote; an accepted vote re-encodes to the input
  (ENC-2);
* the vote message (UPG-3) determines the vote bits: the 255 other values of the bits give 255
  other messages, and bits 0 give the message of the vote without bits;
* a signature over the vote's own message verifies and over any other value of the bits does not
  (checked with a fixed key, for one other value chosen by the input);
* every agenda choice (UPG-2) is abstain, no or yes, and one vote adds at most one to the yes and
  no counts of a STARTED deployment's window (UPG-5); with bit 0 set :func:`check_votes` rejects
  the vote with ``POS_BAD_VOTES`` (never accepts it, never raises anything else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

from conformance.wallet import key
from spec.chain.block import TicketVote, block_codecs, encode_vote
from spec.chain.tickets import VOTE_REJECT_BIT, Ticket, check_votes, vote_message
from spec.crypto import ed25519
from spec.encoding import decode
from spec.errors import BadVotes, DecodeError
from spec.forks.deployment import (
    AgendaRecord,
    DeploymentStatus,
    agenda_choice,
    count_votes,
)
from spec.ledger.transaction import OutPoint
from spec.presets import DEVNET

PRESET = DEVNET
_SIGNER = key("fuzz/upgrade/voter")


class UpgradeInvariantViolation(AssertionError):
    """An upgrade decoder or rule accepted or rejected an input in a way its rules forbid."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise UpgradeInvariantViolation(message)


@lru_cache(maxsize=1024)
def _messages_by_bits(parent_hash: bytes, outpoint: OutPoint) -> tuple[tuple[bytes, ...], bool]:
    """UPG-3's message for each of the 256 values of the bits, and whether they are all distinct.

    The 256 hashes depend only on the parent hash and the ticket, which most mutations leave alone
    (they land in the signature or the bits): computed once per pair, they were 85 % of an
    execution. Bounded, and a pure function of its arguments, so an input's verdict never depends
    on the inputs before it.
    """
    messages = tuple(vote_message(parent_hash, outpoint, bits) for bits in range(256))
    return messages, len(set(messages)) == 256


@lru_cache(maxsize=4096)
def _signature(message: bytes) -> bytes:
    """The fixed voter's signature of ``message``, made once per message (signing is deterministic)."""
    return ed25519.sign(_SIGNER.seed, message)


def fuzz_vote(data: bytes) -> None:
    """UPG-2/3 on a decoded BLK-0 vote (see the module docstring)."""
    try:
        vote = decode(block_codecs(PRESET).vote, data)
    except DecodeError:
        return
    _require(encode_vote(vote, PRESET) == data, "ENC-2: a decoded vote re-encodes differently")
    outpoint = OutPoint(vote.ticket_txid, vote.ticket_index)
    own = vote_message(vote.parent_hash, outpoint, vote.vote)
    messages, distinct = _messages_by_bits(vote.parent_hash, outpoint)
    _require(own == messages[vote.vote] and distinct, "UPG-3: the message does not determine the bits")
    if vote.vote == 0:
        _require(own == vote_message(vote.parent_hash, outpoint), "UPG-3: bits 0 changed the message")
    other_bits = (vote.vote + 1 + data[-1] % 255) % 256
    signature = _signature(own)
    _require(ed25519.verify(_SIGNER.public_key, own, signature), "a signature over the message fails")
    forged = vote_message(vote.parent_hash, outpoint, other_bits)
    _require(not ed25519.verify(_SIGNER.public_key, forged, signature), "UPG-3: a signature moved bits")
    for vote_bit in (1, 3, 5):
        _require(agenda_choice(vote.vote, vote_bit) in (0, 1, 2), "UPG-2: a choice outside 0..2")
    before = (
        AgendaRecord("governed_tickets", DeploymentStatus.STARTED, 0, 3, 4),
        AgendaRecord("state_trie", DeploymentStatus.DEFINED, 0, 0, 0),
        AgendaRecord("sidechains", DeploymentStatus.DEFINED, 0, 0, 0),
    )
    after, *untouched = count_votes(before, [vote], PRESET)
    _require(tuple(untouched) == before[1:], "UPG-5: a DEFINED deployment counted a vote")
    _require(0 <= (after.yes - 3) + (after.no - 4) <= 1, "UPG-5: one vote counted more than once")
    ticket = Ticket(outpoint, 0, _SIGNER.public_key, bytes(32))
    signed = replace(vote, signature=signature)
    try:
        voted = check_votes([signed] * PRESET.tickets.min_votes, (ticket,), vote.parent_hash, PRESET)
    except BadVotes:
        voted = None
    _require(voted is None, "POS-4: min_votes votes from one selected ticket were accepted")
    if vote.vote & VOTE_REJECT_BIT:
        _require(_single_vote_rejected(signed, ticket), "POS-4: a rejecting vote was accepted")


def _single_vote_rejected(vote: TicketVote, ticket: Ticket) -> bool:
    params = replace(PRESET.tickets, min_votes=1)
    try:
        check_votes([vote], (ticket,), vote.parent_hash, replace(PRESET, tickets=params))
    except BadVotes:
        return True
    return False


UPGRADE_HARNESSES: dict[str, Callable[[bytes], None]] = {"upgrade_vote": fuzz_vote}


def upgrade_seeds() -> dict[str, dict[str, bytes]]:
    """Seed votes: approve only, yes, no, reject, unknown bits."""
    parent = bytes(range(32))
    seeds: dict[str, bytes] = {}
    for name, bits in (("approve", 0), ("yes", 4), ("no", 2), ("reject", 1), ("foreign", 0x84)):
        outpoint = OutPoint(bytes([7]) * 32, 1)
        signature = ed25519.sign(_SIGNER.seed, vote_message(parent, outpoint, bits))
        vote = TicketVote(outpoint.txid, outpoint.index, parent, bits, signature)
        seeds[f"seed-vote-{name}"] = encode_vote(vote, PRESET)
    return {"upgrade_vote": seeds}
