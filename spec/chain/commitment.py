"""The full-state commitment: one trie over all consensus state (protocol steps "STATE-2..7").

Before fork ``state_trie`` (spec/forks/state_trie.py) a header's ``state_root`` commits to the UTXO
set only (STATE-1, spec/ledger/state.py). From its activation it commits to every part of
:class:`spec.chain.state.ChainState` that block validation reads and that the headers do not
already carry: the root of one Merkle Patricia Trie (spec/trie.py, BLAKE3) over the *state items*.

* **STATE-2 keys** every item key starts with one *kind* byte; the rest is the canonical key of the
  entry (fixed length per kind, except a parameter name):

  ====  ==========================  ===================================================
  kind  entry                       rest of the key
  ====  ==========================  ===================================================
  0x00  singleton                   one byte: 1 ticket price, 2 treasury, 3 deployments,
                                    4 scheduled parameter changes
  0x01  UTXO                        outpoint (txid, index u32 LE; STATE-1's key)
  0x02  ticket                      outpoint
  0x03  masternode                  collateral outpoint
  0x04  governance proposal         proposal id (32 bytes)
  0x05  governance vote             proposal id, masternode collateral outpoint
  0x06  executed proposal           proposal id
  0x07  governed parameter          parameter name (ASCII, ``section.field``)
  0x08  finality quorum record      base height u64 big-endian
  0x09  PoSe quorum record          base height u64 big-endian
  0x10  sidechain record            sidechain id u64 big-endian (0x10..0x18: the
  ..    (fork ``sidechains``)       sidechains state, spec/sidechain/items.py SC-STATE-1)
  0x18
  ====  ==========================  ===================================================

  Heights are big-endian so that keys sort by height.
* **STATE-3 values** the canonical encoding (ENC) of the entry: a UTXO value is STATE-1's entry;
  a masternode is the registry's entry codec (``masternode_codecs(preset).entry``, MN-4: the
  registration's fields as MN-0 encodes them, then the list's own); a ticket, proposal record,
  quorum record and agenda record are their dataclass fields in order (integers u64 LE, byte
  strings and names length-prefixed, optional fields OPTION, enumerations one tag byte in
  declaration order); a vote is ``choice u8, revision u64``;
  an executed proposal is ``0x01``; a governed parameter ``u64``; the ticket price and the
  treasury ``u64``; the deployments and the scheduled changes a LIST in their state order. Where
  a value repeats its key (ticket, masternode, proposal, quorum records) the key must be the one
  the value determines. Every value is non-empty (MPT-9).
* **STATE-4 the root** ``compute_state_root(state) = trie_root(compute_state_items(state))``:
  the readable definition (MPT-6). The four singletons are always present.
* **STATE-5 decoding** :func:`state_from_items` inverts :func:`compute_state_items`: it accepts
  exactly the item sets the layout produces (``STATE_ITEM_*`` or ``DECODE_*`` otherwise) and
  returns the committed part of the state (:class:`CommittedState`). The rest of a
  :class:`ChainState` (tip hash, height, bits, timestamps, cumulative work) comes from the header
  chain, which already commits to it; the tip hash cannot be in the state root it hashes.
* **STATE-6 incremental** a block changes only the items it touches
  (:func:`state_item_changes`), and :func:`advance_commitment` applies those changes to the
  parent's persistent trie (MPT-8): cost O(changes x depth). The trie is carried in
  ``ChainState.commitment``; its root equals STATE-4 (or STATE-1 before the fork) by MPT-8, which
  the tests and vector generation check against the definition. A block's validation hands the
  UTXO changes its plain spends already encoded to :func:`advance_commitment_encoded`, which
  gives :func:`advance_commitment`'s answer without encoding them again.
* **STATE-7 proofs** a state proof is an MPT-10 proof of the item's key;
  :func:`verify_state_proof` checks a claimed value (or absence) against a header's root.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Protocol

from spec.chain.layout import StateLayout
from spec.chain.tickets import Ticket
from spec.encoding import (
    U64,
    Codec,
    EnumCodec,
    ListOf,
    OptionOf,
    Reader,
    Struct,
    VarBytes,
    decode,
    encode,
)
from spec.errors import (
    StateItemBadKey,
    StateItemBadValue,
    StateItemMissing,
    TrieEmptyValue,
    TrieProofValueMismatch,
)
from spec.forks.deployment import AgendaRecord, Deployments, DeploymentStatus
from spec.governance.proposals import (
    GovernanceState,
    GovernedParameters,
    ProposalRecord,
    ProposalStatus,
    ScheduledChange,
    VoteChoice,
    VoteRecord,
    governance_codecs,
)
from spec.ledger.state import (
    compute_utxo_items as compute_utxo_items,  # STATE-1's items, re-exported next to STATE-2..4
)
from spec.ledger.state import (
    decode_entry,
    decode_outpoint,
    encode_entry,
    encode_outpoint,
)
from spec.ledger.transaction import OutPoint, codecs
from spec.ledger.utxo import UtxoEntry
from spec.masternode.finality import QuorumRecord, QuorumRegistry
from spec.masternode.registry import MasternodeEntry, MasternodeList, masternode_codecs
from spec.presets import Preset
from spec.sidechain.items import SIDECHAIN_KINDS, sidechain_items, sidechains_from_items
from spec.sidechain.registry import EMPTY_SIDECHAINS, SidechainsState
from spec.trie import RUSTY_TRIE_HASHER, Trie, trie_root, verify_proof

KIND_SINGLETON = 0x00
KIND_UTXO = 0x01
KIND_TICKET = 0x02
KIND_MASTERNODE = 0x03
KIND_PROPOSAL = 0x04
KIND_VOTE = 0x05
KIND_EXECUTED = 0x06
KIND_PARAMETER = 0x07
KIND_FINALITY_QUORUM = 0x08
KIND_POSE_QUORUM = 0x09

TICKET_PRICE_KEY = bytes((KIND_SINGLETON, 1))
TREASURY_KEY = bytes((KIND_SINGLETON, 2))
DEPLOYMENTS_KEY = bytes((KIND_SINGLETON, 3))
SCHEDULED_KEY = bytes((KIND_SINGLETON, 4))
SINGLETON_KEYS = (TICKET_PRICE_KEY, TREASURY_KEY, DEPLOYMENTS_KEY, SCHEDULED_KEY)


def _with_sidechain_proposals(preset: Preset) -> Preset:
    """STATE-3: a stored proposal record may hold any action the chain ever accepted, so its
    codec reads the CREATE_SIDECHAIN action too (SC-FORK-2); GOV-0 on new messages stays gated."""
    return replace(preset, governance=replace(preset.governance, sidechain_proposals=True))


EXECUTED_VALUE = b"\x01"
OUTPOINT_BYTES = 36
ID_BYTES = 32
HEIGHT_BYTES = 8
MAX_NAME_BYTES = 255
"""STATE-3: the longest name (agenda id, parameter) and the length prefix bound of byte fields."""
MAX_FIELD_BYTES = 1 << 16
MAX_LIST_ITEMS = 1 << 24


class CommittedFields(Protocol):
    """The parts of a state that the full-state root commits to (``ChainState`` has them)."""

    @property
    def utxos(self) -> Mapping[OutPoint, UtxoEntry]: ...
    @property
    def tickets(self) -> Mapping[OutPoint, Ticket]: ...
    @property
    def ticket_price(self) -> int: ...
    @property
    def treasury(self) -> int: ...
    @property
    def masternodes(self) -> MasternodeList: ...
    @property
    def governance(self) -> GovernanceState: ...
    @property
    def quorums(self) -> QuorumRegistry: ...
    @property
    def deployments(self) -> Deployments: ...
    @property
    def sidechains(self) -> SidechainsState: ...


@dataclass(frozen=True)
class CommittedState:
    """STATE-5: the committed part of a chain state, as :func:`state_from_items` returns it."""

    utxos: Mapping[OutPoint, UtxoEntry]
    tickets: Mapping[OutPoint, Ticket]
    ticket_price: int
    treasury: int
    masternodes: MasternodeList
    governance: GovernanceState
    quorums: QuorumRegistry
    deployments: Deployments
    sidechains: SidechainsState = EMPTY_SIDECHAINS


# ------------------------------------------------------------------------------------ codecs


class AsciiText(Codec[str]):
    """STATE-3: a name: length-prefixed printable ASCII (``STATE_ITEM_BAD_VALUE`` otherwise)."""

    def __init__(self) -> None:
        self.inner = VarBytes(MAX_NAME_BYTES)
        self.min_size = self.inner.min_size

    def write(self, value: str, out: bytearray) -> None:
        self.inner.write(value.encode("ascii"), out)

    def read(self, reader: Reader) -> str:
        return _ascii(self.inner.read(reader))


def _ascii(raw: bytes) -> str:
    if not all(0x21 <= byte < 0x7F for byte in raw):
        raise StateItemBadValue("a name is not printable ASCII")
    return raw.decode("ascii")


_BYTES = VarBytes(MAX_FIELD_BYTES)
_HEIGHT = OptionOf(U64)


@dataclass(frozen=True)
class StateCodecs:
    """STATE-3: the value codecs under one preset."""

    ticket: Struct[Ticket]
    masternode: Struct[MasternodeEntry]
    proposal: Struct[ProposalRecord]
    vote: Struct[VoteRecord]
    quorum: Struct[QuorumRecord]
    deployments: ListOf[AgendaRecord]
    scheduled: ListOf[ScheduledChange]


@cache
def state_codecs(preset: Preset) -> StateCodecs:
    """STATE-3: the codecs of the item values."""
    outpoint = codecs(preset).outpoint
    agenda = Struct(
        AgendaRecord,
        [
            ("agenda_id", AsciiText()),
            ("status", EnumCodec(DeploymentStatus)),
            ("since_height", U64),
            ("yes", U64),
            ("no", U64),
        ],
    )
    scheduled = Struct(
        ScheduledChange,
        [
            ("activation_height", U64),
            ("parameter", AsciiText()),
            ("new_value", U64),
            ("proposal_id", _BYTES),
        ],
    )
    return StateCodecs(
        ticket=Struct(
            Ticket,
            [
                ("outpoint", outpoint),
                ("purchase_height", U64),
                ("voting_key", _BYTES),
                ("owner_key_hash", _BYTES),
            ],
        ),
        masternode=masternode_codecs(preset).entry,
        proposal=Struct(
            ProposalRecord,
            [
                ("proposal_id", _BYTES),
                ("proposal", governance_codecs(_with_sidechain_proposals(preset)).proposal),
                ("submitted_height", U64),
                ("status", EnumCodec(ProposalStatus)),
                ("yes", U64),
                ("no", U64),
                ("abstain", U64),
            ],
        ),
        vote=Struct(VoteRecord, [("choice", EnumCodec(VoteChoice)), ("revision", U64)]),
        quorum=Struct(
            QuorumRecord,
            [
                ("base_height", U64),
                ("base_hash", _BYTES),
                ("session_id", _BYTES),
                ("members", ListOf(_BYTES, MAX_LIST_ITEMS)),
                ("threshold", U64),
                ("group_public_key", OptionOf(_BYTES)),
                ("committed_height", _HEIGHT),
                ("key_shares_root", OptionOf(_BYTES)),
            ],
        ),
        deployments=ListOf(agenda, MAX_LIST_ITEMS),
        scheduled=ListOf(scheduled, MAX_LIST_ITEMS),
    )


# -------------------------------------------------------------------------------------- keys


def utxo_key(outpoint: OutPoint, preset: Preset) -> bytes:
    """STATE-2: the key of a UTXO (kind 0x01)."""
    return bytes((KIND_UTXO,)) + encode_outpoint(outpoint, preset)


def ticket_key(outpoint: OutPoint, preset: Preset) -> bytes:
    """STATE-2: the key of a pooled ticket (kind 0x02)."""
    return bytes((KIND_TICKET,)) + encode_outpoint(outpoint, preset)


def masternode_key(collateral: OutPoint, preset: Preset) -> bytes:
    """STATE-2: the key of a masternode list entry (kind 0x03)."""
    return bytes((KIND_MASTERNODE,)) + encode_outpoint(collateral, preset)


def proposal_key(identifier: bytes) -> bytes:
    """STATE-2: the key of a governance proposal record (kind 0x04)."""
    return bytes((KIND_PROPOSAL,)) + identifier


def vote_key(identifier: bytes, masternode: OutPoint, preset: Preset) -> bytes:
    """STATE-2: the key of the vote in force of a masternode on a proposal (kind 0x05)."""
    return bytes((KIND_VOTE,)) + identifier + encode_outpoint(masternode, preset)


def executed_key(identifier: bytes) -> bytes:
    """STATE-2: the key marking an executed proposal (kind 0x06)."""
    return bytes((KIND_EXECUTED,)) + identifier


def parameter_key(name: str) -> bytes:
    """STATE-2: the key of a governed parameter (kind 0x07)."""
    return bytes((KIND_PARAMETER,)) + name.encode("ascii")


def quorum_key(pose: bool, base_height: int) -> bytes:
    """STATE-2: the key of a finality (0x08) or PoSe (0x09) quorum record."""
    return bytes((KIND_POSE_QUORUM if pose else KIND_FINALITY_QUORUM,)) + base_height.to_bytes(
        HEIGHT_BYTES, "big"
    )


# ------------------------------------------------------------------------------------- items


def _u64(value: int) -> bytes:
    return encode(U64, value)


def utxo_item(outpoint: OutPoint, entry: UtxoEntry | None, preset: Preset) -> tuple[bytes, bytes | None]:
    """STATE-2/3: a UTXO's key and value (``None``: absent)."""
    return utxo_key(outpoint, preset), None if entry is None else encode_entry(entry, preset)


