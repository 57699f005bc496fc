"""``rusty``: the reference node's command line (local operations; networking comes later).

rusty init DATADIR [--preset devnet]     create a node
rusty mine DATADIR N                     mine N blocks on the devnet preset's CPU miner
rusty send DATADIR KEY_HASH AMOUNT       queue a payment (spec-validated) for the next block
rusty status DATADIR                     height, tip, balance, pending transactions
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from reference import jsonsafe
from reference.daemon import rpc_port_of, serve_forever
from reference.devnet import devnet_main
from reference.jsonsafe import JsonTooDeep
from reference.node import Node
from reference.p2p import P2PLimits
from reference.rpc import RpcError, call
from spec.errors import SpecError
from spec.presets import PRESET_NAMES, get_preset

_datadir = click.argument("datadir", type=click.Path(path_type=Path))


@click.group()
def main() -> None:
    """Rusty Coin reference node."""


@main.command()
@_datadir
@click.option("--preset", type=click.Choice(PRESET_NAMES), default="devnet", show_default=True)
def init(datadir: Path, preset: str) -> None:
    """Create a node's data directory and wallet key."""
    node = Node.init(datadir, preset)
    click.echo(f"initialised {datadir} ({preset}); wallet key hash {node.wallet.key_hash.hex()}")
    node.close()


@main.command()
@_datadir
@click.argument("count", type=click.IntRange(min=1))
def mine(datadir: Path, count: int) -> None:
    """Mine COUNT blocks (timestamps advance by the preset's block time from the tip)."""
    node = Node(datadir)
    if node.preset.name != "devnet":
        raise click.ClickException("the CPU miner is for the devnet preset")
    chain = node.preset.chain
    with tqdm(total=count, desc="mining", unit="block", file=sys.stderr, disable=None) as bar:
        for _ in range(count):
            state = node.store.state
            last = (
                state.timestamps[-1]
                if state.timestamps
                else chain.genesis_timestamp - chain.target_block_seconds
            )
            block = node.mine_block(last + chain.target_block_seconds)
            bar.set_postfix(height=block.header.height, txs=len(block.transactions))
            bar.update(1)
    click.echo(f"tip {node.store.state.tip_hash.hex()} at height {node.store.state.height}")
    node.close()


