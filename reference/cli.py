"""``rusty``: the reference node's command line, after bitcoind / bitcoin-cli.

rusty init DATADIR [--preset devnet]     create a node
rusty node DATADIR [options]             run it: P2P, JSON-RPC, metrics, logs (docs/node.md)
rusty call DATADIR METHOD [PARAMS...]    call a running node's RPC
rusty mine DATADIR N                     mine N blocks on the devnet preset's CPU miner
rusty send DATADIR KEY_HASH AMOUNT       queue a payment (spec-validated) for the next block
rusty status DATADIR                     height, tip, balance, pending transactions
rusty sidechain info|deposit|deploy|call|... DATADIR ...   a running node's sidechains
rusty devnet [N]                         N local nodes that mine, sync, finalize and converge
rusty simulate SCENARIO.toml --seed N --out DIR   network simulation (sim/, docs/simulation.md)
rusty --version                          the suite and protocol versions

Every command's ``--help`` ends with examples. ``rusty call`` prints an RPC error as one line on
stderr, ``error code: -32601, error message: unknown method 'x'`` (plus ``, spec code: CODE`` for a
spec rejection), and exits with 1, as does any command that fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

import aiohttp
import click
from tqdm import tqdm

from reference import jsonsafe
from reference.daemon import rpc_port_of, serve_forever
from reference.devnet import CONVERGE_TIMEOUT, PROOF_NAMES, SIDECHAIN_ID, DevnetError, devnet_main
from reference.jsonsafe import JsonTooDeep
from reference.logs import LOG_FORMATS, configure_logging
from reference.node import Node
from reference.p2p import P2PLimits
from reference.rpc import RpcError, call
from reference.sidechains import FAULTS
from reference.snapshots import SNAPSHOT_INTERVAL
from reference.versions import version_text
from sim.cli import simulate
from spec.errors import SpecError
from spec.presets import PRESET_NAMES, get_preset

_datadir = click.argument("datadir", type=click.Path(path_type=Path))


def examples(*lines: str) -> str:
    """A command's ``--help`` epilog: the example command lines, kept as written (click's ``\\b``)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _print_version(context: click.Context, _parameter: click.Parameter, value: bool) -> None:
    if value and not context.resilient_parsing:
        click.echo(version_text("rusty"))
        context.exit()


@click.group(
    epilog=examples(
        "rusty init ~/.rusty-dev",
        "rusty node ~/.rusty-dev --mine-every 2 --metrics-port 9332",
        "rusty call ~/.rusty-dev getstatus",
        "rusty devnet 3",
        "rusty COMMAND --help",
    )
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print the suite and protocol versions and exit.",
)
def main() -> None:
    """Rusty Coin reference node."""


@main.command(epilog=examples("rusty init ~/.rusty-dev", "rusty init ~/.rusty-main --preset mainnet"))
@_datadir
@click.option("--preset", type=click.Choice(PRESET_NAMES), default="devnet", show_default=True)
def init(datadir: Path, preset: str) -> None:
    """Create a node's data directory and wallet key."""
    node = Node.init(datadir, preset)
    click.echo(f"initialised {datadir} ({preset}); wallet key hash {node.wallet.key_hash.hex()}")
    node.close()


@main.command(epilog=examples("rusty mine ~/.rusty-dev 10"))
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


@main.command(
    epilog=examples(
        "rusty send ~/.rusty-dev 3f2a...e1 50000",
        "rusty send ~/.rusty-dev 3f2a...e1 50000 --fee 2000",
    )
)
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


@main.command(epilog=examples("rusty status ~/.rusty-dev"))
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


