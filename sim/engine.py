"""The network scenario: mining, block relay, fork choice and finality on SimPy (docs/simulation.md).

What runs as spec code, per simulated node:

* every block is a real ``BlockHeader`` whose id is ``spec.chain.block.block_hash`` and whose work is
  ``spec.chain.pow.work_of_target`` of its ``bits``; the proof of work itself is not ground (a
  block is *found* by an exponential clock with the miners' hash shares);
* miners, masternodes and eclipse victims keep a block index and choose their tip with
  ``spec.chain.forkchoice.choose_tip`` under their finalized block, and every tip switch goes
  through ``check_reorganisation`` (a ``FinalityViolation`` is counted, it must stay 0);
* finality follows FIN-1..4: the quorum in charge of a height is ``finality_quorum_height`` of it,
  chosen by ``select_quorum`` from a real ``MasternodeList``; a member signs its new tip iff
  ``may_sign_finality`` allows it and the tip keeps its finalized block; ``t`` shares make a
  certificate (a real BLS signature over ``finality_message``), and a node adopts what
  ``newest_finalized`` returns. The DKG of each quorum is assumed to succeed here (the ``dkg``
  scenario runs the real DKG); certificate verification, a pure function, is memoised by input
  during a run (3.7 ms per pairing check would otherwise dominate: one check per certificate
  instead of one per node);
* block relay costs the bytes of real frames (:mod:`sim.relay`).

SimPy schedules mining, every delivery to a tracked node, signature shares, certificates and
their delivery; the flood of one block over the whole graph is :func:`sim.network.flood`.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import math
import random
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import simpy

import spec.chain.forkchoice as forkchoice
from sim.network import INF, Cut, Edges, Topology, build_topology, flood, link_delays, percentile
from sim.relay import RelaySizes, relay_sizes
from sim.scenario import Scenario, ScenarioError
from spec.chain.block import BlockHeader, block_hash
from spec.chain.forkchoice import (
    BlockIndexEntry,
    FinalityCertificate,
    check_reorganisation,
    choose_tip,
    finality_message,
    is_ancestor,
    newest_finalized,
)
from spec.chain.pow import target_from_bits, work_of_target
from spec.crypto import bls
from spec.errors import FinalityViolation
from spec.ledger.transaction import OutPoint
from spec.masternode.finality import dkg_length, finality_quorum_height, may_sign_finality
from spec.masternode.quorum import QuorumType, select_quorum
from spec.masternode.registry import MasternodeEntry, MasternodeList, MasternodeStatus
from spec.presets import Preset, get_preset

GENESIS_MINER = -1
ATTACKER = -2
SMALL_HOP_SECONDS = 0.005
"""Processing time of a small message (share, certificate) at each hop."""


def _r(value: float) -> float | None:
    """A float for the report: 6 significant decimals, ``None`` for infinity (JSON has none)."""
    return None if math.isinf(value) or math.isnan(value) else round(value, 6)


@dataclass
class SimBlock:
    entry: BlockIndexEntry
    miner: int
    time: float
    arrival: array[float]
    private: bool = False


@dataclass
class View:
    """A tracked node's fork-choice state (what a reference node keeps)."""

    index: dict[bytes, BlockIndexEntry]
    tips: dict[bytes, None]
    tip: bytes
    finalized: bytes | None = None
    last_signed: int | None = None
    certificates: list[FinalityCertificate] = field(default_factory=list)
    pending: list[FinalityCertificate] = field(default_factory=list)
    reorgs: int = 0
    max_reorg_depth: int = 0
    last_reorg: float = 0.0
    reorg_log: list[tuple[float, int]] = field(default_factory=list)


@dataclass
class Quorum:
    base: bytes
    members: tuple[int, ...]
    threshold: int
    secret_key: bytes
    public_key: bytes


@dataclass
class CertificateState:
    shares: list[tuple[float, int]] = field(default_factory=list)
    arrivals: dict[int, list[float]] = field(default_factory=dict)
    """Per quorum member: when each share reaches it, ascending."""
    token: int = 0
    due: float = INF
    formed: float = INF


