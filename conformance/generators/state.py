"""Vectors of the ``state`` flow (fork ``state_trie``): the full-state layout (STATE-2..5) and
state proofs (STATE-7) (docs/trie.md "State layout").

Both presets: the items of the state before genesis (singletons only) and of a hand-made state
holding two entries of every kind, every ``STATE_ITEM_*`` code and the value decode codes the
layout can meet; proofs of one item of every kind, of an absent key, and every way a claim fails.
Devnet also commits real chain states: the tip of the masternode chain (masternodes, an executed
proposal, finality and PoSe quorum records) and the state at ``state_trie``'s activation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.upgradechain import state_trie_chain
from spec.chain.commitment import (
    DEPLOYMENTS_KEY,
    SCHEDULED_KEY,
    TICKET_PRICE_KEY,
    TREASURY_KEY,
    CommittedFields,
    CommittedState,
    compute_committed_items,
    compute_state_items,
    executed_key,
    parameter_key,
    quorum_key,
    state_from_items,
    ticket_key,
    vote_key,
)
from spec.chain.layout import StateLayout
from spec.chain.state import initial_state
from spec.chain.tickets import Ticket
from spec.forks.deployment import AgendaRecord, DeploymentStatus
from spec.governance.proposals import (
    CreateSidechain,
    GovernanceState,
    GovernedParameters,
    ParameterChange,
    Proposal,
    ProposalRecord,
    ProposalStatus,
    ScheduledChange,
    TreasuryPayout,
    VoteChoice,
    VoteRecord,
)
from spec.ledger.transaction import OutPoint, TxOutput
from spec.ledger.utxo import UtxoEntry
from spec.masternode.finality import QuorumRecord, QuorumRegistry
from spec.masternode.registry import MasternodeEntry, MasternodeList, MasternodeStatus
from spec.presets import Preset
from spec.sidechain.dispute import DisputeOpening, Game
from spec.sidechain.games import BondPayout, OpenGame
from spec.sidechain.header import BlockCredit, SidechainHeader, VoidedInput
from spec.sidechain.items import (
    KIND_BOND_PAYOUT,
    KIND_DELIVERED_MESSAGE,
    KIND_DISPUTE_GAME,
    KIND_INPUT_MARK,
    KIND_NEXT_GAME,
    KIND_PENDING_MESSAGE,
    KIND_SIDECHAIN,
    KIND_SIDECHAIN_CHECKPOINT,
    KIND_SPENT_WITHDRAWAL,
    KIND_VOIDED_INPUT,
    MARKER,
    sidechain_item_key,
    sidechain_items,
)
from spec.sidechain.registry import (
    CheckpointRecord,
    InputMark,
    PendingMessage,
    SidechainRecord,
    SidechainSpec,
    SidechainsState,
)
from spec.trie import RUSTY_TRIE_HASHER, Trie, prove, trie_root

FORK = "state_trie"
ACTIVATION = 50
"""Devnet: the first block under ``state_trie`` on the scripted chain."""


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error, fork=FORK)


def _b(label: str, length: int) -> bytes:
    return seeded_bytes(f"state/{label}", length)


def _outpoint(label: str) -> OutPoint:
    return OutPoint(_b(label, 32), int.from_bytes(_b(label + "/i", 1), "little"))


def every_kind_state(preset: Preset) -> CommittedState:
    """Two entries of every kind (deterministic), singletons with non-trivial values."""
    utxos = {
        _outpoint(f"utxo/{i}"): UtxoEntry(TxOutput(1000 + i, _b(f"script/{i}", 25)), 7 + i, i == 0)
        for i in range(2)
    }
    tickets = {
        (o := _outpoint(f"ticket/{i}")): Ticket(o, 3 + i, _b(f"vk/{i}", 32), _b(f"owner/{i}", 20))
        for i in range(2)
    }
    entries = {
        (c := _outpoint(f"mn/{i}")): MasternodeEntry(
            c,
            _b(f"op/{i}", 48),
            _b(f"own/{i}", 32),
            _b(f"pay/{i}", 25),
            _b(f"addr/{i}", 16),
            9999 + i,
            (MasternodeStatus.ACTIVE, MasternodeStatus.POSE_BANNED)[i],
            11 + i,
            i * 100,
            None if i else 12,
            5 if i else None,
        )
        for i in range(2)
    }
    ids = [_b(f"proposal/{i}", 32) for i in range(2)]
    proposals = {
        ids[0]: ProposalRecord(
            ids[0],
            Proposal(b"grant", 100, TreasuryPayout(_b("grantee", 25), 5000)),
            20,
            ProposalStatus.PENDING,
        ),
        ids[1]: ProposalRecord(
            ids[1],
            Proposal(b"param", 200, ParameterChange(b"governance.voting_period", 30)),
            21,
            ProposalStatus.EXECUTED,
            3,
            1,
            0,
        ),
    }
    collaterals = sorted(entries)
    governance = GovernanceState(
        proposals=proposals,
        votes={
            ids[0]: {
                collaterals[0]: VoteRecord(VoteChoice.YES, 1),
                collaterals[1]: VoteRecord(VoteChoice.NO, 0),
            }
        },
        executed=frozenset({ids[1], _b("executed/old", 32)}),
        scheduled=(ScheduledChange(260, "governance.voting_period", 30, ids[1]),),
        parameters=GovernedParameters(
            (("governance.proposal_fee", 123), ("masternodes.pose_ban_threshold", 7))
        ),
    )
    record = QuorumRecord(40, _b("base", 32), _b("session", 32), (_b("m0", 48), _b("m1", 48)), 2)
    committed = QuorumRecord(
        20, _b("base2", 32), _b("session2", 32), (_b("m2", 48),), 1, _b("gpk", 48), 25, _b("shares", 32)
    )
    deployments = tuple(
        AgendaRecord(f.deployment.agenda_id, DeploymentStatus.STARTED, 10, 4, 1)
        for f in preset.forks
        if f.deployment is not None
    )
    return CommittedState(
        utxos=utxos,
        tickets=tickets,
        ticket_price=2**40 + 7,
        treasury=2**60 + 3,
        masternodes=MasternodeList(entries),
        governance=governance,
        quorums=QuorumRegistry({20: committed, 40: record}, {30: replace(record, base_height=30)}),
        deployments=deployments,
    )


def _items_json(items: dict[bytes, bytes]) -> list[JSON]:
    return [[key.hex(), value.hex()] for key, value in sorted(items.items())]


def _items_case(name: str, meaning: str, items: dict[bytes, bytes], error: str | None = None) -> CaseSpec:
    return _case("state_items", name, meaning, {"items": _items_json(items)}, error)


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """State vectors for one preset."""
    yield from _layout_cases(preset)
    yield from _proof_cases(preset)
    yield from _advance_cases(preset)
    yield from _name_and_action_cases(preset)
    yield from _sidechain_state_cases(preset)
    yield from _sidechain_key_cases()


def _layout_cases(preset: Preset) -> Iterator[CaseSpec]:
    from conformance.masternodechain import quorum_chain, quorum_supported  # imports the generators

    before_genesis = compute_state_items(initial_state(preset), preset)
    yield _items_case("before_genesis", "STATE-4: the state before genesis, singletons only", before_genesis)
    full = compute_state_items(every_kind_state(preset), preset)
    yield _items_case("every_kind", "STATE-2/3: two entries of every kind", full)
    if quorum_supported(preset):
        tip: CommittedFields = quorum_chain(preset).builder.states[-1]
        yield _items_case(
            "masternode_chain_tip",
            "a real chain state with masternodes and quorums",
            compute_state_items(tip, preset),
        )
        activated = state_trie_chain(preset, ACTIVATION + 1).states[ACTIVATION + 1]
        yield _items_case(
            "at_activation",
            "the state the first state_trie header commits to",
            compute_state_items(activated, preset),
        )

    def with_items(name: str, meaning: str, error: str, extra: dict[bytes, bytes | None]) -> CaseSpec:
        items = dict(full)
        for key, value in extra.items():
            if value is None:
                del items[key]
            else:
                items[key] = value
        return _items_case(name, meaning, items, error)

    mn_key, mn_value = next((k, v) for k, v in sorted(full.items()) if k[0] == 0x03)
    ticket_k, ticket_v = next((k, v) for k, v in sorted(full.items()) if k[0] == 0x02)
    quorum_k, quorum_v = next((k, v) for k, v in sorted(full.items()) if k[0] == 0x08)
    vote_k = next(k for k in sorted(full) if k[0] == 0x05)
    utxo_k, utxo_v = next((k, v) for k, v in sorted(full.items()) if k[0] == 0x01)
    status_at = 32 + 4 + 48 + 32 + 1 + 25 + 16 + 2  # the masternode status tag (MN-0 field codecs)
    bad_status = mn_value[:status_at] + b"\x04" + mn_value[status_at + 1 :]
    invalid: list[tuple[str, str, str, dict[bytes, bytes | None]]] = [
        (
            "unknown_kind",
            "STATE-2: kind 0x0a is not in the layout",
            "STATE_ITEM_BAD_KEY",
            {b"\x0a" + bytes(8): b"\x01"},
        ),
        ("empty_key", "STATE-2: a key has a kind byte", "STATE_ITEM_BAD_KEY", {b"": b"\x01"}),
        (
            "unknown_singleton",
            "STATE-2: singleton 5 does not exist",
            "STATE_ITEM_BAD_KEY",
            {b"\x00\x05": b"\x01"},
        ),
        (
            "utxo_key_short",
            "STATE-2: a UTXO key is 1 + 36 bytes",
            "STATE_ITEM_BAD_KEY",
            {utxo_k[:-1]: utxo_v},
        ),
        (
            "vote_key_long",
            "STATE-2: a vote key is 1 + 32 + 36 bytes",
            "STATE_ITEM_BAD_KEY",
            {vote_k + b"\x00": b"\x00" + bytes(8)},
        ),
        (
            "executed_key_short",
            "STATE-2: an executed key is 1 + 32 bytes",
            "STATE_ITEM_BAD_KEY",
            {executed_key(bytes(31)): b"\x01"},
        ),
        (
            "executed_marker_not_01",
            "STATE-3: the executed marker is 0x01",
            "STATE_ITEM_BAD_VALUE",
            {executed_key(bytes(32)): b"\x02"},
        ),
        (
            "parameter_name_empty",
            "STATE-2: a parameter key names a parameter",
            "STATE_ITEM_BAD_KEY",
            {b"\x07": bytes(8)},
        ),
        (
            "parameter_name_not_ascii",
            "STATE-2: a parameter name is printable ASCII",
            "STATE_ITEM_BAD_KEY",
            {b"\x07a b": bytes(8)},
        ),
        (
            "parameter_value_short",
            "STATE-3: a parameter value is u64",
            "DECODE_TRUNCATED",
            {parameter_key("a.b"): bytes(7)},
        ),
        (
            "ticket_under_another_key",
            "STATE-3: a ticket's key is its outpoint's",
            "STATE_ITEM_BAD_KEY",
            {ticket_k: None, ticket_key(OutPoint(bytes(32), 0), preset): ticket_v},
        ),
        (
            "masternode_under_a_ticket_key",
            "STATE-3: a masternode value under kind 0x02 (read as a ticket)",
            "DECODE_LENGTH_LIMIT",
            {mn_key: None, b"\x02" + mn_key[1:]: mn_value},
        ),
        (
            "quorum_under_another_height",
            "STATE-3: a quorum record's key is its base height",
            "STATE_ITEM_BAD_KEY",
            {quorum_k: None, quorum_key(False, 999): quorum_v},
        ),
        (
            "masternode_status_tag",
            "STATE-3: masternode status tags are 0..3",
            "DECODE_INVALID_TAG",
            {mn_key: bad_status},
        ),
        (
            "vote_choice_tag",
            "STATE-3: vote choices are 0..2",
            "DECODE_INVALID_TAG",
            {vote_key(bytes(32), OutPoint(bytes(32), 1), preset): b"\x03" + bytes(8)},
        ),
        (
            "vote_trailing_byte",
            "ENC-2: a vote value has no trailing byte",
            "DECODE_TRAILING_BYTES",
            {vote_k: b"\x00" + bytes(9)},
        ),
        (
            "agenda_not_ascii",
            "STATE-3: an agenda id is printable ASCII",
            "STATE_ITEM_BAD_VALUE",
            {DEPLOYMENTS_KEY: b"\x01\x02a\x00" + bytes(25)},
        ),
        (
            "scheduled_bad_count",
            "ENC: the scheduled list is truncated",
            "DECODE_TRUNCATED",
            {SCHEDULED_KEY: b"\x02"},
        ),
        (
            "ticket_price_trailing",
            "ENC-2: the ticket price is exactly u64",
            "DECODE_TRAILING_BYTES",
            {TICKET_PRICE_KEY: bytes(9)},
        ),
        (
            "treasury_missing",
            "STATE-4: the treasury singleton is always present",
            "STATE_ITEM_MISSING",
            {TREASURY_KEY: None},
        ),
        (
            "deployments_missing",
            "STATE-4: the deployments singleton is always present",
            "STATE_ITEM_MISSING",
            {DEPLOYMENTS_KEY: None},
        ),
    ]
    for name, meaning, error, extra in invalid:
        yield with_items(name, meaning, error, extra)


def _proof_cases(preset: Preset) -> Iterator[CaseSpec]:
    items = compute_state_items(every_kind_state(preset), preset)
    trie = Trie.from_items(items, RUSTY_TRIE_HASHER)
    root = trie.root_hash

    def claim(
        name: str,
        meaning: str,
        key: bytes,
        value: bytes | None,
        proof: tuple[bytes, ...],
        error: str | None = None,
        at: bytes = root,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "root": at.hex(),
            "key": key.hex(),
            "value": None if value is None else value.hex(),
            "proof": [node.hex() for node in proof],
        }
        return _case("verify_state_proof", name, meaning, data, error)

    names = {
        0: "singleton",
        1: "utxo",
        2: "ticket",
        3: "masternode",
        4: "proposal",
        5: "vote",
        6: "executed",
        7: "parameter",
        8: "finality_quorum",
        9: "pose_quorum",
    }
    for kind, name in names.items():
        key = next(k for k in sorted(items) if k[0] == kind)
        yield claim(
            f"{name}_present",
            f"STATE-7: a {name} item against the full-state root",
            key,
            items[key],
            prove(trie, key),
        )
    absent = ticket_key(OutPoint(bytes(32), 0), preset)
    yield claim(
        "ticket_absent", "STATE-7: a ticket that is not in the pool", absent, None, prove(trie, absent)
    )
    key = next(k for k in sorted(items) if k[0] == 3)
    proof = prove(trie, key)
    value = items[key]
    yield claim(
        "wrong_value",
        "MPT-12: the proof shows another value",
        key,
        value + b"\x00",
        proof,
        "TRIE_PROOF_VALUE_MISMATCH",
    )
    yield claim(
        "present_claimed_absent", "MPT-12: the key is present", key, None, proof, "TRIE_PROOF_VALUE_MISMATCH"
    )
    yield claim(
        "absent_claimed_present",
        "MPT-12: the key is absent",
        absent,
        value,
        prove(trie, absent),
        "TRIE_PROOF_VALUE_MISMATCH",
    )
    yield claim("empty_value", "MPT-9: no item is empty", key, b"", proof, "TRIE_EMPTY_VALUE")
    yield claim(
        "missing_node", "MPT-11: the last node is dropped", key, value, proof[:-1], "TRIE_PROOF_MISSING_NODE"
    )
    yield claim(
        "extra_node", "MPT-11: a node too many", key, value, (*proof, proof[0]), "TRIE_PROOF_UNUSED_NODE"
    )
    tampered = bytes([proof[-1][0]]) + bytes([proof[-1][1] ^ 1]) + proof[-1][2:]
    yield claim(
        "tampered_node",
        "MPT-11: a flipped bit",
        key,
        value,
        (*proof[:-1], tampered),
        "TRIE_PROOF_HASH_MISMATCH",
    )
    yield claim(
        "another_root",
        "MPT-11: a proof against another header's root",
        key,
        value,
        proof,
        "TRIE_PROOF_HASH_MISMATCH",
        at=_b("other-root", 32),
    )


def _sidechain_items(spent: tuple[int, ...], delivered: tuple[int, ...]) -> dict[bytes, bytes]:
    """SC-STATE-1 marker items: spent withdrawals and delivered messages of chain 1, checkpoint 4."""
    part = (1).to_bytes(8, "big") + (4).to_bytes(8, "big")
    items = {bytes((KIND_SPENT_WITHDRAWAL,)) + part + leaf.to_bytes(8, "big"): MARKER for leaf in spent}
    items.update(
        {bytes((KIND_DELIVERED_MESSAGE,)) + part + leaf.to_bytes(8, "big"): MARKER for leaf in delivered}
    )
    return items


Steps = tuple[tuple[CommittedFields, str], ...]


def _edited_states(preset: Preset) -> Iterator[tuple[str, str, CommittedFields, str | None, Steps]]:
    """(name, meaning, before, parent layout, steps of (after, layout)): one edit of every kind
    STATE-6 tracks, all at once, and the layout changes."""
    base = every_kind_state(preset)
    gov = base.governance
    ids = sorted(gov.proposals)
    fresh = _b("proposal/new", 32)
    collaterals = sorted(base.masternodes.entries)
    utxo_gone = min(base.utxos)
    utxos = {o: e for o, e in base.utxos.items() if o != utxo_gone}
    utxos[_outpoint("utxo/new")] = UtxoEntry(TxOutput(555, _b("script/new", 25)), 30, False)
    ticket_gone = min(base.tickets)
    tickets = {o: t for o, t in base.tickets.items() if o != ticket_gone}
    bought = _outpoint("ticket/new")
    tickets[bought] = Ticket(bought, 29, _b("vk/new", 32), _b("owner/new", 20))
    entries = dict(base.masternodes.entries)
    del entries[collaterals[1]]
    entries[collaterals[0]] = replace(entries[collaterals[0]], status=MasternodeStatus.POSE_BANNED)
    pending, executed = ids[0], ids[1]
    governance = GovernanceState(
        proposals={
            pending: replace(gov.proposals[pending], status=ProposalStatus.PASSED, yes=2),
            fresh: ProposalRecord(
                fresh,
                Proposal(b"new", 300, TreasuryPayout(_b("new-grantee", 25), 7)),
                28,
                ProposalStatus.PENDING,
            ),
        },
        votes={
            pending: {collaterals[0]: VoteRecord(VoteChoice.ABSTAIN, 2)},
            fresh: {collaterals[1]: VoteRecord(VoteChoice.YES, 0)},
        },
        executed=frozenset({executed, _b("executed/new", 32)}),
        scheduled=(),
        parameters=GovernedParameters((("governance.proposal_fee", 124), ("governance.voting_period", 30))),
    )
    records, pose_records = dict(base.quorums.records), dict(base.quorums.pose_records)
    records[20] = replace(records[20], committed_height=26)
    records[60] = replace(records[40], base_height=60)
    del pose_records[30]
    pose_records[50] = replace(records[40], base_height=50, threshold=1)
    quorums = QuorumRegistry(records, pose_records)
    deployments = tuple(
        replace(r, status=DeploymentStatus.LOCKED_IN, yes=r.yes + 1) for r in base.deployments
    )
    with_sidechains = state_from_items(
        {**compute_state_items(base, preset), **_sidechain_items((1, 2), (1,))}, preset
    )
    edits: list[tuple[str, str, CommittedFields]] = [
        ("utxos", "a UTXO spent and one created (touched)", replace(base, utxos=utxos)),
        ("tickets", "a ticket removed and one bought (touched)", replace(base, tickets=tickets)),
        (
            "masternodes",
            "a masternode banned and one removed",
            replace(base, masternodes=MasternodeList(entries)),
        ),
        (
            "governance",
            "a proposal decided, one added, one dropped; votes changed, added and removed; an "
            "executed id added and one removed; a parameter changed, one added, one removed; "
            "the scheduled list emptied",
            replace(base, governance=governance),
        ),
        (
            "quorums",
            "a finality record committed, one added; a PoSe record removed, one added",
            replace(base, quorums=quorums),
        ),
        (
            "singletons",
            "the ticket price, the treasury and the deployment records",
            replace(
                base, ticket_price=base.ticket_price + 1, treasury=base.treasury - 1, deployments=deployments
            ),
        ),
        ("unchanged", "an identical state: only the singletons are rewritten", base),
        (
            "everything",
            "every edit above in one block",
            replace(
                base,
                utxos=utxos,
                tickets=tickets,
                masternodes=MasternodeList(entries),
                governance=governance,
                quorums=quorums,
                ticket_price=base.ticket_price + 1,
                treasury=base.treasury - 1,
                deployments=deployments,
            ),
        ),
    ]
    for name, meaning, after in edits:
        yield name, f"STATE-6: {meaning}", base, "full", ((after, "full"),)
    yield (
        "everything_then_undone",
        "STATE-6: every edit above in one block, then every edit undone in the next",
        base,
        "full",
        ((edits[-1][2], "full"), (base, "full")),
    )
    yield (
        "sidechain_items",
        "STATE-6 with SC-STATE-1: a spent withdrawal removed, one added, a delivered message added",
        with_sidechains,
        "full",
        (
            (
                state_from_items(
                    {**compute_state_items(base, preset), **_sidechain_items((2, 3), (1, 2))}, preset
                ),
                "full",
            ),
        ),
    )
    yield (
        "sidechain_items_removed",
        "STATE-6 with SC-STATE-1: every sidechain item removed",
        with_sidechains,
        "full",
        ((base, "full"),),
    )
    yield (
        "activation",
        "STATE-6 at the fork's activation: the parent's trie is STATE-1's, so the first full-state "
        "commitment is built from scratch; the next block advances it",
        base,
        "utxo",
        ((edits[0][2], "full"), (edits[-1][2], "full")),
    )
    yield (
        "stale_parent_trie",
        "STATE-6 with the trie of another state (the governance edit) attached: not the parent's, "
        "so the commitment is built from scratch",
        base,
        "full",
        ((edits[0][2], "full"),),
    )
    yield (
        "no_parent_trie",
        "STATE-6 without the parent's trie: built from scratch, then advanced",
        base,
        None,
        ((edits[3][2], "full"), (edits[-1][2], "full")),
    )
    yield (
        "utxo_layout",
        "STATE-1 (before state_trie): only the touched UTXOs change the root, whatever else differs; "
        "two blocks",
        base,
        "utxo",
        (
            (
                replace(base, utxos=utxos, treasury=base.treasury - 1, masternodes=MasternodeList(entries)),
                "utxo",
            ),
            (base, "utxo"),
        ),
    )
    yield (
        "no_parent_trie_utxo",
        "STATE-1 (before state_trie) without the parent's trie: built from scratch from the UTXO items",
        base,
        None,
        ((edits[0][2], "utxo"),),
    )


def _outpoints_json(outpoints: Iterable[OutPoint]) -> list[JSON]:
    return [{"txid": o.txid.hex(), "index": o.index} for o in sorted(outpoints)]


_STALE = {"stale_parent_trie": lambda preset: _governance_edit(preset)}
"""Cases whose attached trie is another state's (STATE-6: a stale trie never gives a wrong root)."""