def ticket_item(outpoint: OutPoint, ticket: Ticket | None, preset: Preset) -> tuple[bytes, bytes | None]:
    """STATE-2/3: a ticket's key and value (``None``: absent)."""
    value = None if ticket is None else encode(state_codecs(preset).ticket, ticket)
    return ticket_key(outpoint, preset), value


def _masternode_items(
    entries: Mapping[OutPoint, MasternodeEntry], keys: Iterable[OutPoint], preset: Preset
) -> Iterator[tuple[bytes, bytes | None]]:
    codec = state_codecs(preset).masternode
    for collateral in keys:
        entry = entries.get(collateral)
        yield masternode_key(collateral, preset), None if entry is None else encode(codec, entry)


def _proposal_items(
    proposals: Mapping[bytes, ProposalRecord], keys: Iterable[bytes], preset: Preset
) -> Iterator[tuple[bytes, bytes | None]]:
    codec = state_codecs(preset).proposal
    for identifier in keys:
        record = proposals.get(identifier)
        yield proposal_key(identifier), None if record is None else encode(codec, record)


def _vote_items(
    identifier: bytes, votes: Mapping[OutPoint, VoteRecord], keys: Iterable[OutPoint], preset: Preset
) -> Iterator[tuple[bytes, bytes | None]]:
    codec = state_codecs(preset).vote
    for masternode in keys:
        vote = votes.get(masternode)
        yield vote_key(identifier, masternode, preset), None if vote is None else encode(codec, vote)