@contextlib.contextmanager
def memoised_certificate_checks() -> Iterator[None]:
    """Memoise ``verify_finality_certificate`` (pure) inside fork choice while a run lasts."""
    original = forkchoice.verify_finality_certificate
    forkchoice.verify_finality_certificate = lru_cache(maxsize=None)(original)
    try:
        yield
    finally:
        forkchoice.verify_finality_certificate = original


class NetworkSimulation:
    """One run of a ``network`` scenario with one seed."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.preset: Preset = get_preset(scenario.preset)
        net = self.preset.network
        self.topology: Topology = build_topology(
            scenario, net.max_outbound, net.max_inbound, self._rng("topology")
        )
        n = scenario.nodes
        pick = self._rng("roles")
        order = list(range(n))
        pick.shuffle(order)
        if scenario.miners_per_region or scenario.masternodes_per_region:
            order = self._placed(order)
        self.miners = order[: scenario.miners]
        shares = scenario.hash_shares or tuple(0.8**i for i in range(scenario.miners))
        total = sum(shares)
        self.hash_shares = [s / total for s in shares]
        self.masternodes = order[scenario.miners : scenario.miners + scenario.masternodes]
        self.victims: list[int] = []
        self.cuts: list[Cut] = []
        self.eclipse: tuple[float, float, float] | None = None
        for attack in scenario.attacks:
            if attack.kind == "partition":
                names = set(attack.regions)
                side = [scenario.regions[r].name in names for r in self.topology.regions]
                self.cuts.append(Cut(attack.start_seconds, attack.end_seconds, _crossing(side)))
                self.partition_side = side
            else:
                start = scenario.miners + scenario.masternodes
                self.victims = order[start : start + attack.victims]
                victim = [False] * n
                for v in self.victims:
                    victim[v] = True
                self.cuts.append(Cut(attack.start_seconds, attack.end_seconds, _touching(victim)))
                self.eclipse = (attack.start_seconds, attack.end_seconds, attack.hash_share)
        self.tracked = sorted({*self.miners, *self.masternodes, *self.victims})
        self.mn_set = set(self.masternodes)
        self.mn_node = {self._collateral(i): node for i, node in enumerate(self.masternodes)}
        self.mn_list = MasternodeList(
            {
                self._collateral(i): MasternodeEntry(
                    collateral=self._collateral(i),
                    operator_public_key=hashlib.sha256(b"op" + i.to_bytes(4, "little")).digest() + bytes(16),
                    owner_public_key=bytes(32),
                    payout_script=b"\x51",
                    address=bytes(4),
                    port=18444,
                    status=MasternodeStatus.ACTIVE,
                    registered_height=0,
                    pose_score=0,
                    last_paid_height=None,
                    last_penalty_quorum_height=None,
                )
                for i in range(len(self.masternodes))
            }
        )
        self.offline = self._churn()
        self.sizes: RelaySizes = relay_sizes(
            scenario.block_transactions, scenario.missing_per_miss, scenario.preset
        )
        self.block_edges = self._block_edges()
        self.small_edges = link_delays(self.topology, lambda lat, bw: (lat + SMALL_HOP_SECONDS, 0.0))
        self.bits = self.preset.chain.pow_limit_bits
        self.work = work_of_target(target_from_bits(self.bits, self.preset))
        genesis = self._header(0, bytes(32), 0, 0.0)
        gid = block_hash(genesis, self.preset)
        self.genesis = gid
        self.blocks: dict[bytes, SimBlock] = {
            gid: SimBlock(
                BlockIndexEntry(gid, bytes(32), 0, self.work), GENESIS_MINER, 0.0, array("d", [0.0] * n)
            )
        }
        self.order: list[bytes] = [gid]
        self.index: dict[bytes, BlockIndexEntry] = {gid: self.blocks[gid].entry}
        self.views: dict[int, View] = {
            v: View({gid: self.blocks[gid].entry}, {gid: None}, gid) for v in self.tracked
        }
        self.quorums: dict[bytes, Quorum | None] = {}
        self.cert_states: dict[tuple[int, bytes], CertificateState] = {}
        self.certified: dict[bytes, float] = {}
        self.small: dict[tuple[int, int], array[float]] = {}
        self.violations = 0
        self.finality_log: list[tuple[int, bytes, float]] = []
        self.env = simpy.Environment()
        self.mining_rng = self._rng("mining")
        self.miss_rng = self._rng("mempool")
        self.serial = 0
        self.dkg_blocks = dkg_length(self.preset)

    # -- set-up ---------------------------------------------------------------------------------

    def _rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.scenario.name}:{purpose}")

    def _placed(self, order: list[int]) -> list[int]:
        """``order`` with the miners, then the masternodes, first, placed by ``per_region``."""
        s, regions = self.scenario, self.topology.regions
        index = {r.name: i for i, r in enumerate(s.regions)}
        taken: set[int] = set()
        placed: list[int] = []
        for placement, total in ((s.miners_per_region, s.miners), (s.masternodes_per_region, s.masternodes)):
            wanted = placement or (("", total),)
            for name, count in wanted:
                pool = (v for v in order if v not in taken and (not name or regions[v] == index[name]))
                chosen = [v for _, v in zip(range(count), pool, strict=False)]
                if len(chosen) < count:
                    raise ScenarioError(f"region {name} has fewer than {count} free nodes")
                taken.update(chosen)
                placed.extend(chosen)
        return placed + [v for v in order if v not in taken]

    @staticmethod
    def _collateral(i: int) -> OutPoint:
        return OutPoint(hashlib.sha256(b"collateral" + i.to_bytes(4, "little")).digest(), 0)

    def _churn(self) -> dict[int, tuple[list[float], list[float]]]:
        """Offline intervals of ordinary nodes: alternating exponential online/offline spells."""
        s = self.scenario
        if s.churn_offline_fraction <= 0:
            return {}
        rng = self._rng("churn")
        special = {*self.miners, *self.masternodes, *self.victims}
        mean_off = s.churn_mean_offline_seconds
        mean_on = mean_off * (1 - s.churn_offline_fraction) / s.churn_offline_fraction
        spells: dict[int, tuple[list[float], list[float]]] = {}
        for node in range(s.nodes):
            if node in special:
                continue
            starts: list[float] = []
            ends: list[float] = []
            t = rng.uniform(0, mean_on)
            while t < s.duration_seconds:
                off = rng.expovariate(1 / mean_off)
                starts.append(t)
                ends.append(t + off)
                t += off + rng.expovariate(1 / mean_on)
            spells[node] = (starts, ends)
        return spells

    def _offline_until(self, node: int, t: float) -> float:
        spells = self.offline.get(node)
        if spells is None:
            return t
        starts, ends = spells
        i = bisect.bisect_right(starts, t) - 1
        return ends[i] if i >= 0 and t < ends[i] else t

    def _header(self, height: int, parent: bytes, serial: int, t: float) -> BlockHeader:
        tag = hashlib.sha256(b"sim-block" + serial.to_bytes(8, "little")).digest()
        return BlockHeader(
            version=1,
            height=height,
            previous_block_hash=parent,
            merkle_root=tag,
            votes_root=bytes(32),
            state_root=bytes(32),
            timestamp=self.preset.chain.genesis_timestamp + int(t),
            bits=self.bits,
            nonce=serial,
        )

    # -- relay ----------------------------------------------------------------------------------

    def _block_edges(self) -> Edges:
        """Per-link delay of a block: BIP152 high-bandwidth compact relay or headers-first full relay."""
        sizes, val = self.sizes, self.scenario.validation_ms / 1000.0
        if self.scenario.relay == "full":
            body = sizes.headers + sizes.getdata + sizes.block
            return link_delays(self.topology, lambda lat, bw: (3 * lat + body / bw + val, 0.0))
        extra = sizes.getblocktxn + sizes.blocktxn
        return link_delays(
            self.topology, lambda lat, bw: (lat + sizes.compact / bw + val, 2 * lat + extra / bw)
        )

    def _small_table(self, source: int, cut_index: int) -> array[float]:
        """Shortest small-message delays from ``source`` (``cut_index``: with that cut applied)."""
        key = (source, cut_index)
        table = self.small.get(key)
        if table is None:
            cuts = [] if cut_index < 0 else [Cut(-INF, INF, self.cuts[cut_index].cut)]
            table = array("d", flood(self.small_edges, [(source, 0.0)], cuts))
            self.small[key] = table
        return table

    def _small_at(self, source: int, t: float, node: int) -> float:
        """When a small message (share, certificate) sent by ``source`` at ``t`` reaches ``node``."""
        full = self._small_table(source, -1)[node]
        for i, cut in enumerate(self.cuts):
            if cut.start <= t < cut.end:
                return min(t + self._small_table(source, i)[node], cut.end + full)
        return t + full

    # -- processes ------------------------------------------------------------------------------

    def _mine(self) -> Any:
        rate = 1.0 / self.preset.chain.target_block_seconds
        while True:
            yield self.env.timeout(self.mining_rng.expovariate(rate))
            miner = self.mining_rng.choices(self.miners, weights=self.hash_shares)[0]
            self._found(miner, self.views[miner].tip, private=False)

    def _mine_private(self, start: float, end: float, share: float) -> Any:
        rate = share / self.preset.chain.target_block_seconds
        yield self.env.timeout(start)
        tip: bytes | None = None
        while True:
            yield self.env.timeout(self.mining_rng.expovariate(rate))
            if self.env.now >= end:
                return
            if tip is None:  # the attacker forks from the victim's view when it starts
                tip = self.views[self.victims[0]].tip
            tip = self._found(ATTACKER, tip, private=True)

    def _found(self, miner: int, parent: bytes, private: bool) -> bytes:
        now = self.env.now
        self.serial += 1
        entry_parent = self.blocks[parent].entry
        header = self._header(entry_parent.height + 1, parent, self.serial, now)
        bid = block_hash(header, self.preset)
        entry = BlockIndexEntry(bid, parent, header.height, entry_parent.cumulative_work + self.work)
        n = self.scenario.nodes
        if private:
            arrival = array("d", [INF] * n)
            for v in self.victims:
                arrival[v] = max(now + 0.05, self.blocks[parent].arrival[v])
        else:
            miss = [self.miss_rng.random() < self.scenario.mempool_miss_fraction for _ in range(n)]
            arrival = array(
                "d",
                flood(
                    self.block_edges,
                    [(miner, now)],
                    self.cuts,
                    self.blocks[parent].arrival,
                    self._offline_until if self.offline else None,
                    miss,
                ),
            )
        block = SimBlock(entry, miner, now, arrival, private)
        self.blocks[bid] = block
        self.order.append(bid)
        self.index[bid] = entry
        for v in self.tracked:
            at = arrival[v]
            if at < self.scenario.duration_seconds:
                self._at(at, lambda v=v, bid=bid: self._deliver(v, bid))
        return bid

    def _at(self, t: float, action: Any) -> None:
        event = self.env.timeout(max(0.0, t - self.env.now))
        event.callbacks.append(lambda _event: action())

    # -- node behaviour -------------------------------------------------------------------------

    def _deliver(self, node: int, bid: bytes) -> None:
        view = self.views[node]
        if bid in view.index:
            return
        entry = self.blocks[bid].entry
        view.index[bid] = entry
        view.tips.pop(entry.parent_hash, None)
        view.tips[bid] = None
        if view.pending:
            waiting = [c for c in view.pending if c.block_hash in view.index]
            view.pending = [c for c in view.pending if c.block_hash not in view.index]
            for certificate in waiting:
                self._adopt(node, certificate)
        self._update_tip(node)

    def _update_tip(self, node: int) -> None:
        view = self.views[node]
        new = choose_tip(view.index, view.tips, view.finalized)
        if new is None or new == view.tip:
            return
        try:
            check_reorganisation(view.index, new, view.finalized)
        except FinalityViolation:
            self.violations += 1
        old = view.tip
        if not is_ancestor(view.index, old, new):
            view.reorgs += 1
            depth, cursor = 0, old
            while not is_ancestor(view.index, cursor, new):
                cursor = view.index[cursor].parent_hash
                depth += 1
            view.max_reorg_depth = max(view.max_reorg_depth, depth)
            view.last_reorg = self.env.now
            view.reorg_log.append((self.env.now, depth))
        view.tip = new
        if node in self.mn_set:
            self._sign(node, new)

    def _ancestor(self, bid: bytes, height: int) -> bytes:
        entry = self.blocks[bid].entry
        while entry.height > height:
            entry = self.blocks[entry.parent_hash].entry
        return entry.block_hash

    def _quorum(self, base: bytes) -> Quorum | None:
        if base not in self.quorums:
            if len(self.masternodes) < self.preset.masternodes.min_quorum_members:
                self.quorums[base] = None
            else:
                chosen = select_quorum(self.mn_list, QuorumType.FINALITY, base, self.preset)
                secret = bls.key_gen(hashlib.sha256(b"sim-quorum" + base).digest())
                self.quorums[base] = Quorum(
                    base,
                    tuple(self.mn_node[m.collateral] for m in chosen.members),
                    chosen.threshold,
                    secret,
                    bls.sk_to_pk(secret),
                )
        return self.quorums[base]

    def _quorum_for(self, bid: bytes) -> Quorum | None:
        height = self.blocks[bid].entry.height
        base_height = finality_quorum_height(height, self.preset)
        if base_height is None:
            return None
        return self._quorum(self._ancestor(bid, base_height))

    def _sign(self, node: int, tip: bytes) -> None:
        """FIN-3 at a member whose best chain moved to ``tip``."""
        view = self.views[node]
        height = view.index[tip].height
        quorum = self._quorum_for(tip)
        if quorum is None or node not in quorum.members:
            return
        if not may_sign_finality(view.last_signed, height):
            return
        if view.finalized is not None and not is_ancestor(view.index, view.finalized, tip):
            return
        view.last_signed = height
        state = self.cert_states.setdefault((height, tip), CertificateState())
        if state.formed < INF:
            return
        now = self.env.now
        state.shares.append((now, node))
        for member in quorum.members:
            bisect.insort(state.arrivals.setdefault(member, []), self._small_at(node, now, member))
        if len(state.shares) < quorum.threshold:
            return
        # The earliest moment some member holds ``threshold`` shares of this block.
        best, former = INF, -1
        for member in quorum.members:
            kth = state.arrivals[member][quorum.threshold - 1]
            if kth < best:
                best, former = kth, member
        if best < state.due:
            state.token += 1
            state.due = best
            token = state.token
            self._at(best, lambda: self._certify(height, tip, former, token, quorum))

    def _certify(self, height: int, tip: bytes, former: int, token: int, quorum: Quorum) -> None:
        state = self.cert_states[(height, tip)]
        if token != state.token or state.formed < INF:
            return
        state.formed = self.env.now
        self.certified[tip] = self.env.now
        signature = bls.sign(quorum.secret_key, finality_message(height, tip))
        certificate = FinalityCertificate(height, tip, signature)
        for v in self.tracked:
            at = self._small_at(former, self.env.now, v)
            if at < self.scenario.duration_seconds:
                self._at(at, lambda v=v: self._receive_certificate(v, certificate))

    def _receive_certificate(self, node: int, certificate: FinalityCertificate) -> None:
        view = self.views[node]
        if certificate.block_hash not in view.index:
            view.pending.append(certificate)
            return
        self._adopt(node, certificate)
        self._update_tip(node)

    def _adopt(self, node: int, certificate: FinalityCertificate) -> None:
        view = self.views[node]

        def key_of(height: int) -> bytes | None:
            quorum = self._quorum_for(certificate.block_hash) if height == certificate.height else None
            return quorum.public_key if quorum is not None else None

        new = newest_finalized(view.index, [certificate], key_of, view.finalized)
        if new != view.finalized and new is not None:
            view.finalized = new
            self.finality_log.append((node, new, self.env.now))

    # -- run and report -------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.env.process(self._mine())
        if self.eclipse is not None and self.eclipse[2] > 0:
            self.env.process(self._mine_private(*self.eclipse))
        with memoised_certificate_checks():
            self.env.run(until=self.scenario.duration_seconds)
        return self.report()

    def _best_chain(self) -> list[bytes]:
        honest = [b for b in self.order if not self.blocks[b].private]
        finals = [view.finalized for view in self.views.values() if view.finalized is not None]
        finalized = max(finals, key=lambda b: self.index[b].height) if finals else None
        tip = choose_tip(self.index, self._tips(honest), finalized)
        chain: list[bytes] = []
        cursor: bytes | None = tip
        while cursor is not None and cursor in self.index:
            chain.append(cursor)
            entry = self.index[cursor]
            cursor = entry.parent_hash if entry.height > 0 else None
        return chain[::-1]

    def _tips(self, known: list[bytes]) -> dict[bytes, None]:
        tips: dict[bytes, None] = {}
        for b in known:
            tips.pop(self.index[b].parent_hash, None)
            tips[b] = None
        return tips

    def report(self) -> dict[str, Any]:
        s = self.scenario
        end = s.duration_seconds
        n = s.nodes
        main = self._best_chain()
        main_set = set(main)
        honest = [b for b in self.order[1:] if not self.blocks[b].private]
        orphans = [b for b in honest if b not in main_set]
        hours = max(1, math.ceil(end / 3600))
        per_hour = [[0, 0] for _ in range(hours)]
        for b in honest:
            slot = min(hours - 1, int(self.blocks[b].time // 3600))
            per_hour[slot][0] += 1
            per_hour[slot][1] += b not in main_set
        # Propagation: delays of every block that had time to spread (mined before end - 600 s).
        t50, t90, t99, t100, reached = [], [], [], [], []
        pooled: list[float] = []
        sample = self._rng("cdf-sample")
        for b in honest:
            block = self.blocks[b]
            if block.time > end - 600 or (
                self.cuts and any(c.start - 60 <= block.time < c.end for c in self.cuts)
            ):
                continue
            # Nodes offline when the block was found catch up later: they are not propagation.
            delays = sorted(
                a - block.time
                for v, a in enumerate(block.arrival)
                if not self.offline or self._offline_until(v, block.time) == block.time
            )
            t50.append(percentile(delays, 0.5))
            t90.append(percentile(delays, 0.9))
            t99.append(percentile(delays, 0.99))
            t100.append(percentile(delays, 1.0))
            reached.append(sum(1 for d in delays if d < INF) / len(delays))
            pooled.extend(sample.sample(delays, min(len(delays), 200)))
        pooled.sort()

        def summary(values: list[float]) -> dict[str, float | None]:
            ordered = sorted(values)
            return {
                "median": _r(percentile(ordered, 0.5)),
                "p90": _r(percentile(ordered, 0.9)),
                "max": _r(ordered[-1]) if ordered else None,
            }

        degree = sum(len(p) for p in self.topology.neighbours) / n
        z = self.sizes
        hb = min(3.0, degree)
        bytes_full = z.block + z.getdata + degree * z.headers
        bytes_compact = (
            hb * z.compact
            + (degree - hb) * z.headers
            + s.mempool_miss_fraction * (z.getblocktxn + z.blocktxn)
        )
        # Finality: for each main-chain block in some quorum's charge, the first certificate of it
        # or of a descendant on the main chain.
        finality_delays: list[float] = []
        unfinalized = 0
        next_cert = INF
        for b in reversed(main):
            next_cert = min(next_cert, self.certified.get(b, INF))
            entry = self.index[b]
            block = self.blocks[b]
            if entry.height < self.dkg_blocks or block.time > end - 1200 or not self.masternodes:
                continue
            if next_cert < INF:
                finality_delays.append(next_cert - block.time)
            else:
                unfinalized += 1
        finality_delays.sort()
        # Finality safety: every finalized block of every node on one chain.
        finalized = sorted({b for _, b, _ in self.finality_log}, key=lambda b: self.index[b].height)
        conflicting = sum(1 for a, b in itertools.pairwise(finalized) if not is_ancestor(self.index, a, b))
        # Convergence at the end: tracked nodes' tips, and every online node's best known tip.
        tracked_tips = [self.views[v].tip for v in self.tracked]
        common = max(set(tracked_tips), key=lambda t: (tracked_tips.count(t), t)) if tracked_tips else b""
        late = [b for b in honest if max(self.blocks[b].arrival) >= end]
        # Untracked nodes keep the newest finalized block any tracked node adopted, if they hold it
        # (certificates reach every node within a second; finality never waits on an ordinary node).
        finals = [b for _, b, _ in self.finality_log]
        newest = max(finals, key=lambda b: (self.index[b].height, b)) if finals else None
        cache: dict[tuple[bytes, ...], bytes | None] = {}
        agree = online = 0
        for v in range(n):
            if self._offline_until(v, end) > end:
                continue
            online += 1
            missing = tuple(b for b in late if self.blocks[b].arrival[v] >= end)
            if missing not in cache:
                gone = set(missing)
                final = None if newest is None or newest in gone else newest
                cache[missing] = choose_tip(
                    self.index, self._tips([b for b in honest if b not in gone]), final
                )
            agree += cache[missing] == common
        report: dict[str, Any] = {
            "scenario": s.name,
            "seed": self.seed,
            "nodes": n,
            "relay": s.relay,
            "duration_seconds": end,
            "mean_degree": _r(degree),
            "blocks": {
                "mined": len(honest),
                "main_chain_height": self.index[main[-1]].height,
                "orphans": len(orphans),
                "orphan_rate": _r(len(orphans) / len(honest)) if honest else None,
                "per_hour": [{"mined": m, "orphaned": o} for m, o in per_hour],
            },
            "propagation_seconds": {
                "t50": summary(t50),
                "t90": summary(t90),
                "t99": summary(t99),
                "t100": summary(t100),
                "reached_fraction_min": _r(min(reached)) if reached else None,
                "pooled_cdf_percentiles": [_r(percentile(pooled, q / 100)) for q in range(1, 101)],
            },
            "bandwidth": {
                "block_frame_bytes": z.block,
                "compact_frame_bytes": z.compact,
                "headers_frame_bytes": z.headers,
                "blocktxn_round_trip_bytes": z.getblocktxn + z.blocktxn,
                "compact_reconstructed_identical_block": z.reconstructed,
                "per_node_per_block_full_bytes": _r(bytes_full),
                "per_node_per_block_compact_bytes": _r(bytes_compact),
                "compact_over_full": _r(bytes_compact / bytes_full),
            },
            "finality": {
                "masternodes": len(self.masternodes),
                "certificates": len(self.certified),
                "blocks_measured": len(finality_delays) + unfinalized,
                "unfinalized_blocks": unfinalized,
                "delay_seconds": {
                    "p50": _r(percentile(finality_delays, 0.5)),
                    "p90": _r(percentile(finality_delays, 0.9)),
                    "p99": _r(percentile(finality_delays, 0.99)),
                    "max": _r(finality_delays[-1]) if finality_delays else None,
                },
                "within_15_minutes": _r(sum(d <= 900 for d in finality_delays) / len(finality_delays))
                if finality_delays
                else None,
                "histogram_seconds": _histogram(finality_delays),
            },
            "invariants": {
                "finality_violations": self.violations,
                "conflicting_finalized_blocks": conflicting,
                "tracked_nodes": len(self.tracked),
                "tracked_on_common_tip": sum(t == common for t in tracked_tips),
                "online_nodes": online,
                "online_on_common_tip": agree,
                "max_reorg_depth": max((v.max_reorg_depth for v in self.views.values()), default=0),
            },
        }
        if self.victims:
            report["eclipse"] = self._eclipse_report()
        if self.cuts and any(a.kind == "partition" for a in s.attacks):
            report["partition"] = self._partition_report()
        return report

    def _eclipse_report(self) -> dict[str, Any]:
        private = [b for b in self.order if self.blocks[b].private]
        views = [self.views[v] for v in self.victims]
        start, end, _ = self.eclipse or (0.0, 0.0, 0.0)
        victim_set = set(self.victims)
        advances = [t for node, _, t in self.finality_log if node in victim_set and start <= t < end]
        return {
            "victims": len(self.victims),
            "attacker_blocks": len(private),
            "victim_reorgs": sum(v.reorgs for v in views),
            "victim_max_reorg_depth": max(v.max_reorg_depth for v in views),
            "victim_finality_advances_while_eclipsed": len(advances),
            "victim_finalized_an_attacker_block": any(self._finalized_is_private(v) for v in views),
            "victims_back_on_honest_tip": sum(not self.blocks[v.tip].private for v in views),
            "seconds_to_recover_after_eclipse": _r(max(v.last_reorg for v in views) - end)
            if any(v.last_reorg >= end for v in views)
            else None,
        }

    def _finalized_is_private(self, view: View) -> bool:
        return view.finalized is not None and self.blocks[view.finalized].private

    def _partition_report(self) -> dict[str, Any]:
        side = self.partition_side
        cut = next(c for c in self.cuts if c.cut(*self._pair(side)))
        main = set(self._best_chain())
        per_side: dict[str, Any] = {"start_seconds": cut.start, "end_seconds": cut.end}
        for name, flag in (("cut_off", True), ("rest", False)):
            nodes = {v for v in self.tracked if side[v] == flag}
            views = [self.views[v] for v in nodes]
            during = [
                b
                for b in self.order[1:]
                if self.blocks[b].miner >= 0
                and side[self.blocks[b].miner] == flag
                and cut.start <= self.blocks[b].time < cut.end
            ]
            # Reorganisations in the minute after the links heal: the side switching chains.
            heal = [(t, d) for v in views for t, d in v.reorg_log if cut.end <= t < cut.end + 60]
            per_side[name] = {
                "nodes": sum(1 for s in side if s == flag),
                "hash_share": _r(
                    sum(h for m, h in zip(self.miners, self.hash_shares, strict=True) if side[m] == flag)
                ),
                "masternodes": sum(side[m] == flag for m in self.masternodes),
                "blocks_mined_during_partition": len(during),
                "of_them_orphaned": sum(b not in main for b in during),
                "finality_advances_during_partition": sum(
                    1 for node, _, t in self.finality_log if node in nodes and cut.start <= t < cut.end
                ),
                "max_reorg_depth": max((v.max_reorg_depth for v in views), default=0),
                "nodes_reorganised_at_heal": sum(
                    1 for v in views if any(cut.end <= t < cut.end + 60 for t, _ in v.reorg_log)
                ),
                "reorg_depth_at_heal": max((d for _, d in heal), default=0),
                "seconds_to_heal": _r(max(t for t, _ in heal) - cut.end) if heal else None,
            }
        return per_side

    @staticmethod
    def _pair(side: list[bool]) -> tuple[int, int]:
        """Two nodes on different sides of a partition (to find its cut)."""
        return side.index(True), side.index(False)


def _crossing(side: list[bool]) -> Callable[[int, int], bool]:
    """A partition's cut: links between the two sides."""
    return lambda u, v: side[u] != side[v]


def _touching(victim: list[bool]) -> Callable[[int, int], bool]:
    """An eclipse's cut: every honest link of a victim."""
    return lambda u, v: victim[u] or victim[v]


def _histogram(values: list[float]) -> list[int]:
    """Counts per 30-second bin up to 15 minutes, the last bin holding everything above."""
    bins = [0] * 31
    for value in values:
        bins[min(30, int(value // 30))] += 1
    return bins


def simulate_network(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The report of one run of a ``network`` scenario."""
    return NetworkSimulation(scenario, seed).run()