def _governance_edit(preset: Preset) -> CommittedFields:
    return next(s[-1][0][0] for s in _edited_states(preset) if s[0] == "governance")


def _advance_cases(preset: Preset) -> Iterator[CaseSpec]:
    """STATE-6: the incremental roots from a parent's trie equal the definition (checked here)."""
    layouts = {"full": StateLayout.FULL, "utxo": StateLayout.UTXO}
    for name, meaning, before, parent, steps in _edited_states(preset):
        trie_of = _STALE.get(name, lambda _: None)(preset)
        previous = before
        wire: list[JSON] = []
        roots: list[JSON] = []
        touched: list[JSON] = []
        for after, layout in steps:
            touched_utxos = set(previous.utxos) ^ set(after.utxos)
            wire.append(
                {
                    "after": _items_json(compute_state_items(after, preset)),
                    "touched_utxos": _outpoints_json(touched_utxos),
                    "touched_tickets": _outpoints_json(set(previous.tickets) ^ set(after.tickets)),
                    "layout": layout,
                }
            )
            items = compute_committed_items(after, layouts[layout], preset)
            roots.append(trie_root(items, RUSTY_TRIE_HASHER).hex())
            touched.append(len(touched_utxos))
            previous = after
        data: dict[str, JSON] = {
            "before": _items_json(compute_state_items(before, preset)),
            "trie_of": None if trie_of is None else _items_json(compute_state_items(trie_of, preset)),
            "parent_layout": parent,
            "steps": wire,
        }
        spec = _case("advance_state", name, meaning, data)
        yield replace(spec, known_output={"roots": roots, "touched": touched})