def _quorum_items(
    pose: bool, records: Mapping[int, QuorumRecord], keys: Iterable[int], preset: Preset
) -> Iterator[tuple[bytes, bytes | None]]:
    codec = state_codecs(preset).quorum
    for base_height in keys:
        record = records.get(base_height)
        yield quorum_key(pose, base_height), None if record is None else encode(codec, record)


def _singleton_items(state: CommittedFields, preset: Preset) -> Iterator[tuple[bytes, bytes]]:
    codecs = state_codecs(preset)
    yield TICKET_PRICE_KEY, _u64(state.ticket_price)
    yield TREASURY_KEY, _u64(state.treasury)
    yield DEPLOYMENTS_KEY, encode(codecs.deployments, tuple(state.deployments))
    yield SCHEDULED_KEY, encode(codecs.scheduled, tuple(state.governance.scheduled))


def compute_state_items(state: CommittedFields, preset: Preset) -> dict[bytes, bytes]:
    """STATE-2/3: every committed item of ``state``, ``key -> value``."""
    items: dict[bytes, bytes] = dict(_singleton_items(state, preset))
    changes: list[Iterable[tuple[bytes, bytes | None]]] = [
        (utxo_item(o, e, preset) for o, e in state.utxos.items()),
        (ticket_item(o, t, preset) for o, t in state.tickets.items()),
        _masternode_items(state.masternodes.entries, state.masternodes.entries, preset),
        _proposal_items(state.governance.proposals, state.governance.proposals, preset),
        ((executed_key(i), EXECUTED_VALUE) for i in state.governance.executed),
        ((parameter_key(n), _u64(v)) for n, v in state.governance.parameters.values),
        _quorum_items(False, state.quorums.records, state.quorums.records, preset),
        _quorum_items(True, state.quorums.pose_records, state.quorums.pose_records, preset),
    ]
    for identifier, votes in state.governance.votes.items():
        changes.append(_vote_items(identifier, votes, votes, preset))
    changes.append(sidechain_items(state.sidechains).items())
    for group in changes:
        for key, value in group:
            assert value is not None
            items[key] = value
    return items