@main.command(
    epilog=examples(
        "rusty node ~/.rusty-dev",
        "rusty node ~/.rusty-dev --mine-every 2",
        "rusty node ~/.rusty-b --connect 127.0.0.1:18444 --rpc-port 18443",
        "rusty node ~/.rusty-dev --metrics-port 9332 --log-format json",
        "rusty node ~/.rusty-dev --snapshot-interval 5",
    )
)
@_datadir
@click.option(
    "--rpc-port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option(
    "--p2p-port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option(
    "--connect",
    "connect",
    multiple=True,
    help="The /ip4/HOST/tcp/PORT/p2p/PEER_ID multiaddr of a peer (a DHT bootstrap peer; DATADIR/p2p.addr "
    "of a running node), or with --transport tcp its HOST:PORT (repeatable).",
)
@click.option(
    "--transport",
    type=click.Choice(["tcp", "libp2p"]),
    default="libp2p",
    show_default=True,
    help="P2P transport: libp2p (Noise, yamux, gossipsub, Kademlia DHT, operator peer records; "
    "docs/node.md#the-node-on-libp2p), or the spec's P2P-1 framing over plain TCP.",
)
@click.option("--mine-every", type=float, default=None, help="Devnet: mine a block every this many seconds.")
@click.option("--max-inbound", type=click.IntRange(min=0), default=None, help="Default: the preset's (125).")
@click.option("--handshake-timeout", type=click.FloatRange(min=0.1), default=P2PLimits.handshake_timeout)
@click.option("--frame-timeout", type=click.FloatRange(min=0.1), default=P2PLimits.frame_timeout)
@click.option("--ping-interval", type=click.FloatRange(min=0.1), default=P2PLimits.ping_interval)
@click.option(
    "--max-buffered-mib", type=click.IntRange(min=1), default=None, help="Default: max(64, 2 x max message)."
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics (0 picks a free port, written to "
    "DATADIR/metrics.port). Default: off.",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="Logs on stderr: text, or JSON lines (ts, level, logger, msg, fields).",
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
@click.option(
    "--snapshot-interval",
    type=click.IntRange(min=1),
    default=SNAPSHOT_INTERVAL,
    show_default=True,
    help="Take a state snapshot to serve after every block whose height is a multiple of N.",
)
@click.option(
    "--watch-sidechains",
    is_flag=True,
    help="Run the sidechain watcher (docs/node.md#watching-sidechains): re-execute every checkpointed "
    "sidechain block, challenge a checkpoint that does not match (the bond paid from the wallet), "
    "play the dispute game and claim the bond back; as a federation member, defend its checkpoints.",
)
@click.option(
    "--no-discovery-dial",
    is_flag=True,
    help="Devnet test hook (libp2p): dial only the --connect addresses and the peers operator records "
    "name; DHT lookups, discovery and gossipsub open no other connection (docs/node.md).",
)
@click.option(
    "--sidechain-fault",
    type=click.Choice(list(FAULTS)),
    is_flag=False,
    flag_value="trace",
    default=None,
    help="Devnet test hook: as a federation member, sign the first sidechain block with transactions "
    "under a forged state root (`trace`, the default), the first block crediting an input under a "
    "wrong credits root (`credits`) or the first block after genesis under an outbox withdrawing "
    "more than the escrow (`overdraw`), once per sidechain, and defend it; or sign a second header "
    "at the first accepted height after genesis and hand it out (`equivocate`, RPC "
    "getsidechaininfo's `forged`); `rusty devnet --dispute`, `--dispute-credits`, "
    "`--dispute-overdraw` and `--dispute-equivocation` use it.",
)
def node(
    datadir: Path,
    rpc_port: int,
    p2p_port: int,
    connect: tuple[str, ...],
    transport: str,
    mine_every: float | None,
    max_inbound: int | None,
    handshake_timeout: float,
    frame_timeout: float,
    ping_interval: float,
    max_buffered_mib: int | None,
    metrics_port: int | None,
    log_format: str,
    prune: int | None,
    fast_sync: bool,
    snapshot_interval: int,
    watch_sidechains: bool,
    no_discovery_dial: bool,
    sidechain_fault: str | None,
) -> None:
    """Run the node: P2P and JSON-RPC on 127.0.0.1 (cookie auth), optional devnet mining.

    The P2P limits (docs/node.md) default to the values in reference/p2p.py's ``P2PLimits``."""
    bootstrap = [address for address in connect if address.startswith("/")]
    if bootstrap and transport != "libp2p":
        raise click.BadParameter("a multiaddr needs --transport libp2p", param_hint="--connect")
    if transport == "libp2p" and len(bootstrap) < len(connect):
        raise click.BadParameter(
            "HOST:PORT needs --transport tcp; libp2p dials a /ip4/HOST/tcp/PORT/p2p/PEER_ID multiaddr",
            param_hint="--connect",
        )
    try:
        peers = [
            (address.rsplit(":", 1)[0], int(address.rsplit(":", 1)[1]))
            for address in connect
            if not address.startswith("/")
        ]
    except (IndexError, ValueError) as exc:
        raise click.BadParameter("HOST:PORT or a multiaddr", param_hint="--connect") from exc
    limits = P2PLimits(
        max_inbound,
        handshake_timeout,
        frame_timeout,
        ping_interval,
        None if max_buffered_mib is None else max_buffered_mib * 1024 * 1024,
        discovery_dial=not no_discovery_dial,
    )
    if prune is not None:
        minimum = get_preset((datadir / "preset").read_text().strip()).network.pruned_serve_blocks
        if prune < minimum:
            message = f"at least network.pruned_serve_blocks ({minimum})"
            raise click.BadParameter(message, param_hint="--prune")
    if no_discovery_dial and (transport != "libp2p" or (datadir / "preset").read_text().strip() != "devnet"):
        raise click.BadParameter(
            "a test hook of the devnet preset on libp2p", param_hint="--no-discovery-dial"
        )
    if sidechain_fault and (datadir / "preset").read_text().strip() != "devnet":
        raise click.BadParameter("a test hook of the devnet preset", param_hint="--sidechain-fault")
    configure_logging(log_format)
    try:
        serve_forever(
            datadir,
            rpc_port,
            p2p_port,
            peers,
            mine_every,
            limits,
            metrics_port=metrics_port,
            prune=prune,
            fast_sync=fast_sync,
            snapshot_interval=snapshot_interval,
            transport=transport,
            bootstrap=bootstrap,
            watch_sidechains=watch_sidechains,
            sidechain_fault=sidechain_fault,
        )
    except (OSError, SpecError) as exc:  # a port in use, a data directory that cannot be opened
        logging.getLogger("rusty.node").error(
            "cannot start", extra={"fields": {"datadir": str(datadir), "error": str(exc)}}
        )
        sys.exit(1)


@main.command(
    name="call",
    epilog=examples(
        "rusty call ~/.rusty-dev getstatus",
        "rusty call ~/.rusty-dev getblock 12",
        "rusty call ~/.rusty-dev sendtoaddress 3f2a...e1 50000 1000",
        "rusty call ~/.rusty-dev setvote governed_tickets 2",
    ),
)
@_datadir
@click.argument("method")
@click.argument("params", nargs=-1)
def call_command(datadir: Path, method: str, params: tuple[str, ...]) -> None:
    """Call a running node's RPC METHOD; each PARAM is parsed as JSON if it can be, else a string.

    The methods and the error codes are listed in reference/rpc.py and docs/node.md. An RPC error is
    one line on stderr (``error code: -32601, error message: ...``) and exit status 1."""
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
        click.echo(rpc_error_line(exc), err=True)
        sys.exit(1)
    except (OSError, aiohttp.ClientError) as exc:
        click.echo(
            f"error: cannot reach the node's RPC in {datadir} ({exc}); is `rusty node {datadir}` running?",
            err=True,
        )
        sys.exit(1)
    click.echo(json.dumps(result, indent=2))


def _rpc(datadir: Path, method: str, *params: object) -> None:
    """Call ``method`` on the running node of ``datadir`` and print the result (as ``rusty call``)."""
    try:
        result = asyncio.run(call(rpc_port_of(datadir), datadir, method, *params))
    except RpcError as exc:
        click.echo(rpc_error_line(exc), err=True)
        sys.exit(1)
    except (OSError, aiohttp.ClientError) as exc:
        click.echo(
            f"error: cannot reach the node's RPC in {datadir} ({exc}); is `rusty node {datadir}` running?",
            err=True,
        )
        sys.exit(1)
    click.echo(json.dumps(result, indent=2))


@main.group(
    epilog=examples(
        "rusty sidechain info ~/.rusty-dev 1",
        "rusty sidechain deposit ~/.rusty-dev 1 500000",
        "rusty sidechain transfer ~/.rusty-dev 1 9c1e...07 1000",
        "rusty sidechain withdraw ~/.rusty-dev 1 2000",
        "rusty sidechain claim ~/.rusty-dev 1 3 0",
        "rusty sidechain deploy ~/.rusty-dev 3 @conformance/contracts/wasm/token.wat",
    )
)
def sidechain() -> None:
    """Use a running node's sidechains (docs/node.md#sidechains): peg in, transfer, withdraw, claim;
    deploy and call contracts on EVM and WASM sidechains."""


_sidechain_fee = click.option(
    "--fee", type=click.IntRange(min=0), default=None, help="Default: the least VMF-4 accepts."
)
"""The optional ``--fee`` of the sidechain transaction commands (absent: the RPC picks the least fee)."""


def _rpc_with_fee(datadir: Path, method: str, params: list[object], fee: int | None) -> None:
    """Call ``method`` with ``params``, plus ``fee`` as the last parameter when one was given."""
    _rpc(datadir, method, *params, *([] if fee is None else [fee]))


@sidechain.command(
    name="info",
    epilog=examples(
        "rusty sidechain info ~/.rusty-dev 1", "rusty sidechain info ~/.rusty-dev 1 --withdrawals"
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.option("--withdrawals", is_flag=True, help="List the withdrawal entries and their claim state.")
@click.option("--balance", is_flag=True, help="Show the wallet account's balance and nonce.")
def sidechain_info(datadir: Path, sidechain_id: int, withdrawals: bool, balance: bool) -> None:
    """The sidechain as the node follows it (tip, escrow, checkpoints, federation)."""
    if withdrawals:
        _rpc(datadir, "listsidechainwithdrawals", sidechain_id)
    elif balance:
        _rpc(datadir, "getsidechainbalance", sidechain_id)
    else:
        _rpc(datadir, "getsidechaininfo", sidechain_id)


@sidechain.command(
    name="deposit",
    epilog=examples(
        "rusty sidechain deposit ~/.rusty-dev 1 500000",
        "rusty sidechain deposit ~/.rusty-dev 1 500000 --account 9c1e...07",
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.argument("amount", type=click.IntRange(min=1))
@click.option("--account", default=None, help="The sidechain account id (hex); default: the wallet's.")
def sidechain_deposit(datadir: Path, sidechain_id: int, amount: int, account: str | None) -> None:
    """Peg AMOUNT atoms into the sidechain (SC-PEG-1); credited once buried peg_in_depth blocks."""
    _rpc(datadir, "sidechaindeposit", sidechain_id, amount, account)


@sidechain.command(
    name="transfer",
    epilog=examples(
        "rusty sidechain transfer ~/.rusty-dev 1 9c1e...07 1000",
        "rusty sidechain transfer ~/.rusty-dev 1 9c1e...07 1000 --fee 2000",
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.argument("account")
@click.argument("amount", type=click.IntRange(min=0))
@_sidechain_fee
def sidechain_transfer(datadir: Path, sidechain_id: int, account: str, amount: int, fee: int | None) -> None:
    """Send AMOUNT atoms from the wallet's sidechain account to ACCOUNT (VMF-7)."""
    _rpc_with_fee(datadir, "sidechaintransfer", [sidechain_id, account, amount], fee)


@sidechain.command(
    name="withdraw",
    epilog=examples(
        "rusty sidechain withdraw ~/.rusty-dev 1 2000",
        "rusty sidechain withdraw ~/.rusty-dev 1 2000 --script 76a9...88ac",
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.argument("amount", type=click.IntRange(min=1))
@click.option("--script", default=None, help="The mainchain script paid (hex); default: the wallet's.")
@_sidechain_fee
def sidechain_withdraw(
    datadir: Path, sidechain_id: int, amount: int, script: str | None, fee: int | None
) -> None:
    """Burn AMOUNT atoms on the sidechain into a WITHDRAWAL outbox entry (VMF-7), claimable on the
    mainchain after its checkpoint's challenge period (``rusty sidechain claim``)."""
    _rpc_with_fee(datadir, "sidechainwithdraw", [sidechain_id, amount, script], fee)


@sidechain.command(
    name="claim",
    epilog=examples(
        "rusty sidechain claim ~/.rusty-dev 1 3 0",
        "rusty sidechain info ~/.rusty-dev 1 --withdrawals",
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.argument("height", type=click.IntRange(min=0))
@click.argument("index", type=click.IntRange(min=0))
def sidechain_claim(datadir: Path, sidechain_id: int, height: int, index: int) -> None:
    """Claim withdrawal INDEX of sidechain block HEIGHT on the mainchain (SC-PEG-3/4), paid from escrow."""
    _rpc(datadir, "sidechainclaim", sidechain_id, height, index)


def _code_hex(code: str) -> str:
    """A contract's code for ``rusty sidechain deploy``: hex, or ``@FILE`` (a ``.wasm`` binary, WAT
    text compiled by wasmtime's ``wat2wasm``, or EVM initcode as hex)."""
    if not code.startswith("@"):
        return code.removeprefix("0x")
    path = Path(code[1:])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}") from None
    if data[:4] == b"\0asm":
        return data.hex()
    text = data.decode("utf-8", errors="replace").strip()
    if path.suffix == ".wat" or text.startswith("("):
        from reference.sidechain_vms import decode_wasm_module

        try:
            return decode_wasm_module(data).hex()
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return text.removeprefix("0x")


@sidechain.command(
    name="deploy",
    epilog=examples(
        "rusty sidechain deploy ~/.rusty-dev 2 601880600b6000396000f3...",
        "rusty sidechain deploy ~/.rusty-dev 3 @conformance/contracts/wasm/token.wat",
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.argument("code")
@click.option("--value", type=click.IntRange(min=0), default=0, show_default=True, help="Atoms sent along.")
def sidechain_deploy(datadir: Path, sidechain_id: int, code: str, value: int) -> None:
    """Deploy CODE on an EVM (initcode) or WASM (module) sidechain from the wallet's account: hex, or
    @FILE (.wasm, .wat, or a file holding hex). Prints the transaction and the contract's address."""
    _rpc(datadir, "sidechaindeploy", sidechain_id, _code_hex(code), value)


@sidechain.command(
    name="call",
    epilog=examples(
        "rusty sidechain call ~/.rusty-dev 2 5fbd...a4 00000000...0000002a",
        "rusty sidechain call ~/.rusty-dev 3 9c1e...07 01<32-byte address><8-byte amount>",
        "rusty sidechain call ~/.rusty-dev 2 5fbd...a4 --read 00",
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.argument("contract")
@click.argument("data", default="")
@click.option("--value", type=click.IntRange(min=0), default=0, show_default=True, help="Atoms sent along.")
@click.option("--read", "read", default=None, help="Instead: print the storage value under this key (hex).")
def sidechain_call(
    datadir: Path, sidechain_id: int, contract: str, data: str, value: int, read: str | None
) -> None:
    """Call CONTRACT with input DATA (hex) from the wallet's account on an EVM or WASM sidechain, or
    with --read KEY print its storage under KEY (an EVM slot, a WASM key) on the node's tip."""
    if read is not None:
        _rpc(datadir, "getsidechainstorage", sidechain_id, contract, read.removeprefix("0x"))
        return
    _rpc(datadir, "sidechaincall", sidechain_id, contract, data.removeprefix("0x"), value)


@sidechain.command(
    name="account",
    epilog=examples(
        "rusty sidechain account ~/.rusty-dev 2", "rusty sidechain account ~/.rusty-dev 2 5fbd...a4"
    ),
)
@_datadir
@click.argument("sidechain_id", type=click.IntRange(min=1))
@click.argument("address", required=False, default=None)
def sidechain_account(datadir: Path, sidechain_id: int, address: str | None) -> None:
    """The balance, nonce and code hash of ADDRESS (default: the wallet's account of the sidechain's
    VM kind) on the node's tip."""
    _rpc(datadir, "getsidechainaccount", sidechain_id, address)


def rpc_error_line(error: RpcError) -> str:
    """bitcoin-cli's ``error code`` / ``error message``, on one line (plus the spec code of a rejection)."""
    line = f"error code: {error.code}, error message: {error.message}"
    if isinstance(error.data, dict) and isinstance(error.data.get("code"), str):
        line += f", spec code: {error.data['code']}"
    return line


@main.command(
    epilog=examples(
        "rusty devnet 3",
        "rusty devnet 2 --upgrade",
        "rusty devnet 3 --upgrade --prune 16 --fast-sync-late-node",
        "rusty devnet 3 --dir /tmp/devnet --node-arg=--log-format=json",
        "rusty devnet 4 --blocks 20 --timeout 300",
        "rusty devnet 3 --sidechain",
        "rusty devnet 3 --multi-vm",
    )
)
@click.argument("count", type=click.IntRange(min=2), default=3)
@click.option("--blocks", type=click.IntRange(min=1), default=12, show_default=True)
@click.option(
    "--dir", "directory", type=click.Path(path_type=Path), default=None, help="Keep the nodes here."
)
@click.option(
    "--upgrade",
    is_flag=True,
    help="Also hold a scripted stakeholder vote that activates the governed_tickets, then the state_trie "
    "fork (docs/upgrades.md).",
)
@click.option(
    "--sidechain",
    is_flag=True,
    help="Vote fork sidechains in (with the upgrade vote), then create sidechain 1 by governance and "
    "run a peg-in, a transfer, a withdrawal, its checkpoint and the claim, checked on every node "
    "(docs/node.md#sidechains).",
)
@click.option(
    "--prune",
    type=click.IntRange(min=1),
    default=None,
    help="Run every node with `rusty node --prune N` (at least network.pruned_serve_blocks).",
)
@click.option(
    "--multi-vm",
    "multi_vm",
    is_flag=True,
    help="Vote fork sidechains in, then create an EVM and a WASM sidechain by governance, deploy a "
    "contract on each and call it, checked on every node (EVM reads through /evm/<id> eth_ JSON-RPC; "
    "docs/node.md#sidechains-of-every-vm-kind).",
)
@click.option(
    "--dispute",
    is_flag=True,
    help="The --sidechain round trip with a misbehaving federation: nodes 1.. sign a forged checkpoint "
    "(--sidechain-fault), node 0 (--watch-sidechains) challenges it, wins the dispute game, the "
    "checkpoint is reverted and the honest withdrawal is paid later (docs/node.md#watching-sidechains).",
)
@click.option(
    "--dispute-credits",
    is_flag=True,
    help="A misbehaving federation that commits wrong credits: nodes 1.. sign the block crediting the "
    "peg-in under a wrong credits root (--sidechain-fault=credits), node 0 (--watch-sidechains) posts a "
    "wrong-credits proof, the checkpoint is reverted and the honest header checkpointed "
    "(docs/disputes.md).",
)
@click.option(
    "--dispute-equivocation",
    is_flag=True,
    help="A federation that signs two headers at one height: nodes 1.. sign a second header once "
    "checkpoint 1 is accepted (--sidechain-fault=equivocate), the devnet hands it to node 0 "
    "(submitsidechainheader), whose watcher posts an equivocation proof (kind 9): the checkpoint is "
    "reverted and the federation slashed (docs/disputes.md).",
)
@click.option(
    "--dispute-overdraw",
    is_flag=True,
    help="A federation whose outbox withdraws more than the escrow: nodes 1.. sign block 1 under such "
    "an outbox root (--sidechain-fault=overdraw) and publish its entries, the devnet hands them to "
    "node 0 (submitsidechainoutbox), whose watcher posts an overdraw proof (kind 10): the checkpoint "
    "is reverted and the federation slashed (docs/disputes.md).",
)
@click.option(
    "--fast-sync-late-node",
    is_flag=True,
    help="Start the late node with --fast-sync: a verified snapshot first (docs/node.md#snapshot-fast-sync).",
)
@click.option(
    "--node-arg",
    "node_args",
    multiple=True,
    help="An extra `rusty node` option for every node (repeatable), e.g. --node-arg=--log-format=json.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=CONVERGE_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the nodes to converge (and for the late node).",
)
def devnet(
    count: int,
    blocks: int,
    directory: Path | None,
    upgrade: bool,
    prune: int | None,
    fast_sync_late_node: bool,
    node_args: tuple[str, ...],
    timeout: float,
    sidechain: bool,
    multi_vm: bool,
    dispute: bool,
    dispute_credits: bool,
    dispute_equivocation: bool,
    dispute_overdraw: bool,
) -> None:
    """Start COUNT local nodes that mine, sync, finalize and relay payments; check they converge.

    Shows the blocks mined with every node's height and finalized height while it waits. Exits with
    1 and a message naming the node (and the end of its log) when a node fails to start or answer,
    or when the nodes do not converge within --timeout seconds."""
    proofs = [
        fault
        for fault, chosen in (
            ("credits", dispute_credits),
            ("equivocate", dispute_equivocation),
            ("overdraw", dispute_overdraw),
        )
        if chosen
    ]
    if len(proofs) > 1:
        raise click.UsageError(
            "--dispute-credits, --dispute-equivocation and --dispute-overdraw are separate runs"
        )
    proof = proofs[0] if proofs else None
    try:
        result = devnet_main(
            count,
            blocks,
            directory,
            upgrade,
            node_args,
            timeout,
            prune,
            fast_sync_late_node,
            sidechain,
            multi_vm,
            dispute,
            proof,
        )
    except DevnetError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for index, (height, tip, peers) in enumerate(zip(result.heights, result.tips, result.peers, strict=True)):
        finalized = result.finalized_heights[index] if result.finalized_heights else None
        masternodes = result.masternodes[index] if result.masternodes else 0
        click.echo(
            f"node{index}: height {height}, tip {tip[:16]}, {peers} peers, "
            f"{masternodes} masternodes, finalized height {finalized}"
        )
    for index, info in enumerate(result.peer_info):
        if "operator_peers" in info:  # libp2p: the quorum fellows found by their records (P2P-LP-8)
            records = info["operator_peers"].values()
            dialled = sum(1 for record in records if record.get("dialled"))
            click.echo(
                f"node{index}: {len(records)} operator records resolved, {dialled} dialled from a record"
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
    if result.late_fast_sync is not None:
        sync = result.late_fast_sync
        checked = (
            f"finalized by the certificate of height {sync['certificate_height']} "
            f"(block {str(sync['certificate_block'])[:16]}), checked under the committed quorum key (SNAP-9)"
            if sync["certificate_height"] is not None
            else "a UTXO-only snapshot: no finality key to check, replayed from genesis"
        )
        click.echo(
            f"late node: fast-synced from the snapshot at height {sync['snapshot_height']} "
            f"(block {str(sync['snapshot_block'])[:16]}), {checked}"
        )
    if result.upgrade_expected:
        for index, (fork, activated) in enumerate(zip(result.forks, result.activation_heights, strict=True)):
            click.echo(f"node{index}: fork {fork}, activated at height {activated}")
        click.echo(f"upgrade: {'active on every node' if result.upgraded else 'NOT ACTIVE EVERYWHERE'}")
    if not result.converged:
        missing = [
            reason
            for reason, bad in (
                (f"tips differ (heights {result.heights})", len(set(result.tips)) != 1),
                ("node1 did not receive the payment", not result.payment_received),
                ("finality missing", result.finality_expected and not result.finality_reached),
                ("upgrade not active everywhere", result.upgrade_expected and not result.upgraded),
            )
            if bad
        ]
        click.echo(f"error: the nodes did not converge within {timeout:g} s: {'; '.join(missing)}", err=True)
        sys.exit(1)
    if result.late_node_finalized is False:
        click.echo(f"error: the late node did not sync and finalize within {timeout:g} s", err=True)
        sys.exit(1)
    if proof is not None:
        _echo_proof(proof, result.sidechain)
        return
    if sidechain or dispute:
        trip = result.sidechain
        if trip is None:
            click.echo("error: the sidechain round trip did not run", err=True)
            sys.exit(1)
        click.echo(
            f"sidechain {SIDECHAIN_ID}: registered at {trip['registered']}, peg-in credited by "
            f"{trip['deposited']}, transfer by {trip['transferred']}, withdrawal checkpointed and "
            f"matured by {trip['checkpointed']}, claim paid at {trip['claimed']}; on every node: "
            f"escrow {trip['escrow']}, checkpointed heights {trip['checkpointed_heights']}"
        )
        if dispute:
            click.echo(
                f"dispute: forged checkpoint challenged at {trip['game_opened']}, game won at "
                f"{trip['game_won']}, checkpoint reverted at {trip['checkpoint_reverted']}, bond and "
                f"reward claimed at {trip['bond_claimed']} ({trip.get('bond_and_reward')} atoms: the bond "
                f"back plus the reward from the slashed federation's collateral, SC-DSP-25); the honest "
                f"withdrawal paid at {trip['claimed']}"
            )
            if None in (trip["game_opened"], trip["game_won"], trip["checkpoint_reverted"]):
                click.echo("error: the forged checkpoint was not challenged, lost and reverted", err=True)
                sys.exit(1)
    if multi_vm:
        _echo_multi_vm(result.multi_vm)


def _echo_proof(fault: str, trip: dict[str, Any] | None) -> None:
    """A proof run's summary (``--dispute-credits``, ``--dispute-equivocation``,
    ``--dispute-overdraw``; exit 1 unless the proof was posted, the checkpoint reverted and the
    federation slashed)."""
    if trip is None or None in (trip.get("proof_posted"), trip.get("checkpoint_reverted_by_proof")):
        click.echo(f"error: the federation's fault ({fault}) was not proven and reverted", err=True)
        sys.exit(1)
    faulty = {
        "credits": f"the federation's checkpoint h={trip['reverted_height']} credited it twice",
        "equivocate": f"checkpoint h=1 posted at {trip['checkpoint_posted']}, a second header at h=1 "
        f"signed and handed to node 0 at {trip['evidence_handed']}",
        "overdraw": f"the federation's checkpoint h=1 posted at {trip['checkpoint_posted']} with an "
        f"outbox above the escrow, its entries handed to node 0 at {trip['evidence_handed']}",
    }[fault]
    replaced = (
        f", the honest header checkpointed at {trip['honest_checkpoint']}" if fault == "credits" else ""
    )
    click.echo(
        f"{PROOF_NAMES[fault]}: sidechain {SIDECHAIN_ID} registered at {trip['registered']}, peg-in "
        f"sent at {trip['deposit_sent']}; {faulty}; node 0's proof (kind {trip['proof_kind']}) posted "
        f"at {trip['proof_posted']}, checkpoint h={trip['reverted_height']} reverted at "
        f"{trip['checkpoint_reverted_by_proof']} (the federation slashed: active masternodes "
        f"{trip['masternodes']}){replaced}; escrow on every node {trip['escrow']}"
    )
    if fault == "credits":
        click.echo(
            f"the prover's reward from the slashed collateral (SC-DSP-25) claimed at "
            f"{trip.get('bond_claimed')}: {trip.get('reward')} atoms"
        )
    if any(trip["masternodes"]) or len(set(trip["escrow"])) != 1:
        click.echo("error: the federation was not slashed everywhere, or the escrows differ", err=True)
        sys.exit(1)


def _echo_multi_vm(trip: dict[str, object] | None) -> None:
    """The ``--multi-vm`` round trip's summary (exit 1 if it did not run)."""
    if not isinstance(trip, dict):
        click.echo("error: the multi-VM round trip did not run", err=True)
        sys.exit(1)
    eth = trip["eth"][0]  # type: ignore[index]
    contracts = trip["contracts"]
    click.echo(
        f"multi-vm: EVM and WASM sidechains registered at {trip['registered']}, peg-ins credited by "
        f"{trip['deposited']}, contracts deployed by {trip['deployed']} ({contracts}), called by "
        f"{trip['called']}; on every node: eth_call {eth['eth_call']} (chain id {eth['chain_id']}, "
        f"block {eth['block_number']}), tokens {trip['token_balances']}"
    )
    receipt, transaction = eth["receipt"], eth["transaction"]
    click.echo(
        f"multi-vm: eth_getTransactionReceipt of the EVM store call (receipt index, the same on every "
        f"node): status {receipt['status']}, gasUsed {receipt['gasUsed']}, block {receipt['blockNumber']}, "
        f"{len(receipt['logs'])} logs; eth_getTransactionByHash: {transaction['hash']} in block "
        f"{transaction['blockNumber']}"
    )


main.add_command(simulate)  # sim/: SimPy and the engine load only when a scenario runs


if __name__ == "__main__":
    main()