def _name_and_action_cases(preset: Preset) -> Iterator[CaseSpec]:
    """STATE-3: the edges of a printable name, and a stored CREATE_SIDECHAIN proposal."""
    base = every_kind_state(preset)
    full = compute_state_items(base, preset)
    yield _items_case(
        "parameter_name_edges",
        "STATE-2: a parameter name may use the first and last printable ASCII bytes, ! and ~",
        {**full, parameter_key("a!~"): (5).to_bytes(8, "little")},
    )
    yield _items_case(
        "parameter_name_255_bytes",
        "STATE-2: a parameter name may be as long as MAX_NAME_BYTES (255)",
        {**full, parameter_key("p" * 255): (6).to_bytes(8, "little")},
    )
    yield _items_case(
        "parameter_name_256_bytes",
        "STATE-2: a parameter name longer than MAX_NAME_BYTES (255)",
        {**full, parameter_key("p" * 256): (6).to_bytes(8, "little")},
        "STATE_ITEM_BAD_KEY",
    )
    yield _items_case(
        "parameter_name_del",
        "STATE-2: DEL (0x7f) is not printable",
        {**full, b"\x07a\x7f": (5).to_bytes(8, "little")},
        "STATE_ITEM_BAD_KEY",
    )
    identifier = _b("proposal/sidechain", 32)
    spec = SidechainSpec(7, 1, 0, 6, 20, 30, 10**9, 10**6)
    record = ProposalRecord(
        identifier, Proposal(b"sidechain", 300, CreateSidechain(spec)), 22, ProposalStatus.PENDING
    )
    proposals = {**base.governance.proposals, identifier: record}
    with_sidechain = replace(base, governance=replace(base.governance, proposals=proposals))
    yield _items_case(
        "sidechain_proposal",
        "STATE-3: a stored proposal record may hold a CREATE_SIDECHAIN action (SC-FORK-2), whatever "
        "GOV-0 accepts of new messages",
        compute_state_items(with_sidechain, preset),
    )