def compute_state_root(state: CommittedFields, preset: Preset) -> bytes:
    """STATE-4: the full-state root, by definition (MPT-6 over :func:`compute_state_items`)."""
    return trie_root(compute_state_items(state, preset), RUSTY_TRIE_HASHER)


# ---------------------------------------------------------------------------------- decoding


def _check_key(key: bytes, expected: bytes) -> None:
    if key != expected:
        raise StateItemBadKey(f"key {key.hex()} is not the key {expected.hex()} its value determines")


def _fixed(rest: bytes, length: int, key: bytes) -> bytes:
    if len(rest) != length:
        raise StateItemBadKey(f"key {key.hex()}: {len(rest)} bytes after the kind, {length} expected")
    return rest


def state_from_items(items: Mapping[bytes, bytes], preset: Preset) -> CommittedState:
    """STATE-5: the committed state whose :func:`compute_state_items` is exactly ``items``.

    Raises ``STATE_ITEM_BAD_KEY`` (unknown kind, wrong key length, a key that is not the one its
    value determines), ``STATE_ITEM_BAD_VALUE`` (a name not printable ASCII), ``STATE_ITEM_MISSING``
    (a singleton absent) or a ``DECODE_*`` code for a value that is not canonical. Keys are read in
    sorted order, so the first failure does not depend on the mapping's order.
    """
    codecs = state_codecs(preset)
    utxos: dict[OutPoint, UtxoEntry] = {}
    tickets: dict[OutPoint, Ticket] = {}
    masternodes: dict[OutPoint, MasternodeEntry] = {}
    proposals: dict[bytes, ProposalRecord] = {}
    votes: dict[bytes, dict[OutPoint, VoteRecord]] = {}
    executed: set[bytes] = set()
    parameters: list[tuple[str, int]] = []
    finality: dict[int, QuorumRecord] = {}
    pose: dict[int, QuorumRecord] = {}
    singles: dict[bytes, bytes] = {}
    sidechain_part: dict[bytes, bytes] = {}
    for key in sorted(items):
        value = items[key]
        if not key:
            raise StateItemBadKey("empty key")
        kind, rest = key[0], key[1:]
        if kind == KIND_SINGLETON:
            if key not in SINGLETON_KEYS:
                raise StateItemBadKey(f"no singleton {key.hex()}")
            singles[key] = value
        elif kind == KIND_UTXO:
            utxos[decode_outpoint(_fixed(rest, OUTPOINT_BYTES, key), preset)] = decode_entry(value, preset)
        elif kind == KIND_TICKET:
            ticket = decode(codecs.ticket, value)
            _check_key(key, ticket_key(ticket.outpoint, preset))
            tickets[ticket.outpoint] = ticket
        elif kind == KIND_MASTERNODE:
            entry = decode(codecs.masternode, value)
            _check_key(key, masternode_key(entry.collateral, preset))
            masternodes[entry.collateral] = entry
        elif kind == KIND_PROPOSAL:
            record = decode(codecs.proposal, value)
            _check_key(key, proposal_key(record.proposal_id))
            proposals[record.proposal_id] = record
        elif kind == KIND_VOTE:
            _fixed(rest, ID_BYTES + OUTPOINT_BYTES, key)
            masternode = decode_outpoint(rest[ID_BYTES:], preset)
            votes.setdefault(rest[:ID_BYTES], {})[masternode] = decode(codecs.vote, value)
        elif kind == KIND_EXECUTED:
            _fixed(rest, ID_BYTES, key)
            if value != EXECUTED_VALUE:
                raise StateItemBadValue(f"executed marker {value.hex()}, expected 01")
            executed.add(rest)
        elif kind == KIND_PARAMETER:
            parameters.append((_ascii_key(rest, key), decode(U64, value)))
        elif kind in (KIND_FINALITY_QUORUM, KIND_POSE_QUORUM):
            quorum = decode(codecs.quorum, value)
            is_pose = kind == KIND_POSE_QUORUM
            _check_key(key, quorum_key(is_pose, quorum.base_height))
            (pose if is_pose else finality)[quorum.base_height] = quorum
        elif kind in SIDECHAIN_KINDS:
            sidechain_part[key] = value
        else:
            raise StateItemBadKey(f"unknown kind 0x{kind:02x}")
    for single in SINGLETON_KEYS:
        if single not in singles:
            raise StateItemMissing(f"singleton {single.hex()} absent")
    governance = GovernanceState(
        proposals=proposals,
        votes=votes,
        executed=frozenset(executed),
        scheduled=decode(codecs.scheduled, singles[SCHEDULED_KEY]),
        parameters=GovernedParameters(tuple(parameters)),
    )
    return CommittedState(
        utxos=utxos,
        tickets=tickets,
        ticket_price=decode(U64, singles[TICKET_PRICE_KEY]),
        treasury=decode(U64, singles[TREASURY_KEY]),
        masternodes=MasternodeList(masternodes),
        governance=governance,
        quorums=QuorumRegistry(finality, pose),
        deployments=decode(codecs.deployments, singles[DEPLOYMENTS_KEY]),
        sidechains=sidechains_from_items(sidechain_part),
    )


