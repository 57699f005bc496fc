"""The sidechain registry on the mainchain (protocol steps "SC-REG-1..4", fork ``sidechains``).

A sidechain is created by governance: a proposal (GOV-1) whose action is :class:`SidechainSpec`
(spec/governance/proposals.py ``CreateSidechain``) passes at a superblock ``S`` like any other
(GOV-5) and is then registered and active from ``S`` on. Normative text: docs/sidechains.md.

* **SC-REG-1** a spec names ``sidechain_id`` in ``1..max_sidechain_id`` (0 is the mainchain, the
  ``target_chain`` of a withdrawal, VM-5), a VM kind of :class:`~spec.vm.interface.VmKind`, a
  federation quorum type of :class:`~spec.masternode.quorum.QuorumType`, ``peg_in_depth``,
  ``challenge_period`` and ``message_timeout`` inside the preset's ``[sidechains]`` bounds, and
  ``1 <= max_withdrawal <= max_escrow <= max_money`` (``SC_BAD_SPEC``).
* **SC-REG-2** an id is registered once: a spec naming a registered id is ``SC_DUPLICATE_SIDECHAIN``
  at submission; if two passed proposals at one superblock name the same id, the first in GOV-6
  execution order registers it and the later one is skipped.
* **SC-REG-3** a registered sidechain starts with escrow 0, no checkpoint and no input mark; its
  record (spec, activation height, escrow, checkpoints, input marks) is committed state
  (docs/sidechains.md, SC-STATE-1 kinds ``0x10``, ``0x11``, ``0x18``). The input marks are the
  sidechain's input accumulator (SC-DSP-20, spec/sidechain/accumulator.py): one
  :class:`InputMark` per mainchain height that handed the sidechain an input. The voided inputs
  (SC-MSG-5, SC-STATE-1 kind ``0x19``) are the slots of its inbound messages refunded to their source.
* **SC-REG-4** :class:`SidechainsState` is the registry plus the spent-withdrawal set (SC-PEG-4),
  the delivered-message set (SC-MSG-2), the pending messages (SC-MSG-3), and the open dispute
  games and payable bonds (SC-DSP-14..18); it is a pure function of the blocks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from spec.encoding import U8, U64, Struct, Varint, decode, encode
from spec.errors import SidechainBadSpec, SidechainDuplicate, SidechainUnknown
from spec.masternode.quorum import QuorumType
from spec.presets import Preset
from spec.sidechain.header import VoidedInput
from spec.vm.interface import VmKind

if TYPE_CHECKING:
    from spec.sidechain.games import BondPayout, OpenGame


@dataclass(frozen=True)
class SidechainSpec:
    """SC-REG-1: what a sidechain proposal fixes."""

    sidechain_id: int
    vm_kind: int
    federation: int
    peg_in_depth: int
    challenge_period: int
    message_timeout: int
    max_escrow: int
    max_withdrawal: int


SIDECHAIN_SPEC_CODEC: Struct[SidechainSpec] = Struct(
    SidechainSpec,
    (
        ("sidechain_id", Varint()),
        ("vm_kind", U8),
        ("federation", U8),
        ("peg_in_depth", Varint()),
        ("challenge_period", Varint()),
        ("message_timeout", Varint()),
        ("max_escrow", U64),
        ("max_withdrawal", U64),
    ),
)


def encode_sidechain_spec(spec: SidechainSpec) -> bytes:
    """SC-REG-1: the canonical encoding of ``spec``."""
    return encode(SIDECHAIN_SPEC_CODEC, spec)


def decode_sidechain_spec(data: bytes) -> SidechainSpec:
    """SC-REG-1: the spec encoded by ``data`` (a ``DECODE_*`` code otherwise; ranges are SC-REG-1's)."""
    return decode(SIDECHAIN_SPEC_CODEC, data)


def _within(value: int, low: int, high: int) -> bool:
    return low <= value <= high


def check_sidechain_spec(spec: SidechainSpec, preset: Preset) -> None:
    """SC-REG-1: raise ``SC_BAD_SPEC`` unless every field lies in its range."""
    bounds = preset.sidechains
    problems = []
    if not _within(spec.sidechain_id, 1, bounds.max_sidechain_id):
        problems.append("sidechain_id")
    if spec.vm_kind not in {int(kind) for kind in VmKind}:
        problems.append("vm_kind")
    if spec.federation not in {int(kind) for kind in QuorumType}:
        problems.append("federation")
    if not _within(spec.peg_in_depth, bounds.min_peg_in_depth, bounds.max_peg_in_depth):
        problems.append("peg_in_depth")
    if not _within(spec.challenge_period, bounds.min_challenge_period, bounds.max_challenge_period):
        problems.append("challenge_period")
    if not _within(spec.message_timeout, bounds.min_message_timeout, bounds.max_message_timeout):
        problems.append("message_timeout")
    if not 1 <= spec.max_withdrawal <= spec.max_escrow <= preset.ledger.max_money:
        problems.append("limits")
    if problems:
        raise SidechainBadSpec(f"out of range: {', '.join(problems)}")


@dataclass(frozen=True)
class CheckpointRecord:
    """SC-CP-6: what the mainchain keeps of an accepted checkpoint."""

    height: int
    header_hash: bytes
    deposit_cursor: int
    outbox_root: bytes
    posted_height: int


@dataclass(frozen=True)
class InputMark:
    """SC-DSP-20: the sidechain's input accumulator after the mainchain block at ``height``: the
    number of inputs (deposits, relays, bounces) it has been handed up to that block and the
    accumulator value after the last of them."""

    height: int
    count: int
    accumulator: bytes


EMPTY_ACCUMULATOR = bytes(32)
"""SC-DSP-20: ``acc_0``, the accumulator of a sidechain that has been handed no input."""

NO_MARK = InputMark(0, 0, EMPTY_ACCUMULATOR)
"""SC-DSP-20: the value at a cursor below every mark."""


def find_mark_index(heights: Sequence[int], cursor: int) -> int:
    """SC-DSP-20: the index of the greatest of the strictly increasing ``heights`` that is
    ``<= cursor``, -1 if none."""
    return bisect_right(heights, cursor) - 1


def get_input_mark(marks: Sequence[InputMark], cursor: int) -> InputMark:
    """SC-DSP-20: the accumulator's mark at ``cursor``: the inputs with ``mainchain_height <= cursor``."""
    index = find_mark_index([mark.height for mark in marks], cursor)
    return marks[index] if index >= 0 else NO_MARK


def count_range_inputs(marks: Sequence[InputMark], start: int, cursor: int) -> int:
    """SC-CP-8 / SC-MSG-6: the number of inputs of the cursor range ``(start, cursor]``
    (``count(cursor) - count(start)``, SC-DSP-20): the length of a credits proof over it (SC-DSP-21)."""
    return get_input_mark(marks, cursor).count - get_input_mark(marks, start).count


def get_bounded_cursor(marks: Sequence[InputMark], start: int, cursor: int, max_inputs: int) -> int:
    """SC-CP-8 (the producer's side, SCB-6): the highest cursor ``<= cursor`` whose range from
    ``start`` holds at most ``max_inputs`` inputs; at least ``start + 1`` when ``cursor > start`` and
    one mainchain height holds at most ``max_inputs`` of them (SC-BLK-7)."""
    base = get_input_mark(marks, start).count
    for mark in marks:
        if start < mark.height <= cursor and mark.count - base > max_inputs:
            return mark.height - 1
    return cursor


@dataclass(frozen=True)
class SidechainRecord:
    """SC-REG-3: one registered sidechain: its spec, activation, escrow, accepted checkpoints
    (``checkpoints[i]`` is the checkpoint at sidechain height ``i``), input marks (SC-DSP-20,
    heights strictly increasing) and voided inputs (SC-MSG-5: the slots of the inbound messages
    refunded to their source, in slot order ``(relay_height, position)``)."""

    spec: SidechainSpec
    activation_height: int
    escrow: int
    checkpoints: tuple[CheckpointRecord, ...] = ()
    input_marks: tuple[InputMark, ...] = ()
    voids: tuple[VoidedInput, ...] = ()

    @property
    def latest(self) -> CheckpointRecord | None:
        """The newest accepted checkpoint, ``None`` before the first."""
        return self.checkpoints[-1] if self.checkpoints else None


MessageKey = tuple[int, int, int]
"""SC-MSG-2: ``(source_chain, source_height, source_index)`` names one outbox entry of a sidechain
(``source_index`` is its leaf index in the outbox root of the checkpoint at ``source_height``)."""

WithdrawalKey = MessageKey
"""SC-PEG-4: a withdrawal is named like a message: ``(sidechain_id, checkpoint_height, leaf_index)``."""


@dataclass(frozen=True)
class PendingMessage:
    """SC-MSG-3: a relayed message the destination has not yet acknowledged; ``sender`` is its outbox
    entry's sender (VM-5), whom a bounce pays (SC-MSG-4); ``position`` its slot among the
    destination's inputs at ``relay_height`` (SC-BLK-2), which a refund voids (SC-MSG-5)."""

    key: MessageKey
    destination: int
    amount: int
    relay_height: int
    sender: bytes
    position: int


@dataclass(frozen=True)
class SidechainsState:
    """SC-REG-4: everything the mainchain remembers about sidechains."""

    chains: Mapping[int, SidechainRecord]
    spent_withdrawals: frozenset[WithdrawalKey]
    delivered_messages: frozenset[MessageKey]
    pending_messages: Mapping[MessageKey, PendingMessage]
    games: Mapping[int, OpenGame] = field(default_factory=dict)
    """SC-DSP-14..17: the open dispute games by id."""
    next_game: int = 0
    """SC-DSP-14: the id of the next game opened."""
    bond_payouts: Mapping[int, BondPayout] = field(default_factory=dict)
    """SC-DSP-17/18: the bonds of finished games still to be claimed, by game id."""


EMPTY_SIDECHAINS = SidechainsState({}, frozenset(), frozenset(), {})


def check_new_sidechain(spec: SidechainSpec, state: SidechainsState, preset: Preset) -> None:
    """SC-REG-1/2 at submission: the spec is in range and its id is not registered."""
    check_sidechain_spec(spec, preset)
    if spec.sidechain_id in state.chains:
        raise SidechainDuplicate(f"sidechain {spec.sidechain_id} is registered")


def register_sidechains(
    state: SidechainsState, specs: Sequence[SidechainSpec], height: int
) -> SidechainsState:
    """SC-REG-2/3: register the specs of the proposals executed at superblock ``height``, in GOV-6
    execution order; an id already registered (earlier, or earlier in ``specs``) is skipped."""
    chains = dict(state.chains)
    for spec in specs:
        if spec.sidechain_id not in chains:
            chains[spec.sidechain_id] = SidechainRecord(spec, height, 0)
    return replace(state, chains=chains)


def get_sidechain(state: SidechainsState, sidechain_id: int) -> SidechainRecord:
    """SC-TX-2: the record of a registered sidechain; ``SC_UNKNOWN_SIDECHAIN`` otherwise."""
    record = state.chains.get(sidechain_id)
    if record is None:
        raise SidechainUnknown(f"no sidechain {sidechain_id}")
    return record


def with_record(state: SidechainsState, record: SidechainRecord) -> SidechainsState:
    """The state with ``record`` replacing the record of its sidechain."""
    return replace(state, chains={**state.chains, record.spec.sidechain_id: record})


def total_escrow(state: SidechainsState) -> int:
    """SC-PEG-6: the coins held in every sidechain's escrow (the supply outside the UTXO set)."""
    return sum(record.escrow for record in state.chains.values())
