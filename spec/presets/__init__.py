"""Presets: the consensus constants of each network, loaded from the TOML data files beside this module.

No consensus constant is written inline anywhere in ``spec/``; rules take a :class:`Preset` (or the
single field they need) as an argument. ``mainnet`` is the production network; ``devnet`` has
small values so that tests and local networks run fast. Each value is justified in
``docs/presets.md``.

The files are read once at import time into frozen dataclasses; a malformed file raises
``PRESET_INVALID`` at import, never later.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

from spec.errors import InvalidPreset, UnknownPreset

PRESET_NAMES: tuple[str, ...] = ("mainnet", "devnet")


@dataclass(frozen=True)
class MisbehaviourParams:
    """P2P-SCORE: the misbehaviour score of each violation kind, and the score that bans a peer.

    Field names are the values of :class:`spec.p2p.peers.Violation` (one field per kind).
    """

    ban_threshold: int
    wrong_magic: int
    unknown_command: int
    oversized_message: int
    bad_checksum: int
    malformed_message: int
    too_many_items: int
    handshake_violation: int
    unconnecting_headers: int
    invalid_header: int
    invalid_block: int
    invalid_compact_block: int
    invalid_transaction: int
    unrequested_data: int
    invalid_quorum_message: int
    invalid_snapshot: int


@dataclass(frozen=True)
class GossipsubParams:
    """P2P-LP-7: gossipsub v1.1 mesh, rate and peer-scoring parameters (anchor: the Ethereum
    consensus layer's gossipsub v1.1 settings, thresholds scaled to ``misbehaviour.ban_threshold``).
    All are positive integers; the rule gives the signs (penalties and thresholds are negative)."""

    mesh_degree: int
    mesh_degree_low: int
    mesh_degree_high: int
    heartbeat_ms: int
    max_messages_per_topic_per_second: int
    """Per-peer, per-topic gossip rate; a peer above it has the excess dropped."""
    score_decay_seconds: int
    """A gossip score counter decays to ``decay_to_zero_permille`` / 1000 of its value in this time."""
    decay_to_zero_permille: int
    app_score_weight: int
    """P5 (application-specific score) weight: each P2P-SCORE point counts this much, negatively."""
    invalid_message_weight: int
    """P4 (invalid message deliveries) weight, negative."""
    gossip_threshold: int
    publish_threshold: int
    graylist_threshold: int
    accept_px_threshold: int


@dataclass(frozen=True)
class NetworkParams:
    """P2P framing, message limits, Kademlia and peer limits (spec/p2p/, docs/p2p.md)."""

    magic: bytes
    max_message_bytes: int
    protocol_version: int
    min_protocol_version: int
    max_user_agent_bytes: int
    max_headers_per_message: int
    max_inv_items: int
    max_locator_hashes: int
    max_addr_items: int
    kademlia_k: int
    kademlia_alpha: int
    node_id_bits: int
    max_outbound: int
    max_inbound: int
    pruned_serve_blocks: int
    """P2P-PRUNE-1: a pruned node (``SERVICE_PRUNED``) serves the bodies of at least its last this
    many best-chain blocks (Bitcoin's ``NODE_NETWORK_LIMITED_MIN_BLOCKS``)."""
    misbehaviour: MisbehaviourParams
    gossipsub: GossipsubParams


@dataclass(frozen=True)
class EncodingParams:
    """Upper bounds used by decoders before they allocate (ENC-3)."""

    max_bytes_field: int
    max_list_items: int


@dataclass(frozen=True)
class QuorumParams:
    """Masternode quorum bounds."""

    max_members: int


@dataclass(frozen=True)
class DkgParams:
    """Distributed key generation sessions (spec/masternode/dkg.py): phase lengths in blocks (DKG-2)
    and the smallest quorum that may run one (DKG-1). The largest is ``quorum.max_members``."""

    contribution_blocks: int
    complaint_blocks: int
    justification_blocks: int
    finalization_blocks: int
    min_members: int


@dataclass(frozen=True)
class LedgerParams:
    """Transaction and UTXO rules (spec/ledger)."""

    atoms_per_coin: int
    max_money: int
    coinbase_maturity: int
    max_transaction_bytes: int
    max_inputs_plus_outputs: int
    lock_time_threshold: int


@dataclass(frozen=True)
class MempoolParams:
    """Relay policy of the mempool (spec/ledger/mempool.py); not consensus."""

    max_mempool_bytes: int
    min_fee_rate: int
    incremental_fee_rate: int
    dust_limit: int


@dataclass(frozen=True)
class ScriptParams:
    """FerrisScript v1 limits (spec/script.py, docs/script.md)."""

    max_script_bytes: int
    max_ops: int
    max_stack_items: int
    max_element_bytes: int
    max_pubkeys_per_multisig: int
    max_sigops_per_tx: int


@dataclass(frozen=True)
class WasmVmParams:
    """The WASM sidechain VM's limits and fuel schedule (spec/vm/wasm.py, docs/vm.md#wasm)."""

    max_code_bytes: int
    max_memory_pages: int
    max_table_elements: int
    max_call_data_bytes: int
    max_storage_key_bytes: int
    max_storage_value_bytes: int
    max_event_bytes: int
    max_events: int
    tx_base_fuel: int
    deploy_fuel_per_byte: int
    host_call_fuel: int
    host_byte_fuel: int
    storage_write_fuel: int
    max_wasm_stack_bytes: int
    max_tx_fuel: int
    block_fuel_limit: int


_WASM_VM_INTS = tuple(WasmVmParams.__dataclass_fields__)


def _wasm_vm_params(section: dict[str, Any]) -> WasmVmParams:
    """The [vm_wasm] section: every field a positive integer."""
    return WasmVmParams(**{name: _positive_int(section, name) for name in _WASM_VM_INTS})


@dataclass(frozen=True)
class EvmParams:
    """EVM sidechains (spec/vm/evm.py, docs/vm.md#evm): EVM-5's chain id and base fee, EVM-6's
    withdrawal system address and its gas, SCB-3's per-transaction and per-block gas limits."""

    chain_id_base: int
    base_fee_per_gas: int
    withdrawal_address: bytes
    withdrawal_gas: int
    max_tx_gas: int
    block_gas_limit: int


@dataclass(frozen=True)
class FerrisVmParams:
    """The FerrisScript sidechain VM (spec/vm/ferris.py, docs/sidechain-blocks.md, VMF-*)."""

    max_transaction_bytes: int
    max_payload_bytes: int
    base_gas: int
    gas_per_byte: int
    min_gas_price: int
    max_tx_gas: int
    block_gas_limit: int


@dataclass(frozen=True)
class DisputeParams:
    """Sidechain fraud-proof games (spec/sidechain/dispute.py, docs/disputes.md): SC-DSP-2's bonds,
    SC-DSP-4's per-move deadline and per-side chess clock, SC-DSP-6's burnt share of the loser's bond
    (basis points)."""

    min_challenger_bond: int
    defender_bond: int
    move_blocks: int
    clock_blocks: int
    burn_share_bps: int
    max_opening_credits: int
    """SC-DSP-14: the most block credits a dispute opening transaction may list."""
    max_payout_script_bytes: int
    """SC-DSP-14: the longest payout script a dispute opening may name."""
    winner_reward: int
    """SC-DSP-25: the most a settled revert pays its winner out of the collateral it slashed (before
    the burnt share ``burn_share_bps``)."""


@dataclass(frozen=True)
class SnapshotParams:
    """State snapshot chunking (spec/ledger/snapshot.py)."""

    chunk_entries: int


@dataclass(frozen=True)
class ChainParams:
    """Headers, proof of work and block limits (spec/chain/)."""

    target_block_seconds: int
    retarget_interval: int
    max_retarget_factor: int
    pow_limit_bits: int
    median_time_blocks: int
    max_future_block_seconds: int
    max_block_bytes: int
    genesis_timestamp: int


@dataclass(frozen=True)
class RewardParams:
    """Emission and its split (spec/chain/rewards.py); the four shares sum to 10,000 basis points."""

    initial_subsidy: int
    halving_interval: int
    miner_share_bps: int
    stakers_share_bps: int
    masternode_share_bps: int
    treasury_share_bps: int


@dataclass(frozen=True)
class TicketParams:
    """Proof-of-stake tickets and votes (spec/chain/tickets.py)."""

    voters_per_block: int
    min_votes: int
    ticket_maturity: int
    ticket_expiry: int
    price_interval: int
    initial_ticket_price: int
    min_ticket_price: int
    max_ticket_price: int
    target_pool_size: int
    max_tickets_per_block: int


@dataclass(frozen=True)
class MasternodeParams:
    """Masternode collateral, proof of service (PoSe) and quorum types (spec/masternode/)."""

    collateral: int
    pose_penalty: int
    pose_ban_threshold: int
    pose_decay_per_block: int
    pose_quorum_size: int
    pose_quorum_interval: int
    pose_response_blocks: int
    """POSE-4: blocks a challenged masternode has to answer (below ``pose_quorum_interval``)."""
    pose_challengers_per_target: int
    """POSE-11: members of the PoSe quorum that challenge one target (a deterministic subset)."""
    finality_share_window: int
    """POSE-9: heights of a PoSe term whose finality signature shares its quorum judges."""
    finality_share_grace: int
    """POSE-9: blocks after the window before the verdict (shares still in flight count)."""
    finality_share_tolerance: int
    """POSE-10: finalized heights of the window a member may miss without a penalty."""
    unbonding_blocks: int
    """MN-8: blocks after its unbond message or ban before a collateral may be spent."""
    finality_quorum_size: int
    finality_quorum_interval: int
    min_quorum_members: int


@dataclass(frozen=True)
class GovernableParameter:
    """GOV-1: one whitelisted ``"section.field"`` a PARAMETER_CHANGE proposal may set, and its range."""

    name: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class GovernanceParams:
    """Proposals, votes, tallies and superblocks (spec/governance/)."""

    proposal_fee: int
    superblock_interval: int
    voting_period: int
    activation_delay: int
    participation_bps: int
    approval_bps: int
    governable: tuple[GovernableParameter, ...]
    sidechain_proposals: bool = False
    """SC-REG-1: whether GOV-0 accepts the CREATE_SIDECHAIN action (tag 2); never in a preset file,
    set by fork ``sidechains``'s ``governance_preset`` hook."""


@dataclass(frozen=True)
class SidechainPresetParams:
    """SC-REG-1: the bounds a sidechain proposal's fields must respect (fork ``sidechains``,
    spec/sidechain/, docs/sidechains.md)."""

    max_sidechain_id: int
    min_peg_in_depth: int
    max_peg_in_depth: int
    min_challenge_period: int
    max_challenge_period: int
    min_message_timeout: int
    max_message_timeout: int
    max_outbox_proof_hashes: int
    proposer_timeout_blocks: int
    """SC-LIVE-1: mainchain blocks a proposer round of a sidechain height lasts before the next
    member's turn (spec/sidechain/liveness.py)."""
    max_blocks_per_request: int
    """P2P-SC-3: the most sidechain blocks one ``GetSidechainBlocks`` asks for."""
    max_block_inputs: int
    """SC-BLK-7: the most inputs (deposits, relays, bounces) one mainchain block may hand one
    sidechain; below ``dispute.max_opening_credits`` (SC-CP-8, SC-MSG-6: docs/disputes.md)."""


@dataclass(frozen=True)
class Deployment:
    """UPG-2..5: how a fork is voted in by ticket votes (Decred's agenda voting, docs/upgrades.md).

    The agenda's choice is the 2-bit field at ``vote_bit`` of each ticket vote's vote bits
    (``vote_bit`` is 1, 3 or 5: bit 0 is the approve/reject bit of POS-4). Windows are the heights
    ``[k * window_blocks, (k + 1) * window_blocks)``; the state changes only at a window's first block.
    A window locks the agenda in when its yes and no votes number at least ``quorum_votes`` and
    ``yes * 10,000 >= threshold_bps * (yes + no)``; it fails it when the no votes meet the same
    threshold, or at the first window starting at or after ``expiry_height``.
    """

    agenda_id: str
    vote_bit: int
    window_blocks: int
    quorum_votes: int
    threshold_bps: int
    start_height: int
    expiry_height: int


@dataclass(frozen=True)
class ForkParams:
    """UPG-1: one named fork of the preset, in activation order (fork 0 has no deployment).

    ``governable`` lists the parameters a fork adds to the GOV-1 whitelist once it is in force.
    """

    name: str
    deployment: Deployment | None
    governable: tuple[GovernableParameter, ...]


@dataclass(frozen=True)
class Preset:
    """All consensus constants of one network."""

    name: str
    network: NetworkParams
    encoding: EncodingParams
    quorum: QuorumParams
    dkg: DkgParams
    ledger: LedgerParams
    mempool: MempoolParams
    snapshot: SnapshotParams
    chain: ChainParams
    rewards: RewardParams
    tickets: TicketParams
    script: ScriptParams
    masternodes: MasternodeParams
    governance: GovernanceParams
    vm_wasm: WasmVmParams
    evm: EvmParams
    vm_ferris: FerrisVmParams
    sidechains: SidechainPresetParams
    dispute: DisputeParams
    forks: tuple[ForkParams, ...] = ()

    def __hash__(self) -> int:
        """The dataclass field hash, computed once per object (fields never change).

        Presets key the codec caches (``codecs(preset)`` and its kin), which are looked up for every
        transaction; re-hashing the whole nested dataclass each time cost about 7% of a block's
        validation (issue 14). Equality stays the generated field-by-field comparison.
        """
        cached: int | None = self.__dict__.get("_field_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, field.name) for field in fields(self)))
            object.__setattr__(self, "_field_hash", cached)
        return cached


def _section(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise InvalidPreset(f"missing section [{key}]")
    return value


def _positive_int(section: dict[str, Any], key: str) -> int:
    value = section.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidPreset(f"{key} must be a positive integer, got {value!r}")
    return value


def _hex_bytes(section: dict[str, Any], key: str, length: int) -> bytes:
    value = section.get(key)
    if not isinstance(value, str):
        raise InvalidPreset(f"{key} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise InvalidPreset(f"{key} is not hex: {value!r}") from None
    if len(raw) != length:
        raise InvalidPreset(f"{key} must be {length} bytes")
    return raw


def _evm_params(section: dict[str, Any]) -> EvmParams:
    """The [evm] section (EVM-5, EVM-6)."""
    return EvmParams(
        chain_id_base=_positive_int(section, "chain_id_base"),
        base_fee_per_gas=_positive_int(section, "base_fee_per_gas"),
        withdrawal_address=_hex_bytes(section, "withdrawal_address", 20),
        withdrawal_gas=_positive_int(section, "withdrawal_gas"),
        max_tx_gas=_positive_int(section, "max_tx_gas"),
        block_gas_limit=_positive_int(section, "block_gas_limit"),
    )


def _dispute_params(section: dict[str, Any]) -> DisputeParams:
    """The [dispute] section (SC-DSP-2, SC-DSP-4, SC-DSP-6): the burnt share is at most 100%."""
    params = DisputeParams(
        min_challenger_bond=_positive_int(section, "min_challenger_bond"),
        defender_bond=_positive_int(section, "defender_bond"),
        move_blocks=_positive_int(section, "move_blocks"),
        clock_blocks=_positive_int(section, "clock_blocks"),
        burn_share_bps=_positive_int(section, "burn_share_bps"),
        max_opening_credits=_positive_int(section, "max_opening_credits"),
        max_payout_script_bytes=_positive_int(section, "max_payout_script_bytes"),
        winner_reward=_positive_int(section, "winner_reward"),
    )
    if params.burn_share_bps > 10_000:
        raise InvalidPreset("dispute.burn_share_bps is above 10000 (100%)")
    return params


def _script_params(section: dict[str, Any]) -> ScriptParams:
    """The [script] section, with its invariants: an element fits a script, and a bare multisig
    (counted at max_pubkeys_per_multisig sigops, SCRIPT-9) fits the sigop budget."""
    params = ScriptParams(
        max_script_bytes=_positive_int(section, "max_script_bytes"),
        max_ops=_positive_int(section, "max_ops"),
        max_stack_items=_positive_int(section, "max_stack_items"),
        max_element_bytes=_positive_int(section, "max_element_bytes"),
        max_pubkeys_per_multisig=_positive_int(section, "max_pubkeys_per_multisig"),
        max_sigops_per_tx=_positive_int(section, "max_sigops_per_tx"),
    )
    if params.max_element_bytes > params.max_script_bytes:
        raise InvalidPreset("script.max_element_bytes exceeds script.max_script_bytes")
    if params.max_pubkeys_per_multisig > params.max_sigops_per_tx:
        raise InvalidPreset("script.max_pubkeys_per_multisig exceeds script.max_sigops_per_tx")
    return params


_CHAIN_INTS = (
    "target_block_seconds",
    "retarget_interval",
    "max_retarget_factor",
    "median_time_blocks",
    "max_future_block_seconds",
    "max_block_bytes",
    "genesis_timestamp",
)
_TICKET_INTS = tuple(f.name for f in fields(TicketParams))


def _rewards(section: dict[str, Any]) -> RewardParams:
    params = RewardParams(**{f.name: _positive_int(section, f.name) for f in fields(RewardParams)})
    shares = (
        params.miner_share_bps
        + params.stakers_share_bps
        + params.masternode_share_bps
        + params.treasury_share_bps
    )
    if shares != 10_000:
        raise InvalidPreset(f"reward shares sum to {shares} basis points, not 10,000")
    return params


def _dkg_params(section: dict[str, Any], max_members: int) -> DkgParams:
    """The [dkg] section, with its invariant: the smallest DKG quorum fits the largest quorum."""
    params = DkgParams(**{f.name: _positive_int(section, f.name) for f in fields(DkgParams)})
    if params.min_members > max_members:
        raise InvalidPreset("dkg.min_members exceeds quorum.max_members")
    return params


_MASTERNODE_INTS = tuple(f.name for f in fields(MasternodeParams))
_GOVERNANCE_INTS = tuple(
    f.name for f in fields(GovernanceParams) if f.name not in ("governable", "sidechain_proposals")
)
BASIS_POINTS = 10_000


def _masternodes(section: dict[str, Any], max_members: int) -> MasternodeParams:
    """The [masternodes] section: every quorum fits ``quorum.max_members`` and the minimum size."""
    params = MasternodeParams(**{name: _positive_int(section, name) for name in _MASTERNODE_INTS})
    for size in (params.pose_quorum_size, params.finality_quorum_size):
        if not params.min_quorum_members <= size <= max_members:
            raise InvalidPreset(f"quorum size {size} outside [min_quorum_members, quorum.max_members]")
    if params.pose_response_blocks >= params.pose_quorum_interval:
        raise InvalidPreset("masternodes.pose_response_blocks must be below pose_quorum_interval (POSE-4)")
    if params.finality_share_window + params.finality_share_grace >= params.pose_quorum_interval:
        raise InvalidPreset(
            "masternodes.finality_share_window + finality_share_grace must be below"
            " pose_quorum_interval (POSE-9)"
        )
    if params.finality_share_tolerance >= params.finality_share_window:
        raise InvalidPreset(
            "masternodes.finality_share_tolerance must be below finality_share_window (POSE-10)"
        )
    return params


def _governable(
    section: dict[str, Any], table: str = "governance.governable"
) -> tuple[GovernableParameter, ...]:
    raw = section.get("governable")
    if not isinstance(raw, dict):
        raise InvalidPreset(f"missing table [{table}]")
    found: list[GovernableParameter] = []
    for name in sorted(raw):
        bounds = raw[name]
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in bounds)
            or bounds[0] > bounds[1]
        ):
            raise InvalidPreset(f"governable {name!r} must be [minimum, maximum] positive integers")
        found.append(GovernableParameter(name, bounds[0], bounds[1]))
    return tuple(found)


def _governance(section: dict[str, Any]) -> GovernanceParams:
    """The [governance] section: thresholds are basis points, at most 10,000."""
    ints = {name: _positive_int(section, name) for name in _GOVERNANCE_INTS}
    params = GovernanceParams(
        proposal_fee=ints["proposal_fee"],
        superblock_interval=ints["superblock_interval"],
        voting_period=ints["voting_period"],
        activation_delay=ints["activation_delay"],
        participation_bps=ints["participation_bps"],
        approval_bps=ints["approval_bps"],
        governable=_governable(section),
    )
    if max(params.participation_bps, params.approval_bps) > BASIS_POINTS:
        raise InvalidPreset("governance thresholds exceed 10,000 basis points")
    return params


def preset_parameter(preset: Preset, name: str) -> int | None:
    """The integer value of ``"section.field"`` in ``preset``, or ``None`` if no such integer field exists."""
    section_name, _, field_name = name.partition(".")
    sections = {f.name for f in fields(Preset)} - {"name"}
    section = getattr(preset, section_name) if section_name in sections else None
    if section is None or field_name not in {f.name for f in fields(section)}:
        return None
    value = getattr(section, field_name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_governable(preset: Preset) -> Preset:
    """Every governable name (also those a fork adds) is an integer field of the preset, and its
    current value is in range."""
    added = tuple(parameter for fork in preset.forks for parameter in fork.governable)
    for parameter in (*preset.governance.governable, *added):
        value = preset_parameter(preset, parameter.name)
        if value is None:
            raise InvalidPreset(f"governable {parameter.name!r} is not an integer preset field")
        if not parameter.minimum <= value <= parameter.maximum:
            raise InvalidPreset(f"{parameter.name} = {value} lies outside its governable range")
    return preset


def _sidechains(section: dict[str, Any]) -> SidechainPresetParams:
    """The [sidechains] section: every bound positive, every minimum at most its maximum."""
    params = SidechainPresetParams(
        **{f.name: _positive_int(section, f.name) for f in fields(SidechainPresetParams)}
    )
    for low, high in (
        (params.min_peg_in_depth, params.max_peg_in_depth),
        (params.min_challenge_period, params.max_challenge_period),
        (params.min_message_timeout, params.max_message_timeout),
    ):
        if low > high:
            raise InvalidPreset("a [sidechains] minimum exceeds its maximum")
    return params


VOTE_CHOICE_BITS = (1, 3, 5)
"""UPG-2: the possible lowest bits of an agenda's 2-bit choice field in a vote's 8 vote bits."""
_DEPLOYMENT_INTS = tuple(f.name for f in fields(Deployment) if f.name != "agenda_id")


def _deployment(section: dict[str, Any], name: str, max_votes_per_window: int) -> Deployment:
    """A fork's deployment: a known vote bit, a quorum a window can reach, a threshold above one
    half (so yes and no cannot both reach it), a start before the expiry."""
    agenda_id = section.get("agenda_id")
    if not isinstance(agenda_id, str) or not agenda_id:
        raise InvalidPreset(f"forks.{name}.agenda_id must be a non-empty string")
    deployment = Deployment(
        agenda_id=agenda_id,
        **{key: _positive_int(section, key) for key in _DEPLOYMENT_INTS if key != "start_height"},
        start_height=section.get("start_height", -1),
    )
    start = deployment.start_height
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise InvalidPreset(f"forks.{name}.start_height must be a non-negative integer")
    if deployment.vote_bit not in VOTE_CHOICE_BITS:
        raise InvalidPreset(f"forks.{name}.vote_bit must be one of {VOTE_CHOICE_BITS}")
    if deployment.quorum_votes > deployment.window_blocks * max_votes_per_window:
        raise InvalidPreset(f"forks.{name}.quorum_votes cannot be reached in one window")
    if not 5000 < deployment.threshold_bps <= BASIS_POINTS:
        raise InvalidPreset(f"forks.{name}.threshold_bps must be in (5000, 10000]")
    if deployment.start_height >= deployment.expiry_height:
        raise InvalidPreset(f"forks.{name}.start_height must be below expiry_height")
    return deployment


def _forks(raw: dict[str, Any], voters_per_block: int) -> tuple[ForkParams, ...]:
    """The [forks] section: ``order`` names every fork, fork 0 first and without a deployment; each
    later fork has a ``[forks.<name>]`` table with its deployment and optional ``governable`` table;
    agenda ids and vote bits are distinct."""
    section = _section(raw, "forks")
    order = section.get("order")
    if not isinstance(order, list) or not order or not all(isinstance(n, str) and n for n in order):
        raise InvalidPreset("forks.order must be a non-empty list of fork names")
    if len(set(order)) != len(order):
        raise InvalidPreset("forks.order names a fork twice")
    forks = [ForkParams(order[0], None, ())]
    if order[0] in section:
        raise InvalidPreset(f"fork 0 ({order[0]}) is in force from genesis and has no deployment")
    for name in order[1:]:
        table = _section(section, name)
        governable = _governable(table, f"forks.{name}.governable") if "governable" in table else ()
        forks.append(ForkParams(name, _deployment(table, name, voters_per_block), governable))
    deployments = [f.deployment for f in forks if f.deployment is not None]
    if len({d.agenda_id for d in deployments}) != len(deployments):
        raise InvalidPreset("two forks share an agenda id")
    if len({d.vote_bit for d in deployments}) != len(deployments):
        raise InvalidPreset("two forks share a vote bit")
    return tuple(forks)


_NETWORK_INTS = tuple(
    f.name
    for f in fields(NetworkParams)
    if f.name not in ("magic", "max_message_bytes", "misbehaviour", "gossipsub")
)


def _network_params(section: dict[str, Any], max_block_bytes: int) -> NetworkParams:
    """The [network] section and its [network.misbehaviour] table, with their invariants: a payload
    of ``max_message_bytes`` (the bound is on the payload, not the frame prefix) holds the largest
    block, the minimum protocol version is not above the own one, node ids are whole bytes, and
    Kademlia's alpha is at most k."""
    scores = section.get("misbehaviour")
    if not isinstance(scores, dict):
        raise InvalidPreset("missing table [network.misbehaviour]")
    gossipsub = section.get("gossipsub")
    if not isinstance(gossipsub, dict):
        raise InvalidPreset("missing table [network.gossipsub]")
    params = NetworkParams(
        magic=_hex_bytes(section, "magic", 4),
        max_message_bytes=_positive_int(section, "max_message_bytes"),
        **{name: _positive_int(section, name) for name in _NETWORK_INTS},
        misbehaviour=MisbehaviourParams(
            **{f.name: _positive_int(scores, f.name) for f in fields(MisbehaviourParams)}
        ),
        gossipsub=GossipsubParams(
            **{f.name: _positive_int(gossipsub, f.name) for f in fields(GossipsubParams)}
        ),
    )
    mesh = params.gossipsub
    if not mesh.mesh_degree_low <= mesh.mesh_degree <= mesh.mesh_degree_high:
        raise InvalidPreset("network.gossipsub needs mesh_degree_low <= mesh_degree <= mesh_degree_high")
    if mesh.decay_to_zero_permille >= 1000:
        raise InvalidPreset("network.gossipsub.decay_to_zero_permille must be below 1000")
    if not mesh.gossip_threshold <= mesh.publish_threshold <= mesh.graylist_threshold:
        raise InvalidPreset("network.gossipsub thresholds must deepen: gossip <= publish <= graylist")
    if params.max_message_bytes < max_block_bytes:
        raise InvalidPreset("network.max_message_bytes cannot carry a block of chain.max_block_bytes")
    if params.min_protocol_version > params.protocol_version:
        raise InvalidPreset("network.min_protocol_version exceeds network.protocol_version")
    if params.node_id_bits % 8 != 0:
        raise InvalidPreset("network.node_id_bits must be a multiple of 8")
    if params.kademlia_alpha > params.kademlia_k:
        raise InvalidPreset("network.kademlia_alpha exceeds network.kademlia_k")
    return params


def parse_preset(text: str) -> Preset:
    """Parse and check one preset file's TOML text."""
    try:
        raw = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, over-long integers, deep nesting
        raise InvalidPreset(f"not TOML: {type(exc).__name__}") from None
    name = raw.get("name")
    if not isinstance(name, str):
        raise InvalidPreset("name must be a string")
    network = _section(raw, "network")
    encoding = _section(raw, "encoding")
    quorum = _section(raw, "quorum")
    ledger = _section(raw, "ledger")
    mempool = _section(raw, "mempool")
    snapshot = _section(raw, "snapshot")
    chain = _section(raw, "chain")
    tickets = _section(raw, "tickets")
    script = _section(raw, "script")
    preset = Preset(
        name=name,
        network=_network_params(network, _positive_int(chain, "max_block_bytes")),
        encoding=EncodingParams(
            max_bytes_field=_positive_int(encoding, "max_bytes_field"),
            max_list_items=_positive_int(encoding, "max_list_items"),
        ),
        quorum=QuorumParams(max_members=_positive_int(quorum, "max_members")),
        dkg=_dkg_params(_section(raw, "dkg"), _positive_int(quorum, "max_members")),
        ledger=LedgerParams(
            atoms_per_coin=_positive_int(ledger, "atoms_per_coin"),
            max_money=_positive_int(ledger, "max_money"),
            coinbase_maturity=_positive_int(ledger, "coinbase_maturity"),
            max_transaction_bytes=_positive_int(ledger, "max_transaction_bytes"),
            max_inputs_plus_outputs=_positive_int(ledger, "max_inputs_plus_outputs"),
            lock_time_threshold=_positive_int(ledger, "lock_time_threshold"),
        ),
        mempool=MempoolParams(
            max_mempool_bytes=_positive_int(mempool, "max_mempool_bytes"),
            min_fee_rate=_positive_int(mempool, "min_fee_rate"),
            incremental_fee_rate=_positive_int(mempool, "incremental_fee_rate"),
            dust_limit=_positive_int(mempool, "dust_limit"),
        ),
        snapshot=SnapshotParams(chunk_entries=_positive_int(snapshot, "chunk_entries")),
        chain=ChainParams(
            **{name: _positive_int(chain, name) for name in _CHAIN_INTS},
            pow_limit_bits=int.from_bytes(_hex_bytes(chain, "pow_limit_bits", 4), "big"),
        ),
        rewards=_rewards(_section(raw, "rewards")),
        tickets=TicketParams(**{name: _positive_int(tickets, name) for name in _TICKET_INTS}),
        script=_script_params(script),
        masternodes=_masternodes(_section(raw, "masternodes"), _positive_int(quorum, "max_members")),
        governance=_governance(_section(raw, "governance")),
        vm_wasm=_wasm_vm_params(_section(raw, "vm_wasm")),
        evm=_evm_params(_section(raw, "evm")),
        vm_ferris=_vm_ferris(_section(raw, "vm_ferris")),
        sidechains=_sidechains(_section(raw, "sidechains")),
        dispute=_dispute_params(_section(raw, "dispute")),
        forks=_forks(raw, _positive_int(tickets, "voters_per_block")),
    )
    if preset.sidechains.max_block_inputs >= preset.dispute.max_opening_credits:
        # SC-CP-8 / SC-MSG-6: one mainchain height must fit in a cursor range with room to spare
        raise InvalidPreset("sidechains.max_block_inputs is not below dispute.max_opening_credits")
    return _check_governable(preset)


_FERRIS_INTS = (
    "max_transaction_bytes",
    "max_payload_bytes",
    "base_gas",
    "gas_per_byte",
    "min_gas_price",
    "max_tx_gas",
    "block_gas_limit",
)


def _vm_ferris(section: dict[str, Any]) -> FerrisVmParams:
    """The [vm_ferris] section, with its invariants: a payload fits a transaction, a transaction's
    gas fits the block."""
    params = FerrisVmParams(**{name: _positive_int(section, name) for name in _FERRIS_INTS})
    if params.max_payload_bytes > params.max_transaction_bytes:
        raise InvalidPreset("vm_ferris.max_payload_bytes exceeds vm_ferris.max_transaction_bytes")
    if params.max_tx_gas > params.block_gas_limit:
        raise InvalidPreset("vm_ferris.max_tx_gas exceeds vm_ferris.block_gas_limit")
    return params


def _load(name: str) -> Preset:
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    preset = parse_preset(text)
    if preset.name != name:
        raise InvalidPreset(f"file {name}.toml names itself {preset.name!r}")
    return preset


MAINNET: Preset = _load("mainnet")
DEVNET: Preset = _load("devnet")
_BY_NAME: dict[str, Preset] = {"mainnet": MAINNET, "devnet": DEVNET}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; raise ``PRESET_UNKNOWN`` otherwise."""
    preset = _BY_NAME.get(name)
    if preset is None:
        raise UnknownPreset(f"no preset named {name!r}; known: {', '.join(PRESET_NAMES)}")
    return preset