def _ascii_key(rest: bytes, key: bytes) -> str:
    if not rest or len(rest) > MAX_NAME_BYTES:
        raise StateItemBadKey(f"key {key.hex()}: parameter name of {len(rest)} bytes")
    try:
        return _ascii(rest)
    except StateItemBadValue as error:
        raise StateItemBadKey(f"key {key.hex()}: {error.detail}") from None


# ------------------------------------------------------------------------------- incremental


def _changed(before: Mapping[Any, Any], after: Mapping[Any, Any]) -> list[Any]:
    """The keys whose entry differs between two maps (identity first, then equality)."""
    if before is after:
        return []
    keys = [k for k, v in after.items() if (old := before.get(k)) is not v and old != v]
    keys.extend(k for k in before if k not in after)
    return keys


def state_item_changes(
    before: CommittedFields,
    after: CommittedFields,
    touched_utxos: Iterable[OutPoint],
    touched_tickets: Iterable[OutPoint],
    preset: Preset,
) -> dict[bytes, bytes | None]:
    """STATE-6: the items that differ between two states, ``key -> new value or None (deleted)``.

    The UTXOs and tickets are looked up only at the outpoints the block touched (the caller lists
    them: spent, created, burnt; voted, expired, bought); the masternode list, governance and
    quorum maps are compared entry by entry, skipping identical objects; the singletons are
    always written. The result equals the difference of the two :func:`compute_state_items` on
    every key (the tests check this against the definition).
    """
    changes: dict[bytes, bytes | None] = dict(_singleton_items(after, preset))
    for outpoint in touched_utxos:
        key, value = utxo_item(outpoint, after.utxos.get(outpoint), preset)
        changes[key] = value
    for outpoint in touched_tickets:
        key, value = ticket_item(outpoint, after.tickets.get(outpoint), preset)
        changes[key] = value
    mn_before, mn_after = before.masternodes.entries, after.masternodes.entries
    changes.update(_masternode_items(mn_after, _changed(mn_before, mn_after), preset))
    gov_before, gov_after = before.governance, after.governance
    if gov_before is not gov_after:
        changes.update(
            _proposal_items(gov_after.proposals, _changed(gov_before.proposals, gov_after.proposals), preset)
        )
        for identifier in _changed(gov_before.votes, gov_after.votes):
            old = gov_before.votes.get(identifier, {})
            new = gov_after.votes.get(identifier, {})
            changes.update(_vote_items(identifier, new, _changed(old, new), preset))
        flipped = (
            () if gov_before.executed is gov_after.executed else gov_before.executed ^ gov_after.executed
        )
        for identifier in flipped:
            changes[executed_key(identifier)] = EXECUTED_VALUE if identifier in gov_after.executed else None
        params_before, params_after = dict(gov_before.parameters.values), dict(gov_after.parameters.values)
        for name in _changed(params_before, params_after):
            governed = params_after.get(name)
            changes[parameter_key(name)] = None if governed is None else _u64(governed)
    if before.sidechains is not after.sidechains:
        items_before, items_after = sidechain_items(before.sidechains), sidechain_items(after.sidechains)
        changes.update({key: None for key in items_before if key not in items_after})
        changes.update({key: value for key, value in items_after.items() if items_before.get(key) != value})
    q_before, q_after = before.quorums, after.quorums
    changes.update(_quorum_items(False, q_after.records, _changed(q_before.records, q_after.records), preset))
    changes.update(
        _quorum_items(
            True, q_after.pose_records, _changed(q_before.pose_records, q_after.pose_records), preset
        )
    )
    return changes


