"""The sidechains state as committed state items (protocol step "SC-STATE-1", fork ``sidechains``).

The full-state trie (STATE-2..7, spec/chain/commitment.py, docs/trie.md) holds these kinds; every
integer in a key is u64 big-endian (keys sort by chain, then height, then index):

====  ======================  ================================  =========================================
kind  entry                   rest of the key                   value
====  ======================  ================================  =========================================
0x10  sidechain record        sidechain id                      spec (SC-REG-1), activation u64, escrow u64
0x11  accepted checkpoint     sidechain id, sidechain height    height, header hash, cursor, outbox root,
                                                                posted height (u64 / 32 bytes)
0x12  spent withdrawal        chain, checkpoint height, leaf    ``0x01``
0x13  delivered message       chain, checkpoint height, leaf    ``0x01``
0x14  pending message         chain, checkpoint height, leaf    destination u64, amount u64, relay u64,
                                                                sender (varint length, <= 64 bytes),
                                                                position u64
0x15  open dispute game       game id                           sidechain id, payout script, the game
                                                                (SC-DSP-14; :data:`GAME_CODEC`)
0x16  payable bond            game id                           payout script, amount u64 (SC-DSP-17)
0x17  next game id            (none)                            u64 (SC-DSP-14; absent while 0)
0x18  input mark              sidechain id, mainchain height    count u64, accumulator 32 bytes
                                                                (SC-DSP-20)
0x19  voided input            sidechain id, relay height,       refund height u64 (SC-MSG-5)
                              position
====  ======================  ================================  =========================================

Before the fork the sidechains state is empty and contributes no item, so no earlier state root
changes. The kinds start at ``0x10``: ``0x0a``..``0x0f`` stay unknown (``STATE_ITEM_BAD_KEY``, as the
published ``state`` vector ``unknown_kind`` expects of ``0x0a``).
:func:`sidechains_from_items` inverts :func:`sidechain_items` (``STATE_ITEM_BAD_KEY`` for
a key its value does not determine, an orphan checkpoint or input mark, or a gap in a chain's
checkpoint heights; ``STATE_ITEM_BAD_VALUE`` for a marker other than ``0x01``, a stored next game id
of 0 or an input mark whose count is not above the previous mark's; ``DECODE_*`` for a bad value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from spec.encoding import BYTES32, U64, ListOf, OptionOf, Struct, VarBytes, decode, encode
from spec.errors import StateItemBadKey, StateItemBadValue
from spec.sidechain.dispute import DisputeOpening, Game
from spec.sidechain.games import BondPayout, OpenGame
from spec.sidechain.header import SIDECHAIN_HEADER_CODEC, BlockCredit, VoidedInput
from spec.sidechain.registry import (
    SIDECHAIN_SPEC_CODEC,
    CheckpointRecord,
    InputMark,
    MessageKey,
    PendingMessage,
    SidechainRecord,
    SidechainSpec,
    SidechainsState,
)

KIND_SIDECHAIN = 0x10
KIND_SIDECHAIN_CHECKPOINT = 0x11
KIND_SPENT_WITHDRAWAL = 0x12
KIND_DELIVERED_MESSAGE = 0x13
KIND_PENDING_MESSAGE = 0x14
KIND_DISPUTE_GAME = 0x15
KIND_BOND_PAYOUT = 0x16
KIND_NEXT_GAME = 0x17
KIND_INPUT_MARK = 0x18
KIND_VOIDED_INPUT = 0x19
SIDECHAIN_KINDS = frozenset(range(KIND_SIDECHAIN, KIND_VOIDED_INPUT + 1))
MARKER = b"\x01"


@dataclass(frozen=True)
class _RecordValue:
    spec: SidechainSpec
    activation_height: int
    escrow: int


@dataclass(frozen=True)
class _PendingValue:
    destination: int
    amount: int
    relay_height: int
    sender: bytes
    position: int


RECORD_CODEC = Struct(
    _RecordValue, (("spec", SIDECHAIN_SPEC_CODEC), ("activation_height", U64), ("escrow", U64))
)
CHECKPOINT_RECORD_CODEC = Struct(
    CheckpointRecord,
    (
        ("height", U64),
        ("header_hash", BYTES32),
        ("deposit_cursor", U64),
        ("outbox_root", BYTES32),
        ("posted_height", U64),
    ),
)


@dataclass(frozen=True)
class _MarkValue:
    count: int
    accumulator: bytes


MARK_CODEC = Struct(_MarkValue, (("count", U64), ("accumulator", BYTES32)))
"""SC-STATE-1 kind 0x18: an input mark (SC-DSP-20) without its height, which the key holds."""
PENDING_CODEC = Struct(
    _PendingValue,
    (
        ("destination", U64),
        ("amount", U64),
        ("relay_height", U64),
        ("sender", VarBytes(64)),
        ("position", U64),
    ),
)


@dataclass(frozen=True)
class _VoidValue:
    refund_height: int


VOID_CODEC = Struct(_VoidValue, (("refund_height", U64),))
"""SC-STATE-1 kind 0x19: a voided input (SC-MSG-5) without its slot, which the key holds."""


@dataclass(frozen=True)
class _GameValue:
    sidechain_id: int
    payout_script: bytes
    opening: DisputeOpening
    defender_bond: int
    burn_share_bps: int
    lo: int
    hi: int
    agreed_root: bytes
    defender_root: bytes
    challenger_root: bytes
    pending_root: bytes | None
    turn: int
    last_move_at: int
    defender_clock: int
    challenger_clock: int
    moves: int


@dataclass(frozen=True)
class _NextGame:
    next_game: int


OPENING_CODEC = Struct(
    DisputeOpening,
    (
        ("header", SIDECHAIN_HEADER_CODEC),
        ("vm_kind", U64),
        ("tx_count", U64),
        ("parent_state_root", BYTES32),
        ("gas_limit", U64),
        ("fee_recipient", VarBytes(64)),
        ("federation", ListOf(VarBytes(96), 1 << 16)),
        ("challenger_trace_root", BYTES32),
        ("challenger_final_root", BYTES32),
        ("challenger_bond", U64),
        ("opened_at", U64),
        ("credits", ListOf(Struct(BlockCredit, (("recipient", VarBytes(64)), ("amount", U64))), 1 << 20)),
    ),
)
GAME_CODEC = Struct(
    _GameValue,
    (
        ("sidechain_id", U64),
        ("payout_script", VarBytes(1 << 16)),
        ("opening", OPENING_CODEC),
        ("defender_bond", U64),
        ("burn_share_bps", U64),
        ("lo", U64),
        ("hi", U64),
        ("agreed_root", BYTES32),
        ("defender_root", BYTES32),
        ("challenger_root", BYTES32),
        ("pending_root", OptionOf(BYTES32)),
        ("turn", U64),
        ("last_move_at", U64),
        ("defender_clock", U64),
        ("challenger_clock", U64),
        ("moves", U64),
    ),
)
"""SC-STATE-1 kind 0x15: an open game (its outcome is always absent: a finished game is settled
and leaves the open set in the block that ends it, SC-DSP-17)."""
PAYOUT_CODEC = Struct(BondPayout, (("script", VarBytes(1 << 16)), ("amount", U64)))
NEXT_GAME_CODEC = Struct(_NextGame, (("next_game", U64),))


def _game_value(opened: OpenGame) -> _GameValue:
    game = opened.game
    return _GameValue(
        opened.sidechain_id, opened.payout_script, game.opening, game.defender_bond,
        game.burn_share_bps, game.lo, game.hi, game.agreed_root, game.defender_root,
        game.challenger_root, game.pending_root, game.turn, game.last_move_at, game.clocks[0],
        game.clocks[1], game.moves,
    )  # fmt: skip


def _open_game(value: _GameValue) -> OpenGame:
    game = Game(
        value.opening, value.defender_bond, value.burn_share_bps, value.lo, value.hi,
        value.agreed_root, value.defender_root, value.challenger_root, value.pending_root,
        value.turn, value.last_move_at, (value.defender_clock, value.challenger_clock), value.moves,
        None,
    )  # fmt: skip
    return OpenGame(value.sidechain_id, game, value.payout_script)


def _key(kind: int, *parts: int) -> bytes:
    return bytes([kind]) + b"".join(part.to_bytes(8, "big") for part in parts)


def sidechain_item_key(kind: int, *parts: int) -> bytes:
    """SC-STATE-1: the key of an item of ``kind`` (0x10..0x19) named by its u64 parts: a sidechain
    id (0x10: the record with its escrow); id and sidechain height (0x11); chain, checkpoint height
    and leaf (0x12..0x14); a game id (0x15, 0x16); none (0x17); id and mainchain height (0x18);
    id, relay height and position (0x19).
    ``STATE_ITEM_BAD_KEY`` for another kind, count or a part out of range."""
    counts = {
        KIND_SIDECHAIN: 1,
        KIND_SIDECHAIN_CHECKPOINT: 2,
        KIND_INPUT_MARK: 2,
        KIND_DISPUTE_GAME: 1,
        KIND_BOND_PAYOUT: 1,
        KIND_NEXT_GAME: 0,
    }
    if kind not in SIDECHAIN_KINDS:
        raise StateItemBadKey(f"kind {kind:#04x} is not a sidechain item kind")
    if len(parts) != counts.get(kind, 3) or not all(0 <= part < 1 << 64 for part in parts):
        raise StateItemBadKey(f"kind {kind:#04x} is named by {counts.get(kind, 3)} u64 parts, got {parts}")
    return _key(kind, *parts)


def sidechain_items(state: SidechainsState) -> dict[bytes, bytes]:
    """SC-STATE-1: every committed item of the sidechains state."""
    items: dict[bytes, bytes] = {}
    for chain_id, record in state.chains.items():
        value = _RecordValue(record.spec, record.activation_height, record.escrow)
        items[_key(KIND_SIDECHAIN, chain_id)] = encode(RECORD_CODEC, value)
        for checkpoint in record.checkpoints:
            items[_key(KIND_SIDECHAIN_CHECKPOINT, chain_id, checkpoint.height)] = encode(
                CHECKPOINT_RECORD_CODEC, checkpoint
            )
        for mark in record.input_marks:
            items[_key(KIND_INPUT_MARK, chain_id, mark.height)] = encode(
                MARK_CODEC, _MarkValue(mark.count, mark.accumulator)
            )
        for void in record.voids:
            items[_key(KIND_VOIDED_INPUT, chain_id, void.relay_height, void.position)] = encode(
                VOID_CODEC, _VoidValue(void.refund_height)
            )
    for key in state.spent_withdrawals:
        items[_key(KIND_SPENT_WITHDRAWAL, *key)] = MARKER
    for key in state.delivered_messages:
        items[_key(KIND_DELIVERED_MESSAGE, *key)] = MARKER
    for key, message in state.pending_messages.items():
        value_p = _PendingValue(
            message.destination, message.amount, message.relay_height, message.sender, message.position
        )
        items[_key(KIND_PENDING_MESSAGE, *key)] = encode(PENDING_CODEC, value_p)
    for game_id, opened in state.games.items():
        items[_key(KIND_DISPUTE_GAME, game_id)] = encode(GAME_CODEC, _game_value(opened))
    for game_id, due in state.bond_payouts.items():
        items[_key(KIND_BOND_PAYOUT, game_id)] = encode(PAYOUT_CODEC, due)
    if state.next_game:
        items[_key(KIND_NEXT_GAME)] = encode(NEXT_GAME_CODEC, _NextGame(state.next_game))
    return items


def _parts(key: bytes, count: int) -> tuple[int, ...]:
    rest = key[1:]
    if len(rest) != 8 * count:
        raise StateItemBadKey(f"key {key.hex()}: {len(rest)} bytes after the kind, {8 * count} expected")
    return tuple(int.from_bytes(rest[i : i + 8], "big") for i in range(0, len(rest), 8))


def _marker(value: bytes, key: bytes) -> None:
    if value != MARKER:
        raise StateItemBadValue(f"key {key.hex()}: marker {value.hex()}, expected 01")


def sidechains_from_items(items: Mapping[bytes, bytes]) -> SidechainsState:
    """SC-STATE-1: the sidechains state whose :func:`sidechain_items` is exactly ``items`` (kinds
    0x10..0x19; keys read in sorted order)."""
    records: dict[int, _RecordValue] = {}
    checkpoints: dict[int, list[CheckpointRecord]] = {}
    marks: dict[int, list[InputMark]] = {}
    voids: dict[int, list[VoidedInput]] = {}
    spent: set[MessageKey] = set()
    delivered: set[MessageKey] = set()
    pending: dict[MessageKey, PendingMessage] = {}
    games: dict[int, OpenGame] = {}
    payouts: dict[int, BondPayout] = {}
    next_game = 0
    for key in sorted(items):
        value, kind = items[key], key[0]
        if kind == KIND_SIDECHAIN:
            (chain_id,) = _parts(key, 1)
            record = decode(RECORD_CODEC, value)
            if record.spec.sidechain_id != chain_id:
                raise StateItemBadKey(f"key {key.hex()} is not sidechain {record.spec.sidechain_id}'s")
            records[chain_id] = record
        elif kind == KIND_SIDECHAIN_CHECKPOINT:
            chain_id, height = _parts(key, 2)
            checkpoint = decode(CHECKPOINT_RECORD_CODEC, value)
            listed = checkpoints.setdefault(chain_id, [])
            if checkpoint.height != height or height != len(listed):
                raise StateItemBadKey(f"key {key.hex()}: checkpoint heights must run 0, 1, 2, ...")
            listed.append(checkpoint)
        elif kind in (KIND_SPENT_WITHDRAWAL, KIND_DELIVERED_MESSAGE):
            a, b, c = _parts(key, 3)
            _marker(value, key)
            (spent if kind == KIND_SPENT_WITHDRAWAL else delivered).add((a, b, c))
        elif kind == KIND_PENDING_MESSAGE:
            a, b, c = _parts(key, 3)
            message = decode(PENDING_CODEC, value)
            pending[(a, b, c)] = PendingMessage(
                (a, b, c),
                message.destination,
                message.amount,
                message.relay_height,
                message.sender,
                message.position,
            )
        elif kind == KIND_DISPUTE_GAME:
            (game_id,) = _parts(key, 1)
            games[game_id] = _open_game(decode(GAME_CODEC, value))
        elif kind == KIND_BOND_PAYOUT:
            (game_id,) = _parts(key, 1)
            payouts[game_id] = decode(PAYOUT_CODEC, value)
        elif kind == KIND_NEXT_GAME:
            _parts(key, 0)
            next_game = decode(NEXT_GAME_CODEC, value).next_game
            if next_game == 0:
                raise StateItemBadValue("the next game id is stored only once it is above 0")
        elif kind == KIND_INPUT_MARK:
            chain_id, height = _parts(key, 2)
            mark = decode(MARK_CODEC, value)
            chain_marks = marks.setdefault(chain_id, [])
            if mark.count <= (chain_marks[-1].count if chain_marks else 0):
                raise StateItemBadValue(
                    f"key {key.hex()}: input count {mark.count} is not above the last mark's"
                )
            chain_marks.append(InputMark(height, mark.count, mark.accumulator))
        elif kind == KIND_VOIDED_INPUT:
            chain_id, relay_height, position = _parts(key, 3)
            refund_height = decode(VOID_CODEC, value).refund_height
            voids.setdefault(chain_id, []).append(VoidedInput(relay_height, position, refund_height))
        else:
            raise StateItemBadKey(f"unknown kind 0x{kind:02x}")
    orphans = (set(checkpoints) | set(marks) | set(voids)) - set(records)
    if orphans:
        raise StateItemBadKey(
            f"checkpoints, input marks or voided inputs of unregistered sidechains {sorted(orphans)}"
        )
    chains = {
        chain_id: SidechainRecord(
            r.spec,
            r.activation_height,
            r.escrow,
            tuple(checkpoints.get(chain_id, ())),
            tuple(marks.get(chain_id, ())),
            tuple(voids.get(chain_id, ())),
        )
        for chain_id, r in records.items()
    }
    return SidechainsState(chains, frozenset(spent), frozenset(delivered), pending, games, next_game, payouts)
