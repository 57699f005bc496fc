"""``rusty devnet N``: N reference nodes on loopback that mine, sync, finalize and relay transactions.

The orchestrator starts N ``rusty node`` processes (node 0 first; the others dial its libp2p
multiaddr, ``DATADIR/p2p.addr``, and find each other through the Kademlia DHT; with
``--node-arg=--transport=tcp`` they dial its ``HOST:PORT`` and use ``FindNode``), then drives them
over RPC:

1. two nodes take turns mining devnet blocks (``generate``), so blocks cross the network as
   compact blocks and competing blocks are possible;
2. once node 0 has a mature coinbase it pays every other node (``sendtoaddress``) enough for a
   masternode collateral; the transactions are flooded and mined by whichever node mines next;
3. once funded, every node registers a masternode with its own operator key
   (``registermasternode``: a collateral payment to itself and the registration, MN-1/2);
4. mining goes on past the next finality quorum base height (FIN-1) and the quorum's DKG (DKG-2),
   run over P2P by the nodes themselves, until the quorum certifies blocks (FIN-2/3, FORK-3);
5. mining stops and the orchestrator waits until every node reports the same tip, the same
   finalized block, and node 1's balance shows node 0's payment;
6. with finality reached, one more node starts ("late"): it never saw the DKG, syncs the blocks,
   and must finalize the same block from the certificate its peer sends after the handshake, with
   the group key the members committed on chain (FIN-5).

With ``sidechain=True`` (``rusty devnet N --sidechain``) the vote goes on to fork ``sidechains``
and, once the nodes converged, :func:`sidechain_round_trip` runs a governance proposal creating
sidechain 1, a peg-in, a sidechain transfer, a withdrawal, its checkpoint and the claim paid on the
mainchain after the challenge window, each checked on every node.

With ``upgrade=True`` (``rusty devnet N --upgrade``) the run also holds a scripted upgrade vote
(docs/upgrades.md): node 0 chooses yes on the ``governed_tickets`` and ``state_trie`` agendas
(``setvote``; ``state_trie`` is voted on once ``governed_tickets`` is ACTIVE) and buys
tickets (``buytickets``) as soon as it has a mature coin; only node 0 mines, because only it holds
the voting keys of the tickets the blocks must carry votes from (POS-4). Its ticket votes carry the
yes choice (UPG-2), the devnet's 10-block windows lock the agenda in and activate it one window
later (UPG-4), and mining goes on until every node reports ``state_trie`` in force with the same
activation height (the header's state root then commits to the full state, ST-1).

``prune=N`` (``--prune N``) runs every node with ``rusty node --prune N``; ``fast_sync_late_node``
(``--fast-sync-late-node``) starts the late node with ``--fast-sync``: it downloads a snapshot at or
below the others' finalized block, and under ``state_trie`` starts its chain from it (a pruned node
below the snapshot, docs/node.md#snapshot-fast-sync).

Finality needs at least ``masternodes.min_quorum_members`` (3 on devnet) nodes; with fewer the
devnet mines, syncs and relays only. It prints a summary and stops every node with SIGTERM.

While it waits it shows progress: a bar of the blocks mined, with every node's height and finalized
height, then the same while the nodes converge. Each node's log goes to ``nodeI/node.log``. A node
that exits or does not listen within :data:`START_TIMEOUT`, an RPC the devnet cannot reach, a run
that needs more than :data:`MAX_BLOCKS` blocks, or nodes that do not converge within the timeout
end the run with :class:`DevnetError`, whose message names the node and the tail of its log
(``rusty devnet`` prints it and exits with 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from tqdm import tqdm

from reference.daemon import PORT_FILES, metrics_port_of, p2p_port_of, rpc_port_of
from reference.node import Node
from reference.rpc import RpcError, call
from spec.masternode.finality import dkg_length
from spec.masternode.quorum import QuorumType
from spec.presets import get_preset
from spec.vm.interface import VmKind

START_TIMEOUT = 60.0
CONVERGE_TIMEOUT = 120.0
UPGRADE_AGENDAS = ("governed_tickets", "state_trie")
"""The agendas the scripted upgrade vote says yes to, in activation order (``state_trie`` starts
once ``governed_tickets`` is ACTIVE; devnet: ACTIVE at about 30 and 60)."""
UPGRADE_FORK = UPGRADE_AGENDAS[-1]
"""The fork the scripted upgrade vote ends with (its agenda id is the fork's name)."""
SIDECHAIN_AGENDAS = (*UPGRADE_AGENDAS, "sidechains")
"""``--sidechain``: the vote goes on to fork ``sidechains`` (devnet: ACTIVE at about 90)."""
SIDECHAIN_ID = 1
SIDECHAIN_DEPOSIT = 500_000
SIDECHAIN_TRANSFER = 100_000
SIDECHAIN_WITHDRAWAL = 200_000
MAX_SIDECHAIN_BLOCKS = 150
"""Give up the sidechain round trip after this many more blocks."""
DISPUTE_CHALLENGE_PERIOD = 6
"""``--dispute``: sidechain 1's challenge period (blocks)."""
MAX_DISPUTE_BLOCKS = 60
"""``--dispute``: more blocks for the game, the honest checkpoint and its window."""
DISPUTE_SHOWN = (
    "proof_posted",
    "checkpoint_reverted_by_proof",
    "opening_posted",
    "game_opened",
    "move_posted",
    "game_won",
    "game_lost",
    "checkpoint_reverted",
    "bond_claimed",
)
"""The watcher events ``rusty devnet --dispute`` prints as they happen."""
YES = 2
"""UPG-2: the yes choice."""
UPGRADE_TICKETS = 20
"""Tickets node 0 buys at a time: four blocks of five votes."""
MAX_UPGRADE_BLOCKS = 120
"""Give up mining for the upgrade after this many blocks (the devnet activates it by about 30)."""
MAX_BLOCKS = 400
"""Give up (:class:`DevnetError`) when the funding and registrations need more blocks than this."""
PROGRESS_SECONDS = 5.0
"""Without a terminal, a progress line at most this often."""
LOG_TAIL_LINES = 15
"""Lines of a failed node's log quoted in the error."""


class DevnetError(RuntimeError):
    """The devnet could not run: a node failed to start or answer, or the nodes did not converge."""


FAST_SYNC_SNAPSHOT_INTERVAL = 5
"""With ``fast_sync_late_node``: every node's ``--snapshot-interval``. A snapshot proves its own
finality only once its state holds the committed key of the quorum certifying it (SNAP-9); the
devnet's quorum based at 30 commits a few blocks after the fork's activation at 50, so the first
snapshot that works is 55 (the quorum based at 60 is recorded by block 61, ST-2, and commits later)."""


@dataclass
class DevnetResult:
    """What the devnet run observed."""

    heights: list[int]
    tips: list[str]
    payment_received: bool
    peers: list[int]
    masternodes: list[int] = field(default_factory=list)
    finalized_heights: list[int | None] = field(default_factory=list)
    finalized: list[str | None] = field(default_factory=list)
    finality_expected: bool = False
    late_node_finalized: bool | None = None
    """Whether a node started after finality synced and finalized the same block (``None``: not run)."""
    late_fast_sync: dict[str, Any] | None = None
    """With ``fast_sync_late_node``: the late node's ``getfinality`` ``fast_sync`` (its snapshot and
    the certificate that finalized it, SNAP-9)."""
    upgrade_expected: bool = False
    forks: list[str] = field(default_factory=list)
    """The fork each node has in force for its next block (UPG-6)."""
    activation_heights: list[int | None] = field(default_factory=list)
    """Each node's activation height of the upgrade agenda (``None``: not locked in)."""
    metrics: list[str] = field(default_factory=list)
    """With ``metrics=True``: each node's Prometheus exposition, scraped once the nodes converged
    (while they still run)."""
    upgrade_fork: str = UPGRADE_FORK
    sidechain: dict[str, Any] | None = None
    """With ``sidechain=True``: the round trip's milestones (mainchain heights on node 0) and what
    every node saw at the end (``None``: not run)."""
    multi_vm: dict[str, Any] | None = None
    """With ``multi_vm=True``: the EVM and WASM round trip's milestones and reads (``None``: not run)."""
    peer_info: list[dict[str, Any]] = field(default_factory=list)
    """Each node's ``getpeerinfo`` once the nodes converged (on libp2p: its peer id and the operator
    records of its quorums' members it resolved, P2P-LP-8)."""
    settled: Any = None
    """What ``run_devnet``'s ``settle`` coroutine returned (``None``: not run)."""

    @property
    def upgraded(self) -> bool:
        """Every node has the voted fork in force, activated at the same height."""
        return (
            len(set(self.forks)) == 1
            and self.forks[0] == self.upgrade_fork
            and len(set(self.activation_heights)) == 1
            and self.activation_heights[0] is not None
        )

    @property
    def finality_reached(self) -> bool:
        """Every node finalized the same block (FORK-3), at a height above zero."""
        return (
            len(set(self.finalized)) == 1
            and self.finalized[0] is not None
            and all(h is not None and h > 0 for h in self.finalized_heights)
        )

    @property
    def converged(self) -> bool:
        synced = len(set(self.tips)) == 1 and self.payment_received
        finality = self.finality_reached or not self.finality_expected
        return synced and finality and (self.upgraded or not self.upgrade_expected)


def log_tail(datadir: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a node's log (``datadir/node.log``), indented, or a note."""
    path = datadir / "node.log"
    if not path.exists():
        return "    (no log)"
    tail = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in tail) or "    (empty log)"


async def _wait_file(path: Path, process: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> None:
    datadir = path.parent
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise DevnetError(
                f"{datadir.name} failed to start: it exited with code {process.returncode} before "
                f"listening; its log ({datadir / 'node.log'}) ends with:\n{log_tail(datadir)}"
            )
        if time.monotonic() > deadline:
            raise DevnetError(
                f"{datadir.name} failed to start: no {path.name} after {timeout:.0f} s; its log ends "
                f"with:\n{log_tail(datadir)}"
            )
        await asyncio.sleep(0.05)


async def _rpc(datadir: Path, method: str, *params: Any) -> Any:
    try:
        return await call(rpc_port_of(datadir), datadir, method, *params)
    except (OSError, aiohttp.ClientError) as exc:
        raise DevnetError(
            f"{datadir.name} does not answer RPC {method} ({exc}); its log ends with:\n{log_tail(datadir)}"
        ) from None


async def _scrape(datadir: Path) -> str:
    """A node's Prometheus exposition (``GET /metrics``)."""
    url = f"http://127.0.0.1:{metrics_port_of(datadir)}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        return await response.text()


class Progress:
    """What the devnet shows while it waits: a tqdm bar on a terminal, else a line every
    :data:`PROGRESS_SECONDS` (CI logs); nothing with ``show=False``."""

    def __init__(self, show: bool, description: str, total: int | None = None) -> None:
        self.show = show
        self.description = description
        terminal = show and sys.stderr.isatty()
        bar_format = None if total is not None else "{desc}: {postfix} [{elapsed}]"
        self.bar = tqdm(
            total=total,
            desc=description,
            unit="block",
            disable=not terminal,
            file=sys.stderr,
            bar_format=bar_format,
        )
        self.lines = show and not terminal
        self.printed = time.monotonic()
        self.done, self.total = 0, total  # a disabled tqdm counts nothing

    def update(self, status: str, steps: int = 0, total: int | None = None) -> None:
        """Advance by ``steps`` (to a new ``total``) and show ``status``."""
        if total is not None and total != self.total:
            self.bar.total = self.total = total
        self.done += steps
        self.bar.update(steps)
        self.bar.set_postfix_str(status)
        now = time.monotonic()
        if self.lines and now - self.printed >= PROGRESS_SECONDS:
            done = f" {self.done}/{self.total} blocks," if self.total is not None else ""
            print(f"{self.description}:{done} {status}", file=sys.stderr, flush=True)
            self.printed = now

    def close(self) -> None:
        self.bar.close()


async def _progress(datadirs: Sequence[Path]) -> str:
    """``heights 12/12/11, finalized -/-/-``: each node's height and finalized height."""
    statuses = [await _rpc(d, "getstatus") for d in datadirs]
    heights = "/".join(str(s["height"]) for s in statuses)
    finalized = "/".join(
        "-" if s["finalized_height"] is None else str(s["finalized_height"]) for s in statuses
    )
    return f"heights {heights}, finalized {finalized}"


async def _upgrade_step(
    miner: Path, started: bool, agendas: Sequence[str] = UPGRADE_AGENDAS
) -> tuple[bool, bool]:
    """The scripted vote on node 0: ``(tickets bought, the last fork active on node 0)``. Its tickets
    vote yes on every agenda of ``agendas``; tickets are bought (again) while an agenda is undecided
    and node 0's pool is empty."""
    upgrades = await _rpc(miner, "getupgrades")
    statuses = {a["agenda_id"]: a["status"] for a in upgrades["agendas"]}
    if statuses.get(agendas[-1]) == "active":
        return started, True
    status = await _rpc(miner, "getstatus")
    undecided = any(statuses.get(agenda) in ("defined", "started") for agenda in agendas)
    if undecided and status["live_tickets"] == 0 and status["pending"] == 0:
        with contextlib.suppress(RpcError):  # no mature coin yet: mine more
            for agenda in agendas:
                await _rpc(miner, "setvote", agenda, YES)
            await _rpc(miner, "buytickets", UPGRADE_TICKETS)
            started = True
    return started, False


async def _snapshot_ready(node: Path, upgrade: bool) -> bool:
    """Whether ``node`` serves a snapshot a fast-syncing node takes: one at or below its finalized
    block with a certificate that passes SNAP-9 (RPC ``getfinality``'s ``served_snapshots``), after
    the upgrade's activation (a full-state snapshot) when there is one."""
    served = (await _rpc(node, "getfinality"))["served_snapshots"]
    if not served:
        return False
    first = 0
    if upgrade:
        upgrades = await _rpc(node, "getupgrades")
        activation = next(
            a["activation_height"] for a in upgrades["agendas"] if a["agenda_id"] == UPGRADE_FORK
        )
        if activation is None:
            return False
        first = activation
    return max(int(h) for h in served) >= first


async def run_devnet(
    count: int,
    blocks: int,
    root: Path,
    show_progress: bool = True,
    upgrade: bool = False,
    *,
    metrics: bool = False,
    node_args: Sequence[str] = (),
    converge_timeout: float = CONVERGE_TIMEOUT,
    prune: int | None = None,
    fast_sync_late_node: bool = False,
    sidechain: bool = False,
    multi_vm: bool = False,
    dispute: bool = False,
    restart_watcher: bool = False,
    proof: str | None = None,
    settle: Callable[[list[Path]], Awaitable[Any]] | None = None,
) -> DevnetResult:
    """Run the devnet scenario with ``count`` nodes and at least ``blocks`` blocks (``upgrade``: with
    the scripted upgrade vote; ``metrics``: nodes serve Prometheus metrics, scraped into the result;
    ``node_args``: extra ``rusty node`` options; ``prune``: every node runs with ``--prune N``;
    ``fast_sync_late_node``: the late node starts with ``--fast-sync``, from a snapshot the others
    serve; ``sidechain``: the vote goes on to fork ``sidechains``, then :func:`sidechain_round_trip`;
    ``multi_vm``: the same vote, then :func:`reference.devnet_vms.multi_vm_round_trip` instead;
    ``dispute``: the sidechain round trip with node 0 watching (``--watch-sidechains``) and the
    other nodes a misbehaving federation (``--sidechain-fault``), see :func:`sidechain_round_trip`;
    ``restart_watcher``: with ``dispute``, node 0 is killed (SIGKILL) once its game is open and
    started again on its P2P port, dialling the others: its watcher reloads its memory and plays on;
    ``proof``: a key of :data:`PROOF_FAULTS`, the federation misbehaves so
    (``--sidechain-fault=PROOF``: wrong credits, a second header, an outbox above the escrow) and
    the run ends once node 0's non-interactive proof reverted it, :func:`proof_round_trip`;
    ``settle``: a test's coroutine run on the data directories once the nodes converged and
    finalized, before the late node, its result in ``DevnetResult.settled``).
    Raises :class:`DevnetError` when a node fails."""
    datadirs = [root / f"node{i}" for i in range(count)]
    if proof is not None and proof not in PROOF_FAULTS:
        raise DevnetError(f"no proof run {proof!r} (one of {', '.join(PROOF_FAULTS)})")
    dispute = dispute or proof is not None
    sidechain = sidechain or multi_vm or dispute
    upgrade = upgrade or sidechain
    agendas = SIDECHAIN_AGENDAS if sidechain else UPGRADE_AGENDAS
    upgrade_blocks = MAX_UPGRADE_BLOCKS + (90 if sidechain else 0)
    processes: list[subprocess.Popen[bytes]] = []

    async def start(index: int, datadir: Path, again: Sequence[str] | None = None) -> None:
        if again is None:
            Node.init(datadir, "devnet").close()
        command = [sys.executable, "-m", "reference.cli", "node", str(datadir), *node_args, *(again or ())]
        if prune is not None:
            command += ["--prune", str(prune)]
        if fast_sync_late_node:
            # snapshots every 5 blocks: the first full-state one after the finality key's
            # commitment comes before the next quorum base height (docs/node.md#snapshot-fast-sync)
            command += ["--snapshot-interval", str(FAST_SYNC_SNAPSHOT_INTERVAL)]
        if fast_sync_late_node and index == count:
            command += ["--fast-sync"]
        if dispute:  # node 0 watches; the others sign one forged checkpoint (threshold 2 of 3)
            fault = "--sidechain-fault" if proof is None else f"--sidechain-fault={proof}"
            command += ["--watch-sidechains"] if index == 0 else [fault]
        if metrics:
            command += ["--metrics-port", "0"]
        if index > 0:  # node 0's libp2p multiaddr (DHT bootstrap) with --transport libp2p
            address_file = datadirs[0] / "p2p.addr"
            first = (
                address_file.read_text().strip()
                if address_file.exists()
                else f"127.0.0.1:{p2p_port_of(datadirs[0])}"
            )
            command += ["--connect", first]
        with (datadir / "node.log").open("ab") as log:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        if again is None:
            processes.append(process)
        else:
            processes[index] = process
        await _wait_file(datadir / "rpc.port", process)
        await _wait_file(datadir / "p2p.port", process)

    async def restart_node0() -> None:
        """Kill node 0 (no clean shutdown) and start it again on its P2P port, dialling the others."""
        port = p2p_port_of(datadirs[0])
        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait()
        for name in PORT_FILES:
            (datadirs[0] / name).unlink(missing_ok=True)
        again = ["--p2p-port", str(port)]
        for datadir in datadirs[1:]:  # a libp2p node's multiaddr, as the first start dials node 0's
            address = datadir / "p2p.addr"
            peer = address.read_text().strip() if address.exists() else f"127.0.0.1:{p2p_port_of(datadir)}"
            again += ["--connect", peer]
        await start(0, datadirs[0], again)

    try:
        for index, datadir in enumerate(datadirs):
            await start(index, datadir)
        preset = get_preset("devnet")
        finality_expected = count >= preset.masternodes.min_quorum_members
        miners = [datadirs[0]] if upgrade else [datadirs[0], datadirs[-1]]
        voting, upgraded = False, not upgrade
        funding = preset.masternodes.collateral + preset.ledger.atoms_per_coin
        paid = False
        registered: set[int] = set()
        # The first finality base height after the registrations, its DKG, and a few certified blocks.
        interval = preset.masternodes.finality_quorum_interval
        target = blocks
        bar = Progress(show_progress, "devnet", target)
        try:
            mined = 0
            while (
                mined < target
                or not paid
                or (finality_expected and len(registered) < count)
                or (not upgraded and mined < upgrade_blocks)
                or (
                    fast_sync_late_node
                    and finality_expected
                    and not await _snapshot_ready(datadirs[0], upgrade)
                )
            ):
                if mined >= MAX_BLOCKS:
                    raise DevnetError(
                        f"gave up after {mined} blocks: paid {paid}, {len(registered)} of {count} "
                        f"masternodes registered, upgrade active {upgraded}; {await _progress(datadirs)}"
                    )
                await _rpc(miners[mined % len(miners)], "generate", 1)
                mined += 1
                bar.update(await _progress(datadirs) if show_progress else "", 1, target)
                await asyncio.sleep(0.1)
                if not upgraded and mined >= 6:
                    voting, upgraded = await _upgrade_step(datadirs[0], voting, agendas)
                if not paid and mined >= 8:
                    try:
                        for datadir in datadirs[1:]:
                            address = await _rpc(datadir, "getnewaddress")
                            await _rpc(datadirs[0], "sendtoaddress", address, funding, 10_000)
                        paid = True
                    except RpcError:
                        pass  # no mature coin yet on node 0: mine more
                if finality_expected and paid:
                    for index, datadir in enumerate(datadirs):
                        if index in registered:
                            continue
                        with contextlib.suppress(RpcError):  # not funded yet: mine more
                            await _rpc(datadir, "registermasternode", p2p_port_of(datadir), 10_000)
                            registered.add(index)
                    if len(registered) == count and target == blocks:
                        base = (mined + 2) // interval * interval + interval
                        target = max(blocks, base + dkg_length(preset) + 3)
            await _rpc(miners[0], "generate", 1)  # mine the last transactions for sure
        finally:
            bar.close()
        deadline = time.monotonic() + converge_timeout
        waiting = Progress(show_progress, "converging")
        while True:
            statuses = [await _rpc(d, "getstatus") for d in datadirs]
            finality = [await _rpc(d, "getfinality") for d in datadirs]
            peer_info = [await _rpc(d, "getpeerinfo") for d in datadirs]
            result = DevnetResult(
                heights=[s["height"] for s in statuses],
                tips=[s["tip"] for s in statuses],
                payment_received=statuses[1]["balance"] >= funding,
                peers=[len(info["peers"]) for info in peer_info],
                peer_info=peer_info,
                masternodes=[s["masternodes"] for s in statuses],
                finalized_heights=[f["finalized_height"] for f in finality],
                finalized=[f["finalized"] for f in finality],
                finality_expected=finality_expected,
                upgrade_expected=upgrade,
                upgrade_fork=agendas[-1],
            )
            if upgrade:
                upgrades = [await _rpc(d, "getupgrades") for d in datadirs]
                result.forks = [u["fork"] for u in upgrades]
                result.activation_heights = [
                    next(a["activation_height"] for a in u["agendas"] if a["agenda_id"] == agendas[-1])
                    for u in upgrades
                ]
            waiting.update(
                f"heights {'/'.join(map(str, result.heights))}, finalized "
                + "/".join("-" if h is None else str(h) for h in result.finalized_heights)
            )
            if result.converged or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        waiting.close()
        if metrics:
            result.metrics = [await _scrape(d) for d in datadirs]
        if multi_vm and result.converged and result.finality_expected:
            from reference.devnet_vms import multi_vm_round_trip  # it imports this module

            result.multi_vm = await multi_vm_round_trip(datadirs, show_progress)
            return result
        if proof is not None and result.converged and result.finality_expected:
            result.sidechain = await proof_round_trip(datadirs, proof, show_progress)
            if metrics:
                result.metrics = [await _scrape(d) for d in datadirs]
            return result
        if sidechain and result.converged and result.finality_expected:
            result.sidechain = await sidechain_round_trip(
                datadirs, show_progress, dispute, restart_node0 if restart_watcher else None
            )
            if metrics:  # scraped again: what the round trip (and a dispute) counted
                result.metrics = [await _scrape(d) for d in datadirs]
            return result
        if result.converged and result.finality_expected:
            if settle is not None:
                result.settled = await settle(datadirs)
            # 6. a node that saw none of it joins: it syncs the blocks and, from the certificate its
            # peer sends after the handshake, finalizes the same block with the key committed on
            # chain (FIN-5) although it never took part in the DKG.
            late = root / "late"
            await start(count, late)
            result.late_node_finalized = False
            deadline = time.monotonic() + converge_timeout
            joining = Progress(show_progress, "late node")
            while time.monotonic() < deadline:
                status = await _rpc(late, "getstatus")
                finalized = (await _rpc(late, "getfinality"))["finalized"]
                shown = "-" if status["finalized_height"] is None else status["finalized_height"]
                joining.update(f"height {status['height']}/{result.heights[0]}, finalized {shown}")
                if status["tip"] == result.tips[0] and finalized == result.finalized[0]:
                    result.late_node_finalized = True
                    if fast_sync_late_node:
                        result.late_fast_sync = (await _rpc(late, "getfinality"))["fast_sync"]
                    break
                await asyncio.sleep(0.2)
            joining.close()
        return result
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def _mine_until(
    datadirs: Sequence[Path],
    done: Callable[[], Awaitable[bool]],
    what: str,
    bar: Progress,
    budget: list[int],
    each: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Mine on node 0 (0.3 s apart, so blocks, shares and checkpoints travel) until ``done()``
    (calling ``each()`` before every check); the height it happened at. :class:`DevnetError` when
    the block budget runs out."""
    while True:
        if each is not None:
            await each()
        if await done():
            break
        if budget[0] <= 0:
            raise DevnetError(
                f"sidechain round trip: gave up waiting for {what}; {await _progress(datadirs)}"
            )
        budget[0] -= 1
        await _rpc(datadirs[0], "generate", 1)
        bar.update(f"{what}: {await _progress(datadirs)}", 1)
        await asyncio.sleep(0.3)
    return int((await _rpc(datadirs[0], "getstatus"))["height"])


class WatcherEvents:
    """Node 0's watcher events as the devnet reads them (RPC ``getwatcherinfo``), in order: the new
    ones of :data:`DISPUTE_SHOWN` are printed as they arrive; after a restart of node 0 (whose list
    starts again empty) :meth:`restarted` keeps the earlier ones."""

    def __init__(self, datadir: Path, show: bool) -> None:
        self.datadir = datadir
        self.show = show
        self.events: list[dict[str, Any]] = []
        self.offset = 0
        """Events read from node 0's runs before its latest restart."""

    async def poll(self) -> None:
        """Read node 0's new events (printing those of :data:`DISPUTE_SHOWN`)."""
        info = await _rpc(self.datadir, "getwatcherinfo")
        for event in info["events"][len(self.events) - self.offset :]:
            self.events.append(event)
            if event["kind"] in DISPUTE_SHOWN and self.show:
                tqdm.write(f"node0 watcher, mainchain {event['height']}: {event['text']}", file=sys.stderr)

    def restarted(self) -> None:
        """Node 0 was started again: its events start from none."""
        self.offset = len(self.events)

    def seen(self, kind: str) -> int | None:
        """The mainchain height of the first event of ``kind`` (``None``: none yet)."""
        return next((int(e["height"]) for e in self.events if e["kind"] == kind), None)

    def text(self, kind: str) -> str:
        """The text of the first event of ``kind`` (``""``: none yet)."""
        return next((str(e["text"]) for e in self.events if e["kind"] == kind), "")


def _note(show: bool, line: str) -> None:
    if show:
        tqdm.write(line, file=sys.stderr)


async def sidechain_round_trip(
    datadirs: Sequence[Path],
    show_progress: bool = True,
    dispute: bool = False,
    restart: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Issue 15 item 7 on a running devnet under fork ``sidechains``: node 0 proposes sidechain 1
    (FerrisScript, federation = the finality quorum), every masternode votes yes, the superblock
    registers it; node 0 pegs in, transfers to node 1's account and withdraws to its own script;
    the federation produces the blocks and posts their checkpoints; after the challenge period node
    0 claims the withdrawal on the mainchain. Every step is checked on every node.

    With ``dispute`` (issue 16 item 8; nodes started by ``run_devnet(dispute=True)``) nodes 1 and
    2, two of the federation's three members and so its threshold, sign the block with the
    transfer and the withdrawal under a forged state root; node 0, watching, re-executes the
    block, challenges the checkpoint with its wallet's bond, answers the federation's bisection,
    wins when the federation's one-step proof re-executes to the honest root, and claims its bond;
    the checkpoint is reverted, the federation signs the honest header, and the withdrawal is
    claimed after that checkpoint's challenge period. Node 0's watcher events are printed as they
    happen and returned under ``"dispute"``; the run fails unless the forged checkpoint was
    challenged, lost and reverted before the claim. ``restart`` (with ``dispute``) is called once
    node 0's game is open: it kills and restarts node 0, whose watcher must go on from its store
    (``"restarted_at"``: the mainchain height of the restart)."""
    bar = Progress(show_progress, "sidechain")
    budget = [MAX_SIDECHAIN_BLOCKS + (MAX_DISPUTE_BLOCKS if dispute else 0)]
    milestones: dict[str, Any] = {}
    node0 = WatcherEvents(datadirs[0], show_progress)
    seen = node0.seen

    async def watch() -> None:
        if not dispute:
            return
        await node0.poll()
        if restart is not None and "restarted_at" not in milestones and seen("game_opened") is not None:
            milestones["restarted_at"] = int((await _rpc(datadirs[0], "getstatus"))["height"])
            _note(show_progress, "node0 killed mid-game and started again")
            await restart()
            node0.restarted()
            milestones["reloaded"] = (await _rpc(datadirs[0], "getwatcherinfo"))["stored_rows"]

    try:
        # --dispute: a longer challenge period than the default 3, so a watcher has room to open
        # its game inside the window whichever node it runs on
        terms = (int(VmKind.FERRIS), int(QuorumType.FINALITY), 2, DISPUTE_CHALLENGE_PERIOD) if dispute else ()
        milestones["registered"] = await _register_sidechain(datadirs, terms, bar, budget)
        accounts = [(await _rpc(d, "getsidechainbalance", SIDECHAIN_ID))["account"] for d in datadirs]

        async def balance_everywhere(account: str, amount: int) -> bool:
            balances = [await _rpc(d, "getsidechainbalance", SIDECHAIN_ID, account) for d in datadirs]
            return all(b["balance"] == amount for b in balances)

        milestones["deposit_txid"] = await _rpc(
            datadirs[0], "sidechaindeposit", SIDECHAIN_ID, SIDECHAIN_DEPOSIT
        )
        milestones["deposited"] = await _mine_until(
            datadirs,
            lambda: balance_everywhere(accounts[0], SIDECHAIN_DEPOSIT),
            "peg-in",
            bar,
            budget,
        )
        await _rpc(datadirs[0], "sidechaintransfer", SIDECHAIN_ID, accounts[1], SIDECHAIN_TRANSFER)
        await _rpc(datadirs[0], "sidechainwithdraw", SIDECHAIN_ID, SIDECHAIN_WITHDRAWAL)
        milestones["transferred"] = await _mine_until(
            datadirs,
            lambda: balance_everywhere(accounts[1], SIDECHAIN_TRANSFER),
            "transfer",
            bar,
            budget,
            watch,
        )

        async def claimable() -> bool:
            if dispute and seen("checkpoint_reverted") is None:
                return False  # the forged checkpoint first: challenged, lost, reverted
            listed = await _rpc(datadirs[0], "listsidechainwithdrawals", SIDECHAIN_ID)
            height = (await _rpc(datadirs[0], "getstatus"))["height"]
            return bool(listed) and listed[0]["checkpointed"] and listed[0]["claimable_from"] <= height + 1

        milestones["checkpointed"] = await _mine_until(
            datadirs,
            claimable,
            "dispute, honest checkpoint and window" if dispute else "checkpoint and window",
            bar,
            budget,
            watch,
        )
        entry = (await _rpc(datadirs[0], "listsidechainwithdrawals", SIDECHAIN_ID))[0]
        milestones["claim_txid"] = await _rpc(
            datadirs[0], "sidechainclaim", SIDECHAIN_ID, entry["height"], entry["index"]
        )

        async def claimed_everywhere() -> bool:
            for datadir in datadirs:
                listed = await _rpc(datadir, "listsidechainwithdrawals", SIDECHAIN_ID)
                if not listed or not listed[0]["claimed"]:
                    return False
            return True

        milestones["claimed"] = await _mine_until(datadirs, claimed_everywhere, "claim", bar, budget, watch)
        if dispute:
            await watch()
            milestones["dispute"] = node0.events
            for kind in ("game_opened", "game_won", "checkpoint_reverted", "bond_claimed"):
                milestones[kind] = seen(kind)
            milestones["bond_and_reward"] = claimed_amount(node0.events)
            _note(
                show_progress,
                f"honest withdrawal of {entry['amount']} atoms (sidechain height {entry['height']}) "
                f"paid at mainchain height {milestones['claimed']}, after the correct checkpoint "
                f"replaced the reverted one",
            )
        infos = [await _rpc(d, "getsidechaininfo", SIDECHAIN_ID) for d in datadirs]
        milestones["tips"] = [i["tip_hash"] for i in infos]
        milestones["escrow"] = [i["escrow"] for i in infos]
        milestones["checkpointed_heights"] = [i["checkpointed_height"] for i in infos]
        milestones["withdrawal"] = entry
        return milestones
    finally:
        bar.close()


async def _register_sidechain(
    datadirs: Sequence[Path], terms: tuple[int, ...], bar: Progress, budget: list[int]
) -> int:
    """Node 0 proposes sidechain ``SIDECHAIN_ID`` with ``terms`` (empty: the defaults), every node
    votes for it, and the devnet mines until every node knows it; returns that height."""
    proposal = await _rpc(datadirs[0], "proposesidechain", SIDECHAIN_ID, *terms)
    await _rpc(datadirs[0], "generate", 1)
    await asyncio.sleep(0.5)
    for datadir in datadirs:
        await _rpc(datadir, "voteproposal", proposal["proposal_id"], 0)
    await asyncio.sleep(0.5)

    async def registered() -> bool:
        for datadir in datadirs:
            with contextlib.suppress(RpcError):
                await _rpc(datadir, "getsidechaininfo", SIDECHAIN_ID)
                continue
            return False
        return True

    return await _mine_until(datadirs, registered, "proposal", bar, budget)


PROOF_FAULTS = {"credits": 8, "equivocate": 9, "overdraw": 10}
"""The proof runs: the federation's ``--sidechain-fault`` -> the kind (SC-TX-0) of the proof that
reverts it (``rusty devnet --dispute-credits``, ``--dispute-equivocation``, ``--dispute-overdraw``)."""
PROOF_NAMES = {"credits": "wrong-credits", "equivocate": "equivocation", "overdraw": "overdraw"}


async def proof_round_trip(
    datadirs: Sequence[Path], fault: str = "credits", show_progress: bool = True
) -> dict[str, Any]:
    """Issue 16's non-interactive proofs on a running devnet (nodes started by
    ``run_devnet(proof=fault)``): node 0 proposes sidechain 1 as in :func:`sidechain_round_trip`
    and pegs in; nodes 1 and 2, the federation's threshold, run ``--sidechain-fault=FAULT``:

    * ``credits`` (SC-DSP-21/22): they sign the block crediting the peg-in under the credits root of
      a list that credits it twice; node 0's watcher re-derives the block's inputs from the
      mainchain and posts a wrong-credits proof (kind 8);
    * ``equivocate`` (SC-DSP-8/23): checkpoint 1 (the peg-in's block) is accepted with the honest
      header, then they sign a second header at height 1 and hand it out (node 1's
      ``getsidechaininfo`` ``forged``); the devnet passes it to node 0 (RPC
      ``submitsidechainheader``), whose watcher posts an equivocation proof (kind 9);
    * ``overdraw`` (SC-DSP-9/23): they sign block 1 under the outbox root of an outbox withdrawing
      more than the escrow to node 1's wallet and publish its entries; the devnet passes them to
      node 0 (RPC ``submitsidechainoutbox``), whose watcher posts an overdraw proof (kind 10).

    The block carrying the proof reverts the checkpoint and slashes the federation (SC-DSP-12/13,
    escrow unchanged). Returns the mainchain heights on node 0: ``registered``, ``deposit_sent``,
    ``checkpoint_posted`` (checkpoint 1), ``evidence_handed`` (not for ``credits``),
    ``proof_posted``, ``checkpoint_reverted_by_proof``, and for ``credits``
    ``honest_checkpoint`` (the honest header of the reverted height posted again); the reverted
    height, the proof's kind as node 0 described it, every node's escrow and active masternodes
    (none: all slashed) and node 0's watcher events. The run ends there: with every member
    slashed, no quorum forms at the next base height (docs/disputes.md)."""
    name = PROOF_NAMES[fault]
    bar = Progress(show_progress, name)
    budget = [MAX_SIDECHAIN_BLOCKS]
    milestones: dict[str, Any] = {"fault": fault}
    node0 = WatcherEvents(datadirs[0], show_progress)
    seen = node0.seen

    async def checkpointed(height: int) -> int | None:
        """The mainchain height checkpoint ``height`` was posted at, on node 0 (``None``: not yet)."""
        info = await _rpc(datadirs[0], "getsidechaininfo", SIDECHAIN_ID)
        if info["checkpointed_height"] is None or info["checkpointed_height"] < height:
            return None
        return int(info["checkpoint_posted_at"])

    async def hand_over() -> None:
        """What the federation hands out (node 1's forged checkpoint, once signed) -> node 0."""
        if fault == "credits" or "evidence_handed" in milestones:
            return
        info = await _rpc(datadirs[1], "getsidechaininfo", SIDECHAIN_ID)
        forged = next((f for f in info.get("forged", []) if f["checkpoint"] is not None), None)
        if forged is None:
            return
        if fault == "equivocate":
            await _rpc(datadirs[0], "submitsidechainheader", forged["checkpoint"])
            what = f"a second header at h={forged['height']} ({forged['header_hash'][:16]}..)"
        else:
            await _rpc(datadirs[0], "submitsidechainoutbox", SIDECHAIN_ID, forged["height"], forged["outbox"])
            count = len(forged["outbox"])
            what = f"an outbox above the escrow under its header at h={forged['height']} ({count} entries)"
        milestones["evidence_handed"] = int((await _rpc(datadirs[0], "getstatus"))["height"])
        milestones["faulty_header"] = forged["header_hash"]
        _note(show_progress, f"the federation signed {what}; handed to node0's watcher")

    async def each() -> None:
        if "checkpoint_posted" not in milestones:
            posted = await checkpointed(1)
            if posted is not None:
                milestones["checkpoint_posted"] = posted
                which = "the honest header" if fault == "equivocate" else "a faulty header"
                _note(show_progress, f"checkpoint h=1 ({which}) posted at mainchain {posted}")
        await node0.poll()
        await hand_over()

    try:
        terms = (int(VmKind.FERRIS), int(QuorumType.FINALITY), 2, DISPUTE_CHALLENGE_PERIOD)
        milestones["registered"] = await _register_sidechain(datadirs, terms, bar, budget)
        _note(show_progress, f"sidechain {SIDECHAIN_ID} registered at mainchain {milestones['registered']}")
        await _rpc(datadirs[0], "sidechaindeposit", SIDECHAIN_ID, SIDECHAIN_DEPOSIT)
        milestones["deposit_sent"] = int((await _rpc(datadirs[0], "getstatus"))["height"]) + 1

        async def reverted() -> bool:
            return seen("checkpoint_reverted_by_proof") is not None

        await _mine_until(datadirs, reverted, f"{name} proven", bar, budget, each)
        revert_at = seen("checkpoint_reverted_by_proof")
        text = node0.text("checkpoint_reverted_by_proof")
        milestones["reverted_height"] = int(text.split("h=")[1].split(" ")[0])
        posted = node0.text("proof_posted")
        milestones["proof_kind"] = next(
            (PROOF_FAULTS[f] for f, n in PROOF_NAMES.items() if f" {n} proof against" in posted), None
        )

        async def settled() -> bool:
            """Every node connected the revert: the federation slashed, (credits) the honest header
            of the reverted height checkpointed again."""
            statuses = [await _rpc(d, "getstatus") for d in datadirs]
            if any(status["masternodes"] for status in statuses):
                return False
            if fault != "credits":
                return True
            infos = [await _rpc(d, "getsidechaininfo", SIDECHAIN_ID) for d in datadirs]
            return seen("bond_claimed") is not None and all(
                i["checkpointed_height"] is not None
                and i["checkpointed_height"] >= milestones["reverted_height"]
                and i["checkpoint_posted_at"] > (revert_at or 0)
                for i in infos
            )  # SC-DSP-25: and node 0 claimed its proof's reward

        done = await _mine_until(
            datadirs,
            settled,
            "honest checkpoint" if fault == "credits" else "slashing",
            bar,
            budget,
            node0.poll,
        )
        if fault == "credits":
            milestones["honest_checkpoint"] = done
        await node0.poll()
        for kind in ("proof_posted", "checkpoint_reverted_by_proof", "bond_claimed"):
            milestones[kind] = seen(kind)
        milestones["reward"] = claimed_amount(node0.events)  # SC-DSP-25 (credits: waited for)
        milestones["dispute"] = node0.events
        infos = [await _rpc(d, "getsidechaininfo", SIDECHAIN_ID) for d in datadirs]
        milestones["escrow"] = [i["escrow"] for i in infos]
        milestones["checkpoint_posted_at"] = [i["checkpoint_posted_at"] for i in infos]
        milestones["masternodes"] = [(await _rpc(d, "getstatus"))["masternodes"] for d in datadirs]
        _note(
            show_progress,
            f"federation slashed (SC-DSP-13): active masternodes {milestones['masternodes']}; escrow "
            f"on every node {milestones['escrow']}",
        )
        return milestones
    finally:
        bar.close()


def claimed_amount(events: Sequence[dict[str, Any]]) -> int | None:
    """SC-DSP-18/25: the atoms of node 0's first bond claim (its ``bond_claimed`` event), if any."""
    text = next((str(e["text"]) for e in events if e["kind"] == "bond_claimed"), None)
    return None if text is None else int(text.split("claimed: ")[1].split(" ")[0])


def devnet_main(
    count: int,
    blocks: int,
    directory: Path | None,
    upgrade: bool = False,
    node_args: Sequence[str] = (),
    converge_timeout: float = CONVERGE_TIMEOUT,
    prune: int | None = None,
    fast_sync_late_node: bool = False,
    sidechain: bool = False,
    multi_vm: bool = False,
    dispute: bool = False,
    proof: str | None = None,
) -> DevnetResult:
    """Run the scenario in ``directory`` (a temporary one if ``None``) and return what it saw."""
    options: dict[str, Any] = {
        "upgrade": upgrade,
        "node_args": node_args,
        "converge_timeout": converge_timeout,
        "prune": prune,
        "fast_sync_late_node": fast_sync_late_node,
        "sidechain": sidechain,
        "multi_vm": multi_vm,
        "dispute": dispute,
        "proof": proof,
    }
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        return asyncio.run(run_devnet(count, blocks, directory, **options))
    with tempfile.TemporaryDirectory(prefix="rusty-devnet-") as temporary:
        return asyncio.run(run_devnet(count, blocks, Path(temporary), **options))