def _basis(state: CommittedFields, layout: StateLayout) -> tuple[object, ...]:
    if layout is StateLayout.UTXO:
        return (state.utxos,)
    return (
        state.utxos,
        state.tickets,
        state.masternodes,
        state.governance,
        state.quorums,
        state.deployments,
        state.ticket_price,
        state.treasury,
        state.sidechains,
    )


@dataclass(frozen=True, eq=False)
class StateCommitment:
    """STATE-6: the persistent trie of a state under a layout, and the state parts it was built
    for (kept by reference: a commitment is used incrementally only for the very objects it
    commits to, so a state assembled any other way is committed from scratch, by definition)."""

    layout: StateLayout
    trie: Trie
    basis: tuple[object, ...]
    touched_utxos: tuple[OutPoint, ...] = ()
    """The outpoints whose UTXO entry the block that produced this commitment created or removed."""

    def commits_to(self, state: CommittedFields, layout: StateLayout) -> bool:
        """Whether this trie is the commitment of exactly ``state``'s parts under ``layout``."""
        basis = _basis(state, layout)
        return (
            self.layout is layout
            and len(basis) == len(self.basis)
            and all(a is b or (isinstance(a, int) and a == b) for a, b in zip(self.basis, basis, strict=True))
        )

    @property
    def root(self) -> bytes:
        """The state root (MPT-8: equal to STATE-1 or STATE-4 of the committed state)."""
        return self.trie.root_hash