def _checkpoint(chain: int, height: int) -> CheckpointRecord:
    return CheckpointRecord(
        height,
        _b(f"sidechain/{chain}/header/{height}", 32),
        3 * height + chain,
        _b(f"sidechain/{chain}/outbox/{height}", 32),
        40 + 2 * height + chain,
    )


def sidechains_state() -> SidechainsState:
    """SC-STATE-1: a sidechains state with an entry of every kind: chain 3 with three checkpoints,
    chain 9 with none; chain 3 with two input marks (SC-DSP-20); spent withdrawals, delivered and
    pending messages of both; an open game over chain 3, a payable bond and the next game id
    (SC-DSP-14..17)."""
    spec_3 = SidechainSpec(3, 1, 0, 6, 20, 30, 10**9, 10**6)
    spec_9 = SidechainSpec(9, 2, 1, 4, 12, 18, 2**40, 2**33)
    chains = {
        3: SidechainRecord(
            spec_3,
            31,
            700_000,
            tuple(_checkpoint(3, h) for h in range(3)),
            (InputMark(32, 1, bytes([0x5A]) * 32), InputMark(40, 5, bytes([0xA5]) * 32)),
        ),
        9: SidechainRecord(spec_9, 33, 2**35 + 5, voids=(VoidedInput(45, 1, 49), VoidedInput(46, 0, 50))),
    }
    pending = {
        (3, 1, 0): PendingMessage((3, 1, 0), 9, 1_500, 47, b"\xa1" * 32, 2),
        (3, 2, 7): PendingMessage((3, 2, 7), 9, 2**34, 48, b"", 0),
    }
    opening = DisputeOpening(
        header=SidechainHeader(
            3,
            2,
            b"\x01" * 32,
            1_700_000_002,
            b"\x02" * 32,
            5,
            b"\x03" * 32,
            b"\x04" * 32,
            44,
            b"\x05" * 32,
            b"\x06" * 32,
        ),
        vm_kind=1,
        tx_count=5,
        parent_state_root=b"\x07" * 32,
        gas_limit=1_000_000,
        fee_recipient=b"\x08" * 20,
        federation=(b"\x09" * 48,),
        challenger_trace_root=b"\x0a" * 32,
        challenger_final_root=b"\x0b" * 32,
        challenger_bond=10**8,
        opened_at=46,
        credits=(BlockCredit(b"\x0c" * 32, 77),),
    )
    game = Game(
        opening, 0, 2_000, 2, 5, b"\x0d" * 32, b"\x0e" * 32, b"\x0f" * 32, b"\x10" * 32, 1, 47,
        (100, 90), 3, None,
    )  # fmt: skip
    return SidechainsState(
        chains,
        frozenset({(3, 0, 1), (3, 2, 0)}),
        frozenset({(3, 1, 2), (9, 0, 5)}),
        pending,
        {4: OpenGame(3, game, b"\x11" * 25)},
        6,
        {5: BondPayout(b"\x12" * 25, 10**8)},
    )