@main.command()
@_datadir
@click.argument("key_hash")
@click.argument("amount", type=click.IntRange(min=1))
@click.option("--fee", type=click.IntRange(min=0), default=1_000, show_default=True)
def send(datadir: Path, key_hash: str, amount: int, fee: int) -> None:
    """Pay AMOUNT atoms to the P2PKH KEY_HASH (hex) in the next mined block."""
    node = Node(datadir)
    try:
        tx = node.send(bytes.fromhex(key_hash), amount, fee)
    except (SpecError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        node.close()
    click.echo(f"queued a transaction with {len(tx.inputs)} inputs")


@main.command()
@_datadir
def status(datadir: Path) -> None:
    """Print the node's state as JSON."""
    node = Node(datadir)
    state = node.store.state
    click.echo(
        json.dumps(
            {
                "preset": node.preset.name,
                "height": state.height,
                "tip": state.tip_hash.hex(),
                "utxos": len(state.utxos),
                "live_tickets": len(state.tickets),
                "treasury": state.treasury,
                "balance": node.balance(),
                "pending": len(node.pending()),
                "key_hash": node.wallet.key_hash.hex(),
            },
            indent=2,
        )
    )
    node.close()


@main.command()
@_datadir
@click.option(
    "--rpc-port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option(
    "--p2p-port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option("--connect", "connect", multiple=True, help="HOST:PORT of a peer to dial (repeatable).")
@click.option("--mine-every", type=float, default=None, help="Devnet: mine a block every this many seconds.")
@click.option("--max-inbound", type=click.IntRange(min=0), default=None, help="Default: the preset's (125).")
@click.option("--handshake-timeout", type=click.FloatRange(min=0.1), default=P2PLimits.handshake_timeout)
@click.option("--frame-timeout", type=click.FloatRange(min=0.1), default=P2PLimits.frame_timeout)
@click.option("--ping-interval", type=click.FloatRange(min=0.1), default=P2PLimits.ping_interval)
@click.option(
    "--max-buffered-mib", type=click.IntRange(min=1), default=None, help="Default: max(64, 2 x max message)."
)
@click.option(
    "--prune",
    type=click.IntRange(min=1),
    default=None,
    help="Keep only the last N block bodies (and the undo records reorganisations above finality need; "
    "docs/node.md#pruning). N must be at least the preset's network.pruned_serve_blocks.",
)
@click.option(
    "--fast-sync",
    is_flag=True,
    help="An empty node first downloads a verified state snapshot from its peers "
    "(docs/node.md#snapshot-fast-sync), then syncs blocks.",
)
def node(
    datadir: Path,
    rpc_port: int,
    p2p_port: int,
    connect: tuple[str, ...],
    mine_every: float | None,
    max_inbound: int | None,
    handshake_timeout: float,
    frame_timeout: float,
    ping_interval: float,
    max_buffered_mib: int | None,
    prune: int | None,
    fast_sync: bool,
) -> None:
    """Run the node: P2P and JSON-RPC on 127.0.0.1 (cookie auth), optional devnet mining.

    The P2P limits (docs/node.md) default to the values in reference/p2p.py's ``P2PLimits``."""
    peers = [(address.rsplit(":", 1)[0], int(address.rsplit(":", 1)[1])) for address in connect]
    limits = P2PLimits(
        max_inbound,
        handshake_timeout,
        frame_timeout,
        ping_interval,
        None if max_buffered_mib is None else max_buffered_mib * 1024 * 1024,
    )
    if prune is not None:
        minimum = get_preset((datadir / "preset").read_text().strip()).network.pruned_serve_blocks
        if prune < minimum:
            message = f"at least network.pruned_serve_blocks ({minimum})"
            raise click.BadParameter(message, param_hint="--prune")
    serve_forever(datadir, rpc_port, p2p_port, peers, mine_every, limits, prune, fast_sync)


@main.command(name="call")
@_datadir
@click.argument("method")
@click.argument("params", nargs=-1)
def call_command(datadir: Path, method: str, params: tuple[str, ...]) -> None:
    """Call a running node's RPC METHOD; each PARAM is parsed as JSON if it can be, else a string."""
    values: list[object] = []
    for param in params:
        try:
            values.append(jsonsafe.loads(param))
        except JsonTooDeep as exc:
            raise click.ClickException(f"parameter {param[:40]!r}...: {exc}") from None
        except ValueError:
            values.append(param)
    try:
        result = asyncio.run(call(rpc_port_of(datadir), datadir, method, *values))
    except RpcError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message} {exc.data or ''}") from None
    click.echo(json.dumps(result, indent=2))


@main.command()
@click.argument("count", type=click.IntRange(min=2), default=3)
@click.option("--blocks", type=click.IntRange(min=1), default=12, show_default=True)
@click.option(
    "--dir", "directory", type=click.Path(path_type=Path), default=None, help="Keep the nodes here."
)
@click.option(
    "--upgrade",
    is_flag=True,
    help="Also hold a scripted stakeholder vote that activates the governed_tickets fork (docs/upgrades.md).",
)
def devnet(count: int, blocks: int, directory: Path | None, upgrade: bool) -> None:
    """Start COUNT local nodes that mine, sync, finalize and relay payments; check they converge."""
    result = devnet_main(count, blocks, directory, upgrade)
    for index, (height, tip, peers) in enumerate(zip(result.heights, result.tips, result.peers, strict=True)):
        finalized = result.finalized_heights[index] if result.finalized_heights else None
        masternodes = result.masternodes[index] if result.masternodes else 0
        click.echo(
            f"node{index}: height {height}, tip {tip[:16]}, {peers} peers, "
            f"{masternodes} masternodes, finalized height {finalized}"
        )
    finality = "not expected (fewer nodes than a quorum)"
    if result.finality_expected:
        finality = "reached" if result.finality_reached else "MISSING"
    late = {None: "not run", True: "synced and finalized", False: "DID NOT FINALIZE"}[
        result.late_node_finalized
    ]
    click.echo(
        f"devnet: {'converged' if result.converged else 'DID NOT CONVERGE'}; "
        f"payment {'received' if result.payment_received else 'missing'}; finality {finality}; "
        f"late node {late}"
    )
    if result.upgrade_expected:
        for index, (fork, activated) in enumerate(zip(result.forks, result.activation_heights, strict=True)):
            click.echo(f"node{index}: fork {fork}, activated at height {activated}")
        click.echo(f"upgrade: {'active on every node' if result.upgraded else 'NOT ACTIVE EVERYWHERE'}")
    if not result.converged or result.late_node_finalized is False:
        sys.exit(1)


if __name__ == "__main__":
    main()