def attach_commitment(state: CommittedFields, layout: StateLayout, trie: Trie) -> StateCommitment:
    """STATE-6: declare ``trie`` the commitment of ``state`` under ``layout`` (a node that kept the
    trie on disk; it must check the root against the tip's header, as the reference store does)."""
    return StateCommitment(layout, trie, _basis(state, layout))


def compute_committed_items(
    state: CommittedFields, layout: StateLayout, preset: Preset
) -> dict[bytes, bytes]:
    """STATE-1/4: the items a header's ``state_root`` commits to under ``layout``: the UTXO items
    (STATE-1) or every state item (STATE-2/3). A state snapshot (SNAP-5) is cut from these."""
    if layout is StateLayout.UTXO:
        return compute_utxo_items(state.utxos, preset)
    return compute_state_items(state, preset)


def build_commitment(state: CommittedFields, layout: StateLayout, preset: Preset) -> StateCommitment:
    """STATE-1/4: the commitment of ``state`` built from its whole item set (the slow path: once
    for a state not produced by :func:`advance_commitment`, and at the fork's activation)."""
    items = compute_committed_items(state, layout, preset)
    return StateCommitment(layout, Trie.from_items(items, RUSTY_TRIE_HASHER), _basis(state, layout))


def _put_utxo_changes(
    changes: dict[bytes, bytes | None], after: CommittedFields, outpoints: Iterable[OutPoint], preset: Preset
) -> None:
    """STATE-1 items of ``outpoints`` in ``after`` into ``changes``: each key's encoded entry, or
    ``None`` where the outpoint is absent (spent)."""
    utxos = after.utxos
    for outpoint in outpoints:
        entry = utxos.get(outpoint)
        changes[encode_outpoint(outpoint, preset)] = None if entry is None else encode_entry(entry, preset)