def _sidechain_state_cases(preset: Preset) -> Iterator[CaseSpec]:
    """STATE-5 with SC-STATE-1: every sidechain item kind decoded and re-encoded (the root is
    STATE-4 of the decoded state, so an item read into the wrong place changes it), and the
    sidechain items' key and value checks."""
    full = compute_state_items(every_kind_state(preset), preset)
    sidechain = sidechain_items(sidechains_state())
    yield _items_case(
        "sidechain_every_kind",
        "SC-STATE-1: a sidechain record with three checkpoints and two input marks, one without, "
        "spent withdrawals, delivered and pending messages, an open game, a payable bond and the "
        "next game id",
        {**full, **sidechain},
    )

    yield _case(
        "sidechains_from_items",
        "every_kind",
        "SC-STATE-1: the sidechains state decoded from its items alone",
        {"items": _items_json(sidechain)},
    )
    yield _case(
        "sidechains_from_items",
        "no_items",
        "SC-STATE-1: no item is the empty sidechains state (before the fork)",
        {"items": []},
    )
    yield _case(
        "sidechains_from_items",
        "not_a_sidechain_kind",
        "SC-STATE-1: a UTXO-kind item (0x01) is not a sidechain item",
        {"items": _items_json({**sidechain, b"\x01" + bytes(36): b"\x01"})},
        "STATE_ITEM_BAD_KEY",
    )

    def key(kind: int, *parts: int) -> bytes:
        return bytes((kind,)) + b"".join(part.to_bytes(8, "big") for part in parts)

    record_3 = sidechain[key(KIND_SIDECHAIN, 3)]
    checkpoint_1 = sidechain[key(KIND_SIDECHAIN_CHECKPOINT, 3, 1)]
    pending_v = sidechain[key(KIND_PENDING_MESSAGE, 3, 1, 0)]
    invalid: list[tuple[str, str, str, dict[bytes, bytes | None]]] = [
        (
            "record_under_another_id",
            "the record of sidechain 3 under the key of sidechain 4",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN, 3): None, key(KIND_SIDECHAIN, 4): record_3},
        ),
        (
            "record_key_short",
            "a sidechain record key is 1 + 8 bytes",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN, 3): None, key(KIND_SIDECHAIN, 3)[:-1]: record_3},
        ),
        (
            "record_key_long",
            "a sidechain record key is 1 + 8 bytes (a checkpoint key's length under kind 0x10)",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN, 3): None, key(KIND_SIDECHAIN, 3, 0): record_3},
        ),
        (
            "record_trailing_byte",
            "a sidechain record value has no trailing byte",
            "DECODE_TRAILING_BYTES",
            {key(KIND_SIDECHAIN, 3): record_3 + b"\x00"},
        ),
        (
            "checkpoint_gap",
            "checkpoint heights of a chain run 0, 1, 2: height 1 missing",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN_CHECKPOINT, 3, 1): None},
        ),
        (
            "checkpoint_first_missing",
            "checkpoint heights of a chain start at 0",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN_CHECKPOINT, 3, 0): None},
        ),
        (
            "checkpoint_height_mismatch",
            "the checkpoint stored at height 2 names height 1",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN_CHECKPOINT, 3, 2): checkpoint_1},
        ),
        (
            "checkpoint_of_unregistered_chain",
            "a checkpoint of a chain without a record (an orphan)",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN_CHECKPOINT, 5, 0): sidechain[key(KIND_SIDECHAIN_CHECKPOINT, 3, 0)]},
        ),
        (
            "checkpoint_key_short",
            "a checkpoint key is 1 + 16 bytes",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SIDECHAIN_CHECKPOINT, 9, 0)[:-1]: sidechain[key(KIND_SIDECHAIN_CHECKPOINT, 3, 0)]},
        ),
        (
            "spent_marker_not_01",
            "a spent withdrawal's marker is 0x01",
            "STATE_ITEM_BAD_VALUE",
            {key(KIND_SPENT_WITHDRAWAL, 3, 0, 1): b"\x02"},
        ),
        (
            "delivered_marker_empty",
            "a delivered message's marker is 0x01",
            "STATE_ITEM_BAD_VALUE",
            {key(KIND_DELIVERED_MESSAGE, 3, 1, 2): b""},
        ),
        (
            "spent_key_short",
            "a spent withdrawal key is 1 + 24 bytes",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_SPENT_WITHDRAWAL, 3, 0): MARKER},
        ),
        (
            "delivered_key_long",
            "a delivered message key is 1 + 24 bytes",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_DELIVERED_MESSAGE, 3, 1, 2, 0): MARKER},
        ),
        (
            "pending_key_short",
            "a pending message key is 1 + 24 bytes",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_PENDING_MESSAGE, 3, 1): pending_v},
        ),
        (
            "pending_value_short",
            "a pending message value is three u64, the sender and the position u64",
            "DECODE_TRUNCATED",
            {key(KIND_PENDING_MESSAGE, 3, 1, 0): pending_v[:-1]},
        ),
        (
            "unknown_sidechain_kind",
            "kind 0x1a follows the sidechain kinds (0x10..0x19) and is not in the layout",
            "STATE_ITEM_BAD_KEY",
            {key(0x1A, 3): MARKER},
        ),
        (
            "next_game_zero",
            "a stored next game id of 0 (the item is absent while it is 0)",
            "STATE_ITEM_BAD_VALUE",
            {key(KIND_NEXT_GAME): bytes(8)},
        ),
        (
            "input_mark_orphan",
            "an input mark (0x18) of a sidechain without a record",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_INPUT_MARK, 5, 32): sidechain[key(KIND_INPUT_MARK, 3, 32)]},
        ),
        (
            "input_mark_count_not_increasing",
            "an input mark whose count is not above the previous mark's (SC-DSP-20)",
            "STATE_ITEM_BAD_VALUE",
            {key(KIND_INPUT_MARK, 3, 41): sidechain[key(KIND_INPUT_MARK, 3, 40)]},
        ),
        (
            "input_mark_count_zero",
            "a first input mark with count 0 (a mark records at least one input)",
            "STATE_ITEM_BAD_VALUE",
            {key(KIND_INPUT_MARK, 3, 32): bytes(8) + bytes(32)},
        ),
        (
            "voided_input_orphan",
            "a voided input (0x19) of a sidechain without a record (SC-MSG-5)",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_VOIDED_INPUT, 5, 45, 1): sidechain[key(KIND_VOIDED_INPUT, 9, 45, 1)]},
        ),
        (
            "voided_input_value_long",
            "a voided input's value is one u64 (the refund height)",
            "DECODE_TRAILING_BYTES",
            {key(KIND_VOIDED_INPUT, 9, 45, 1): bytes(9)},
        ),
        (
            "input_mark_key_short",
            "an input mark key is 1 + 16 bytes",
            "STATE_ITEM_BAD_KEY",
            {key(KIND_INPUT_MARK, 3): sidechain[key(KIND_INPUT_MARK, 3, 32)]},
        ),
    ]
    for name, meaning, error, extra in invalid:
        items: dict[bytes, bytes] = {**full, **sidechain}
        for k, v in extra.items():
            if v is None:
                del items[k]
            else:
                items[k] = v
        yield _items_case(name, f"SC-STATE-1: {meaning}", items, error)


