"""Proof-of-stake tickets: purchase, pool, price, voter selection and votes (protocol steps "POS-*").

A ticket is an ordinary transaction output whose script is the *ticket template*: a P2PKH script
that also carries the ticket's Ed25519 *voting key* (pushed and dropped, so FerrisScript ignores
it). The consensus layer recognises the template and adds the ticket rules:

* **POS-1 purchase**: an output with the ticket template is a purchase iff its value equals the
  ticket price of the block that includes it; at most ``max_tickets_per_block`` purchases per
  block. A ticket-template output of any other value is invalid (``POS_WRONG_TICKET_PRICE``).
* **POS-2 lock**: a ticket output can be spent only after it has *voted*, been *missed*
  (selected but not voting) or *expired* (``ticket_expiry`` blocks after purchase without being
  selected); spending it earlier, including later in the block that buys it, is
  ``POS_TICKET_LOCKED``. Until then it is in the *pool*.
* **live**: a pooled ticket bought at height ``p`` is live for a block at height ``h`` iff
  ``p + ticket_maturity <= h - 1`` and ``h < p + ticket_expiry``.
* **POS-3 selection**: for the block at height ``h`` with parent hash ``P``, every live ticket
  scores ``H(TICKET_SELECTION, P || txid || index u32)`` (32 bytes, big-endian integer); the
  ``voters_per_block`` lowest scores are selected (ties cannot happen: the hash inputs differ).
  Upstream's code takes the *highest* 64-bit scores; upstream's spec the lowest: we follow the spec
  with full 256-bit scores.
* **POS-4 votes**: if at least ``voters_per_block`` tickets are live, the block must carry between
  ``min_votes`` and ``voters_per_block`` votes, from distinct selected tickets, in selection order,
  each approving its parent ``P`` (bit 0 of the vote bits is 0; the other bits carry agenda
  choices, UPG-2 in spec/forks/deployment.py) and signed (Ed25519, ED-1..3) by the ticket's voting
  key over ``H(TICKET_SELECTION, "vote" || P || txid || index)`` when the vote bits are 0 and over
  ``H(TICKET_SELECTION, "vote" || P || txid || index || bits u8)`` otherwise (UPG-3: the signature
  covers the vote bits; a vote with bits 0 signs exactly what it signed before forks existed).
  With fewer live tickets the block carries no votes (the bootstrap period). After the block,
  selected tickets that voted are *voted* and the others *missed*: both leave the pool and unlock.
* **POS-5 price**: at every height ``h`` that is a positive multiple of ``price_interval``,
  ``price = clamp(price + price * (live - target) // (20 * target), min, max)`` with ``live`` the
  pool's live count for ``h`` (a 5 % step per ``target`` of excess, upstream spec 03 in integers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spec.chain.block import TicketVote
from spec.crypto import ed25519
from spec.errors import BadVotes
from spec.hashing import HashDomain, tagged_hash_many
from spec.ledger.transaction import OutPoint
from spec.presets import Preset
from spec.script import Op, Opcode, Push, serialize_script

VOTE_APPROVE = 0
VOTE_REJECT_BIT = 1
"""POS-4 / UPG-2: bit 0 of the vote bits; set, it would reject the parent, which is never valid."""
VOTING_KEY_BYTES = 32
KEY_HASH_BYTES = 32


def ticket_script(voting_key: bytes, owner_key_hash: bytes) -> bytes:
    """POS-1: ``<voting_key> OP_DROP OP_DUP OP_BLAKE3 <owner_key_hash> OP_EQUALVERIFY OP_CHECKSIG``."""
    return serialize_script(
        (
            Push(voting_key),
            Op(Opcode.OP_DROP),
            Op(Opcode.OP_DUP),
            Op(Opcode.OP_BLAKE3),
            Push(owner_key_hash),
            Op(Opcode.OP_EQUALVERIFY),
            Op(Opcode.OP_CHECKSIG),
        )
    )


_TEMPLATE_LENGTH = len(ticket_script(bytes(VOTING_KEY_BYTES), bytes(KEY_HASH_BYTES)))


def match_ticket(script: bytes) -> tuple[bytes, bytes] | None:
    """POS-1: ``(voting_key, owner_key_hash)`` of a ticket-template script, else ``None``."""
    if len(script) != _TEMPLATE_LENGTH:
        return None
    voting_key = script[1 : 1 + VOTING_KEY_BYTES]
    owner = script[_TEMPLATE_LENGTH - 2 - KEY_HASH_BYTES : _TEMPLATE_LENGTH - 2]
    return (voting_key, owner) if ticket_script(voting_key, owner) == script else None


@dataclass(frozen=True, order=True)
class Ticket:
    """A pooled ticket: where it is, when it was bought, who votes and who owns it."""

    outpoint: OutPoint
    purchase_height: int
    voting_key: bytes
    owner_key_hash: bytes


TicketPool = Mapping[OutPoint, Ticket]


def is_live(ticket: Ticket, height: int, preset: Preset) -> bool:
    """POS-3: whether ``ticket`` may be selected for the block at ``height``."""
    return ticket.purchase_height + preset.tickets.ticket_maturity <= height - 1 and not is_expired(
        ticket, height, preset
    )


def is_expired(ticket: Ticket, height: int, preset: Preset) -> bool:
    """POS-2: whether ``ticket`` has expired by the block at ``height``."""
    return height >= ticket.purchase_height + preset.tickets.ticket_expiry


def live_tickets(pool: TicketPool, height: int, preset: Preset) -> list[Ticket]:
    """POS-3: the live tickets for the block at ``height``, in outpoint order."""
    return sorted((t for t in pool.values() if is_live(t, height, preset)), key=lambda t: t.outpoint)


def selection_score(parent_hash: bytes, outpoint: OutPoint) -> int:
    """POS-3: the 256-bit score of a ticket for the child of ``parent_hash`` (lower is selected first)."""
    digest = tagged_hash_many(
        HashDomain.TICKET_SELECTION, (parent_hash, outpoint.txid, outpoint.index.to_bytes(4, "little"))
    )
    return int.from_bytes(digest, "big")


def select_voters(pool: TicketPool, parent_hash: bytes, height: int, preset: Preset) -> tuple[Ticket, ...]:
    """POS-3: the tickets selected to vote in the block at ``height`` (empty during bootstrap)."""
    live = live_tickets(pool, height, preset)
    if len(live) < preset.tickets.voters_per_block:
        return ()
    ranked = sorted(live, key=lambda t: (selection_score(parent_hash, t.outpoint), t.outpoint))
    return tuple(ranked[: preset.tickets.voters_per_block])


def vote_message(parent_hash: bytes, outpoint: OutPoint, vote_bits: int = VOTE_APPROVE) -> bytes:
    """POS-4 / UPG-3: what a ticket's voting key signs; it determines the vote bits.

    With bits 0 the message is the one signed before forks existed (72 hashed bytes); otherwise the
    bits are appended (73 bytes), so no signature made for one value of the bits verifies for another.
    """
    parts: tuple[bytes, ...] = (b"vote", parent_hash, outpoint.txid, outpoint.index.to_bytes(4, "little"))
    if vote_bits != VOTE_APPROVE:
        parts = (*parts, vote_bits.to_bytes(1, "little"))
    return tagged_hash_many(HashDomain.TICKET_SELECTION, parts)


def check_votes(
    votes: Sequence[TicketVote], selected: Sequence[Ticket], parent_hash: bytes, preset: Preset
) -> tuple[Ticket, ...]:
    """POS-4: the tickets that voted; raise ``POS_BAD_VOTES`` for any broken vote rule."""
    if not selected:
        if votes:
            raise BadVotes("votes are not allowed while the pool is bootstrapping")
        return ()
    if not preset.tickets.min_votes <= len(votes) <= len(selected):
        raise BadVotes(f"{len(votes)} votes, need {preset.tickets.min_votes}..{len(selected)}")
    order = {t.outpoint: position for position, t in enumerate(selected)}
    voted: list[Ticket] = []
    last_position = -1
    for vote in votes:
        outpoint = OutPoint(vote.ticket_txid, vote.ticket_index)
        position = order.get(outpoint)
        if position is None:
            raise BadVotes("a vote from a ticket that was not selected")
        if position <= last_position:
            raise BadVotes("votes must be from distinct tickets, in selection order")
        last_position = position
        if vote.parent_hash != parent_hash or vote.vote & VOTE_REJECT_BIT:
            raise BadVotes("a vote must approve this block's parent")
        ticket = selected[position]
        message = vote_message(parent_hash, outpoint, vote.vote)
        if not ed25519.verify(ticket.voting_key, message, vote.signature):
            raise BadVotes("a vote signature does not verify")
        voted.append(ticket)
    return tuple(voted)


def next_ticket_price(height: int, price: int, live_count: int, preset: Preset) -> int:
    """POS-5: the ticket price in force for the block at ``height`` given the parent's price."""
    params = preset.tickets
    if height == 0 or height % params.price_interval != 0:
        return price
    target = params.target_pool_size
    adjusted = price + price * (live_count - target) // (20 * target)
    return max(params.min_ticket_price, min(params.max_ticket_price, adjusted))