def advance_commitment(
    commitment: StateCommitment | None,
    before: CommittedFields,
    after: CommittedFields,
    layout: StateLayout,
    touched_utxos: Iterable[OutPoint],
    touched_tickets: Iterable[OutPoint],
    preset: Preset,
) -> StateCommitment:
    """STATE-6: the commitment of ``after`` from that of ``before`` by the items the block changed.

    ``commitment`` must be ``before``'s under ``layout``; otherwise (none, another layout at a
    fork's activation, or a state assembled by hand) ``after`` is committed from scratch.
    """
    touched = tuple(touched_utxos)
    if commitment is None or not commitment.commits_to(before, layout):
        built = build_commitment(after, layout, preset)
        return StateCommitment(layout, built.trie, built.basis, touched)
    if layout is StateLayout.UTXO:
        changes: dict[bytes, bytes | None] = {}
        _put_utxo_changes(changes, after, touched, preset)
    else:
        changes = dict(state_item_changes(before, after, touched, touched_tickets, preset))
    # one batched update (MPT-8): the same trie as the changes inserted and deleted one by one
    return StateCommitment(layout, commitment.trie.update(changes), _basis(after, layout), touched)


def advance_commitment_encoded(
    commitment: StateCommitment | None,
    before: CommittedFields,
    after: CommittedFields,
    layout: StateLayout,
    touched_utxos: Iterable[OutPoint],
    touched_tickets: Iterable[OutPoint],
    preset: Preset,
    encoded: Mapping[bytes, bytes | None],
    others: Iterable[OutPoint],
) -> StateCommitment:
    """STATE-6: :func:`advance_commitment` for a block whose UTXO changes the caller already holds
    encoded (issue 14: the block's fast path knows each created entry's STATE-1 bytes, and each
    spent key is its input's outpoint, so nothing is looked up and encoded a second time).

    ``encoded`` maps STATE-1 keys (:func:`~spec.ledger.state.encode_outpoint`) of touched
    outpoints to their STATE-1 value in ``after`` (:func:`~spec.ledger.state.encode_entry`, or
    ``None``: absent); ``others`` lists the rest of ``touched_utxos`` (it may repeat outpoints of
    ``encoded``: the lookup in ``after`` wins). With that, the result is the one of
    :func:`advance_commitment` with the same arguments, which ``tests/test_fast_paths.py`` checks;
    without a commitment of ``before`` (or under another layout) it is that function's answer.
    """
    touched = tuple(touched_utxos)
    if commitment is None or not commitment.commits_to(before, layout):
        return advance_commitment(commitment, before, after, layout, touched, touched_tickets, preset)
    if layout is StateLayout.UTXO:
        changes = dict(encoded)
        _put_utxo_changes(changes, after, others, preset)
    else:  # STATE-2: the same items under the UTXO kind byte, then every other item as STATE-6 lists them
        kind = bytes((KIND_UTXO,))
        changes = {kind + key: value for key, value in encoded.items()}
        changes.update(state_item_changes(before, after, others, touched_tickets, preset))
    return StateCommitment(layout, commitment.trie.update(changes), _basis(after, layout), touched)


# ------------------------------------------------------------------------------------ proofs


def verify_state_proof(root: bytes, key: bytes, value: bytes | None, proof: tuple[bytes, ...]) -> None:
    """STATE-7: ``proof`` (MPT-10) shows that ``key`` holds ``value`` (``None``: is absent) in the
    state committed by ``root``; raises a ``TRIE_*`` code otherwise (MPT-11/12). A claimed empty
    value is ``TRIE_EMPTY_VALUE`` before the proof is read (no item is empty, MPT-9)."""
    if value == b"":
        raise TrieEmptyValue("no state item has an empty value")
    proven = verify_proof(root, key, proof, RUSTY_TRIE_HASHER)
    if proven != value:
        raise TrieProofValueMismatch(
            "the proof shows another value" if proven is not None else "the key is absent"
        )