def _sidechain_key_cases() -> Iterator[CaseSpec]:
    """SC-STATE-1: item keys by kind and u64 parts (the keys ``getproof`` proves)."""
    top = 2**64 - 1
    valid: list[tuple[str, str, int, tuple[int, ...]]] = [
        ("record", "a sidechain record: kind 0x10, the chain id", KIND_SIDECHAIN, (3,)),
        (
            "checkpoint",
            "an accepted checkpoint: chain id, sidechain height",
            KIND_SIDECHAIN_CHECKPOINT,
            (3, 2),
        ),
        ("spent", "a spent withdrawal: chain, checkpoint height, leaf", KIND_SPENT_WITHDRAWAL, (3, 0, 1)),
        (
            "delivered",
            "a delivered message: chain, checkpoint height, leaf",
            KIND_DELIVERED_MESSAGE,
            (9, 0, 5),
        ),
        ("pending", "a pending message: chain, checkpoint height, leaf", KIND_PENDING_MESSAGE, (3, 2, 7)),
        ("input_mark", "an input mark: chain id, mainchain height (SC-DSP-20)", KIND_INPUT_MARK, (3, 40)),
        (
            "voided_input",
            "a voided input: chain id, relay height, position (SC-MSG-5)",
            KIND_VOIDED_INPUT,
            (9, 47, 2),
        ),
        ("dispute_game", "an open dispute game: its id (SC-DSP-14)", KIND_DISPUTE_GAME, (4,)),
        ("bond_payout", "a payable bond: its game id (SC-DSP-17)", KIND_BOND_PAYOUT, (5,)),
        ("next_game", "the next game id: no part (SC-DSP-14)", KIND_NEXT_GAME, ()),
        ("parts_at_zero", "every part 0", KIND_PENDING_MESSAGE, (0, 0, 0)),
        ("parts_at_u64_max", "every part 2^64 - 1 (u64 big-endian)", KIND_SIDECHAIN_CHECKPOINT, (top, top)),
    ]
    for name, meaning, kind, parts in valid:
        sidechain_item_key(kind, *parts)  # the generator's own check: valid
        yield _case(
            "sidechain_item_key", name, f"SC-STATE-1: {meaning}", {"kind": kind, "parts": list(parts)}
        )
    invalid: list[tuple[str, str, int, tuple[int, ...]]] = [
        ("kind_below", "kind 0x0f is not a sidechain item kind", 0x0F, (3,)),
        ("kind_above", "kind 0x1a is not a sidechain item kind", 0x1A, (3, 0, 1)),
        (
            "voided_input_two_parts",
            "a voided input key has three parts (SC-MSG-5)",
            KIND_VOIDED_INPUT,
            (3, 47),
        ),
        ("record_two_parts", "a record key has one part", KIND_SIDECHAIN, (3, 0)),
        ("record_no_part", "a record key has one part", KIND_SIDECHAIN, ()),
        ("checkpoint_one_part", "a checkpoint key has two parts", KIND_SIDECHAIN_CHECKPOINT, (3,)),
        ("checkpoint_three_parts", "a checkpoint key has two parts", KIND_SIDECHAIN_CHECKPOINT, (3, 2, 1)),
        ("spent_two_parts", "a spent withdrawal key has three parts", KIND_SPENT_WITHDRAWAL, (3, 0)),
        ("pending_four_parts", "a pending message key has three parts", KIND_PENDING_MESSAGE, (3, 2, 7, 0)),
        ("part_2_64", "a part of 2^64 is not a u64", KIND_SIDECHAIN, (2**64,)),
        ("part_negative", "a negative part is not a u64", KIND_DELIVERED_MESSAGE, (3, -1, 0)),
        ("last_part_2_64", "the last part out of u64", KIND_SPENT_WITHDRAWAL, (3, 0, 2**64)),
    ]
    for name, meaning, kind, parts in invalid:
        yield _case(
            "sidechain_item_key",
            name,
            f"SC-STATE-1: {meaning}",
            {"kind": kind, "parts": list(parts)},
            "STATE_ITEM_BAD_KEY",
        )
