"""JSON-RPC 2.0 over HTTP, bound to localhost, with cookie authentication (aiohttp).

At start the server writes ``DATADIR/.cookie`` (mode 0600) holding ``__cookie__:<64 hex chars>``,
fresh random bytes each start; a client authenticates with HTTP Basic using that user and
password, as Bitcoin Core's cookie does. Only 127.0.0.1 is bound.

Methods (``params`` is a JSON array):

| method | params | result |
|---|---|---|
| ``getblockcount`` | | height of the tip (-1 before genesis) |
| ``getbestblockhash`` | | tip hash (hex) |
| ``getblock`` | ``height`` | the block at that height of the best chain (hex) |
| ``getstatus`` | | height, tip, UTXO count, live tickets, treasury, balance, pending |
| ``getbalance`` | | the wallet's confirmed atoms |
| ``getnewaddress`` | | the wallet's key hash (hex) |
| ``sendtoaddress`` | ``key_hash``, ``amount``, ``fee`` | queues a signed payment, returns its txid |
| ``sendrawtransaction`` | ``hex`` | queues a transaction after the spec's mempool checks, returns its txid |
| ``generate`` | ``count`` | devnet only: mines ``count`` blocks, returns their hashes |
| ``getpeerinfo`` | | node id, P2P port, connected and banned peers |
| ``registermasternode`` | ``port``, ``fee`` | queues the collateral and registration txs (MN-1/2) |
| ``unbondmasternode`` | ``fee`` | queues the owner's unbond of the wallet's masternode (MN-8); txid |
| ``getfinality`` | | finalized block, last signed height, DKG sessions, served snapshots, ``fast_sync`` |
| ``gettrieproof`` | ``txid``, ``index`` | state root, MPT-10 proof from the stored trie, UTXO entry or null |
| ``getproof`` | ``kind``, identifiers (below) | tip, layout, root, item key, value or null, proof (STATE-7) |
| ``getupgrades`` | | fork for the next block; per agenda: state, activation height, window votes, choice |
| ``setvote`` | ``agenda_id``, ``choice`` (0 abstain, 1 no, 2 yes) | the choices its votes carry |
| ``buytickets`` | ``count`` | txid of a purchase of ``count`` tickets voting with the wallet key |

Sidechains (reference/sidechains.py, docs/node.md#sidechains): ``getwatcherinfo`` (the watcher of
``--watch-sidechains``: counts and events), ``submitsidechainheader hex`` (a signed checkpoint
seen off the mainchain, for the watcher: equivocation evidence is kept and its kind-9 proof
posted; ``{header_hash, sidechain_id, height, evidence, posted}``), ``submitsidechainoutbox id
height [hex, ...]`` (a height's outbox entries seen off the mainchain: the evidence of SC-DSP-9),
``getsidechaininfo [id]``,
``getsidechainbalance id [account]``, ``sidechaindeposit id amount [account]`` (SC-PEG-1; txid),
``sendsidechaintx id hex`` (into the sidechain pool, relayed), ``sidechaintransfer id account amount
[fee]`` and ``sidechainwithdraw id amount [script] [fee]`` (signed by the wallet key's sidechain
account), ``listsidechainwithdrawals id``, ``getwithdrawalproof id height index`` (SC-TX-2) and
``sidechainclaim id height index`` (SC-PEG-3/4; txid). Governance: ``proposesidechain id [vm_kind
federation peg_in_depth challenge_period message_timeout max_escrow max_withdrawal]`` queues a
``CREATE_SIDECHAIN`` proposal (GOV-1..3, fork ``sidechains``) and ``voteproposal proposal_id choice
[revision]`` the vote of the node's masternode (GOV-4). An unknown sidechain or a transaction the
sidechain VM rejects is ``-32602``.

Sidechains of every VM kind (reference/sidechain_vms.py, docs/node.md#sidechains-of-every-vm-kind):
``getsidechainaddress id`` (the wallet's account on it: FerrisScript id, EVM or WASM address),
``getsidechainaccount id [address]`` (balance, nonce, code hash), ``sidechaindeploy id code [value]``
(EVM initcode or a WASM module, hex; ``{tx, contract}``), ``sidechaincall id contract data [value]``,
``sidechainsend id address amount`` (a plain transfer on an EVM or WASM sidechain) and
``getsidechainstorage id contract key`` (an EVM slot or a WASM storage key, hex). ``sidechaindeposit``
and ``getsidechainbalance`` default to the wallet's account of the sidechain's kind. Every EVM
sidechain also answers Ethereum JSON-RPC at ``POST /evm/<id>`` (same cookie): ``eth_chainId``,
``net_version``, ``eth_blockNumber``, ``eth_getBalance``, ``eth_getTransactionCount``, ``eth_getCode``,
``eth_getStorageAt``, ``eth_call``, ``eth_estimateGas``, ``eth_getBlockByNumber``, ``eth_gasPrice``,
``eth_maxPriorityFeePerGas``, ``eth_syncing``, ``web3_clientVersion``, ``eth_sendRawTransaction``
(into the sidechain pool, relayed), ``eth_getTransactionReceipt``, ``eth_getLogs`` and
``eth_getTransactionByHash`` (from the chain's receipt index); a revert is error ``3``.

``getproof`` kinds (STATE-2): ``coin txid index``, ``ticket txid index``, ``masternode txid index``
(collateral), ``proposal id``, ``vote proposal_id txid index``, ``executed id``, ``parameter name``,
``quorum finality|pose base_height``, ``singleton ticket_price|treasury|deployments|scheduled``.
Before fork ``state_trie`` the root commits to coins only (STATE-1), so any other kind is
``-32602``; check the answer with :func:`spec.chain.commitment.verify_state_proof` against the
``state_root`` of the header at ``height`` (a light client needs nothing else).

Errors use the JSON-RPC 2.0 codes, and the implementation-defined server range for the node's own:

| code | name | when |
|---|---|---|
| ``-32700`` | ``PARSE_ERROR`` | the body is not JSON (or nests deeper than the limit) |
| ``-32600`` | ``INVALID_REQUEST`` | not a request object; a bad ``id``; an empty or oversized batch |
| ``-32601`` | ``METHOD_NOT_FOUND`` | no such method (``generate`` off devnet) |
| ``-32602`` | ``INVALID_PARAMS`` | ``params`` not an array; a parameter of the wrong type or range |
| ``-32603`` | ``INTERNAL_ERROR`` | a bug: an unexpected exception in the node (logged with its traceback) |
| ``-32000`` | ``REJECTED`` | the spec rejected it; ``data.code``: the spec error code (docs/errors.md) |
| ``-32001`` | ``WALLET_ERROR`` | the wallet's spendable coins do not cover the payment, fee or tickets |
| ``-32002`` | ``NOT_FOUND`` | no such block (``getblock`` above the tip) |

JSON-RPC 2.0 batches (an array of request objects, at most ``MAX_BATCH``) are answered with an
array of responses in request order; notifications (no ``id`` member) are executed and never
answered, and a body of notifications only gets ``204 No Content``. A body nested deeper than
``reference.jsonsafe.MAX_JSON_NESTING`` is a parse error (``-32700``), refused before parsing.
"""

from __future__ import annotations

import base64
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from reference import jsonsafe
from reference.node import InsufficientFunds, Node
from reference.privatefiles import write_private
from reference.sidechain_vms import (
    EthApi,
    EthRpcError,
    WalletTx,
    account_info,
    call_contract,
    check_address,
    deploy_contract,
    read_storage,
    transfer,
    wallet_address,
)
from reference.sidechains import SidechainRejected, account_of, balance_of, ferris_wallet_transaction
from spec.chain.block import encode_block
from spec.chain.commitment import (
    DEPLOYMENTS_KEY,
    SCHEDULED_KEY,
    TICKET_PRICE_KEY,
    TREASURY_KEY,
    executed_key,
    masternode_key,
    parameter_key,
    proposal_key,
    quorum_key,
    ticket_key,
    utxo_key,
    vote_key,
)
from spec.chain.layout import StateLayout
from spec.encoding import decode
from spec.errors import SpecError
from spec.forks import fork_for_block
from spec.forks.deployment import activation_height, begin_window
from spec.governance.proposals import VoteChoice
from spec.ledger.state import encode_entry, encode_outpoint
from spec.ledger.transaction import OutPoint, Transaction, decode_transaction, txid
from spec.masternode.quorum import QuorumType
from spec.presets import Preset
from spec.sidechain.chain import compute_outbox_root
from spec.sidechain.header import compute_header_hash, decode_checkpoint
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
    sidechain_item_key,
)
from spec.sidechain.registry import SidechainSpec
from spec.trie import RUSTY_TRIE_HASHER, keccak256, verify_proof
from spec.vm.ferris import FerrisTxKind
from spec.vm.interface import OUTBOX_ENTRY_CODEC, VmKind

log = logging.getLogger("rusty.rpc")

COOKIE_USER = "__cookie__"
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
INTERNAL_ERROR = -32603
REJECTED = -32000
"""Server range (JSON-RPC 2.0 reserves -32000..-32099 for the implementation): a spec rejection."""
WALLET_ERROR = -32001
NOT_FOUND = -32002
MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_BATCH = 1000
"""The most requests one JSON-RPC batch may hold."""


class RpcError(Exception):
    """A JSON-RPC error to return to the caller."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def write_cookie(datadir: Path) -> str:
    """Create a fresh cookie file; return the password."""
    password = secrets.token_hex(32)
    path = datadir / ".cookie"
    write_private(path, f"{COOKIE_USER}:{password}".encode(), exclusive=False)
    return password


def read_cookie(datadir: Path) -> tuple[str, str]:
    """``(user, password)`` from a node's cookie file."""
    user, _, password = (datadir / ".cookie").read_text().partition(":")
    return user, password


def _hex_param(params: list[Any], position: int, length: int | None, name: str) -> bytes:
    try:
        value = bytes.fromhex(str(params[position]))
    except (IndexError, ValueError):
        raise RpcError(INVALID_PARAMS, f"{name} must be hex") from None
    if length is not None and len(value) != length:
        raise RpcError(INVALID_PARAMS, f"{name} must be {length} bytes")
    return value


def _outpoint_param(params: list[Any], position: int) -> OutPoint:
    txid_ = _hex_param(params, position, 32, "txid")
    index = _int_param(params, position + 1)
    if not 0 <= index <= 0xFFFFFFFF:
        raise RpcError(INVALID_PARAMS, "index must be a u32")
    return OutPoint(txid_, index)


SINGLETONS = {
    "ticket_price": TICKET_PRICE_KEY,
    "treasury": TREASURY_KEY,
    "deployments": DEPLOYMENTS_KEY,
    "scheduled": SCHEDULED_KEY,
}


SIDECHAIN_ITEM_KINDS = {
    "sidechain": KIND_SIDECHAIN,
    "checkpoint": KIND_SIDECHAIN_CHECKPOINT,
    "spent_withdrawal": KIND_SPENT_WITHDRAWAL,
    "delivered_message": KIND_DELIVERED_MESSAGE,
    "pending_message": KIND_PENDING_MESSAGE,
    "dispute_game": KIND_DISPUTE_GAME,
    "bond_payout": KIND_BOND_PAYOUT,
    "next_game": KIND_NEXT_GAME,
    "input_mark": KIND_INPUT_MARK,
}
"""``getproof`` kinds of the sidechains state (SC-STATE-1, fork ``sidechains``): ``sidechain id``
(its record and escrow), ``checkpoint id height``, ``spent_withdrawal`` / ``delivered_message`` /
``pending_message chain height leaf``, ``dispute_game id`` / ``bond_payout id`` (SC-DSP-14..17),
``next_game`` and ``input_mark id mainchain_height`` (SC-DSP-20)."""


def state_item_key(params: list[Any], layout: StateLayout, preset: Preset) -> bytes:
    """The STATE-2 key (STATE-1 before fork ``state_trie``) that ``getproof``'s params name."""
    kind = str(params[0]) if params else ""
    if layout is StateLayout.UTXO:
        if kind != "coin":
            raise RpcError(INVALID_PARAMS, f"{kind!r} is not committed before fork state_trie (coins only)")
        return encode_outpoint(_outpoint_param(params, 1), preset)
    if kind == "coin":
        return utxo_key(_outpoint_param(params, 1), preset)
    if kind == "ticket":
        return ticket_key(_outpoint_param(params, 1), preset)
    if kind == "masternode":
        return masternode_key(_outpoint_param(params, 1), preset)
    if kind == "proposal":
        return proposal_key(_hex_param(params, 1, 32, "proposal id"))
    if kind == "vote":
        return vote_key(_hex_param(params, 1, 32, "proposal id"), _outpoint_param(params, 2), preset)
    if kind == "executed":
        return executed_key(_hex_param(params, 1, 32, "proposal id"))
    if kind == "parameter":
        name = str(params[1]) if len(params) > 1 else ""
        if not name or not name.isascii() or not name.isprintable() or " " in name or len(name) > 255:
            raise RpcError(INVALID_PARAMS, "parameter must be a printable ASCII name")
        return parameter_key(name)
    if kind == "quorum":
        which = str(params[1]) if len(params) > 1 else ""
        if which not in ("finality", "pose"):
            raise RpcError(INVALID_PARAMS, "quorum type must be finality or pose")
        height = _int_param(params, 2)
        if not 0 <= height < 1 << 64:
            raise RpcError(INVALID_PARAMS, "base height must be a u64")
        return quorum_key(which == "pose", height)
    if kind in SIDECHAIN_ITEM_KINDS:
        parts = [_int_param(params, i) for i in range(1, len(params))]
        try:
            return sidechain_item_key(SIDECHAIN_ITEM_KINDS[kind], *parts)
        except SpecError as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
    if kind == "singleton":
        name = str(params[1]) if len(params) > 1 else ""
        if name not in SINGLETONS:
            raise RpcError(INVALID_PARAMS, f"singleton must be one of {', '.join(SINGLETONS)}")
        return SINGLETONS[name]
    raise RpcError(
        INVALID_PARAMS,
        "kind must be coin, ticket, masternode, proposal, vote, executed, parameter, quorum, singleton, "
        + ", ".join(SIDECHAIN_ITEM_KINDS),
    )


class RpcServer:
    """The RPC methods of one node."""

    def __init__(
        self,
        node: Node,
        mine: Callable[[int], Awaitable[list[str]]] | None = None,
        announce: Callable[[Transaction], Awaitable[None]] | None = None,
        peers: Callable[[], dict[str, Any]] | None = None,
        relay: Callable[[list[Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.node = node
        self.password = write_cookie(node.datadir)
        self.mine = mine
        self.announce = announce
        self.peers = peers
        self.relay = relay
        self.methods: dict[str, Callable[[list[Any]], Awaitable[Any]]] = {
            "getblockcount": self.getblockcount,
            "getbestblockhash": self.getbestblockhash,
            "getblock": self.getblock,
            "getstatus": self.getstatus,
            "getbalance": self.getbalance,
            "getnewaddress": self.getnewaddress,
            "sendtoaddress": self.sendtoaddress,
            "sendrawtransaction": self.sendrawtransaction,
            "generate": self.generate,
            "getpeerinfo": self.getpeerinfo,
            "registermasternode": self.registermasternode,
            "unbondmasternode": self.unbondmasternode,
            "getfinality": self.getfinality,
            "gettrieproof": self.gettrieproof,
            "getproof": self.getproof,
            "getupgrades": self.getupgrades,
            "setvote": self.setvote,
            "buytickets": self.buytickets,
            "getsidechaininfo": self.getsidechaininfo,
            "getwatcherinfo": self.getwatcherinfo,
            "submitsidechainheader": self.submitsidechainheader,
            "submitsidechainoutbox": self.submitsidechainoutbox,
            "getsidechainbalance": self.getsidechainbalance,
            "sidechaindeposit": self.sidechaindeposit,
            "sendsidechaintx": self.sendsidechaintx,
            "sidechaintransfer": self.sidechaintransfer,
            "sidechainwithdraw": self.sidechainwithdraw,
            "listsidechainwithdrawals": self.listsidechainwithdrawals,
            "getwithdrawalproof": self.getwithdrawalproof,
            "sidechainclaim": self.sidechainclaim,
            "proposesidechain": self.proposesidechain,
            "voteproposal": self.voteproposal,
            "getsidechainaddress": self.getsidechainaddress,
            "getsidechainaccount": self.getsidechainaccount,
            "sidechaindeploy": self.sidechaindeploy,
            "sidechaincall": self.sidechaincall,
            "sidechainsend": self.sidechainsend,
            "getsidechainstorage": self.getsidechainstorage,
        }

    def authorized(self, header: str | None) -> bool:
        """Whether an ``Authorization`` header carries the cookie (constant-time comparison)."""
        if header is None or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(decoded, f"{COOKIE_USER}:{self.password}")

    async def getblockcount(self, params: list[Any]) -> int:
        return self.node.store.state.height

    async def getbestblockhash(self, params: list[Any]) -> str:
        return self.node.store.state.tip_hash.hex()

    async def getblock(self, params: list[Any]) -> str:
        height = _int_param(params, 0)
        for block in self.node.store.best_chain():
            if block.header.height == height:
                return encode_block(block, self.node.preset).hex()
        raise RpcError(NOT_FOUND, f"no block at height {height}")

    async def getstatus(self, params: list[Any]) -> dict[str, Any]:
        state = self.node.store.state
        return {
            "preset": self.node.preset.name,
            "height": state.height,
            "tip": state.tip_hash.hex(),
            "utxos": len(state.utxos),
            "live_tickets": len(state.tickets),
            "treasury": state.treasury,
            "balance": self.node.balance(),
            "pending": len(self.node.pending()),
            "masternodes": len(state.masternodes.active()),
            "finalized_height": self.node.quorum.finalized_height(),
            "fork": fork_for_block(state.deployments, state.height + 1, self.node.preset).name,
        }

    async def getupgrades(self, params: list[Any]) -> dict[str, Any]:
        """UPG-4..6: the fork in force for the next block, every deployment's state (as stepped for
        the next block), its activation height, the current window's votes and this node's choice."""
        state, preset = self.node.store.state, self.node.preset
        height = state.height + 1
        stepped = begin_window(state.deployments, height, preset)
        choices = self.node.vote_choices()
        deployments = [f.deployment for f in preset.forks if f.deployment is not None]
        return {
            "height": state.height,
            "fork": fork_for_block(state.deployments, height, preset).name,
            "agendas": [
                {
                    "agenda_id": d.agenda_id,
                    "status": r.status.value,
                    "since_height": r.since_height,
                    "activation_height": activation_height(r, d),
                    "window_yes": r.yes,
                    "window_no": r.no,
                    "my_choice": choices.get(d.agenda_id, 0),
                }
                for r, d in zip(stepped, deployments, strict=True)
            ],
        }

    async def setvote(self, params: list[Any]) -> dict[str, int]:
        """``agenda_id, choice`` (0 abstain, 1 no, 2 yes): what this node's ticket votes say (UPG-2)."""
        agenda = params[0] if params else None
        if not isinstance(agenda, str):
            raise RpcError(INVALID_PARAMS, "parameter 0 must be an agenda id")
        try:
            self.node.set_vote_choice(agenda, _int_param(params, 1))
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        return self.node.vote_choices()

    async def _send_wallet_tx(self, build: Callable[[], Transaction]) -> str:
        """Build a wallet transaction with ``build``, announce it and return its txid: a wallet
        short of funds is ``WALLET_ERROR``, parameters the wallet refuses ``INVALID_PARAMS``."""
        try:
            tx = build()
        except InsufficientFunds as exc:
            raise RpcError(WALLET_ERROR, str(exc)) from None
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        if self.announce is not None:
            await self.announce(tx)
        return txid(tx, self.node.preset).hex()

    async def buytickets(self, params: list[Any]) -> str:
        """``count``: buy that many tickets (POS-1) voting with the wallet key; the txid."""
        count = _int_param(params, 0)
        return await self._send_wallet_tx(lambda: self.node.buy_tickets(count))

    async def gettrieproof(self, params: list[Any]) -> dict[str, Any]:
        """``txid, index`` -> the state root, the outpoint's MPT-10 proof from the stored trie nodes,
        and its UTXO entry (STATE-1 encoding), or ``None`` when the proof shows it is not in the UTXO set."""
        try:
            txid_ = bytes.fromhex(str(params[0]))
        except (IndexError, ValueError):
            raise RpcError(INVALID_PARAMS, "txid must be hex") from None
        if len(txid_) != 32:
            raise RpcError(INVALID_PARAMS, "txid must be 32 bytes")
        index = _int_param(params, 1)
        if not 0 <= index <= 0xFFFFFFFF:
            raise RpcError(INVALID_PARAMS, "index must be a u32")
        outpoint = OutPoint(txid_, index)
        root, proof = self.node.store.utxo_proof(outpoint)
        entry = self.node.store.utxo_from_trie(outpoint)
        return {
            "root": root.hex(),
            "proof": [node.hex() for node in proof],
            "entry": None if entry is None else encode_entry(entry, self.node.preset).hex(),
        }

    async def getproof(self, params: list[Any]) -> dict[str, Any]:
        """STATE-7: ``kind, identifiers...`` -> the tip, its layout and root, the item's key, value
        (or ``None``: absent) and MPT-10 proof read from the stored trie nodes."""
        store = self.node.store
        key = state_item_key(params, store.state_layout, self.node.preset)
        root, proof = store.state_proof(key)
        value = verify_proof(root, key, proof, RUSTY_TRIE_HASHER)
        state = store.state
        return {
            "height": state.height,
            "tip_hash": state.tip_hash.hex(),
            "layout": store.state_layout.value,
            "root": root.hex(),
            "key": key.hex(),
            "value": None if value is None else value.hex(),
            "proof": [node.hex() for node in proof],
        }

    async def getbalance(self, params: list[Any]) -> int:
        return self.node.balance()

    async def getnewaddress(self, params: list[Any]) -> str:
        return self.node.wallet.key_hash.hex()

    async def sendtoaddress(self, params: list[Any]) -> str:
        try:
            key_hash = bytes.fromhex(str(params[0]))
        except (IndexError, ValueError):
            raise RpcError(INVALID_PARAMS, "key_hash must be hex") from None
        amount = _int_param(params, 1)
        fee = _int_param(params, 2) if len(params) > 2 else 1_000
        return await self._send_wallet_tx(lambda: self.node.send(key_hash, amount, fee))

    async def sendrawtransaction(self, params: list[Any]) -> str:
        try:
            raw = bytes.fromhex(str(params[0]))
        except (IndexError, ValueError):
            raise RpcError(INVALID_PARAMS, "a hex transaction is required") from None
        tx = decode_transaction(raw, self.node.preset)
        self.node.queue(tx)
        if self.announce is not None:
            await self.announce(tx)
        return txid(tx, self.node.preset).hex()

    async def registermasternode(self, params: list[Any]) -> list[str]:
        port = _int_param(params, 0)
        fee = _int_param(params, 1) if len(params) > 1 else 10_000
        if not 0 < port < 65536:
            raise RpcError(INVALID_PARAMS, "port must be in 1..65535")
        try:
            transactions = self.node.register_masternode(port, fee)
        except InsufficientFunds as exc:
            raise RpcError(WALLET_ERROR, str(exc)) from None
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        for tx in transactions:
            if self.announce is not None:
                await self.announce(tx)
        return [txid(tx, self.node.preset).hex() for tx in transactions]

    async def unbondmasternode(self, params: list[Any]) -> str:
        fee = _int_param(params, 0) if params else 10_000
        try:
            tx = self.node.unbond_masternode(fee)
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        if self.announce is not None:
            await self.announce(tx)
        return txid(tx, self.node.preset).hex()

    # ------------------------------------------------------------------------- sidechains

    async def getsidechaininfo(self, params: list[Any]) -> Any:
        sidechains = self.node.sidechains
        try:
            if params:
                return sidechains.info(_int_param(params, 0))
            return [sidechains.info(i) for i in sorted(self.node.store.state.sidechains.chains)]
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None

    async def getwatcherinfo(self, params: list[Any]) -> Any:
        """The sidechain watcher (``rusty node --watch-sidechains``): what it holds, its event
        counts and its events (games opened, moves, outcomes, reverts, bond claims)."""
        del params
        if self.node.watch is None:
            raise RpcError(INVALID_PARAMS, "the node does not watch sidechains (--watch-sidechains)")
        return self.node.watch.info()

    async def submitsidechainheader(self, params: list[Any]) -> Any:
        """``[hex]``: a signed checkpoint (SC-HDR-3's ``Checkpoint``, canonical encoding) seen off
        the mainchain, handed to the watcher (``WatchService.offer_checkpoint``). Equivocation
        evidence against the accepted checkpoint at its height (the spec's SC-DSP-8 check accepts
        it) is kept and its kind-9 proof posted and relayed at once (``evidence: true``, the
        proof's txids in ``posted``; empty when a watcher run in progress posts it); a header
        signed by the federation at a height not checkpointed yet is kept for later
        (``evidence: false``). A decoding error, an unknown sidechain, the accepted header itself
        or a header that proves nothing is ``-32000`` with the spec's code; nothing is kept."""
        watch = self.node.watch
        if watch is None:
            raise RpcError(INVALID_PARAMS, "the node does not watch sidechains (--watch-sidechains)")
        if len(params) != 1:
            raise RpcError(INVALID_PARAMS, "one parameter: the signed checkpoint header, hex")
        checkpoint = decode_checkpoint(_hex_param(params, 0, None, "the signed checkpoint header"))
        evidence = watch.offer_checkpoint(checkpoint)
        posted = await watch.on_tip() if evidence else []
        for tx in posted:
            if self.announce is not None:
                await self.announce(tx)
        header = checkpoint.header
        return {
            "header_hash": compute_header_hash(header).hex(),
            "sidechain_id": header.sidechain_id,
            "height": header.height,
            "evidence": evidence,
            "posted": [txid(tx, self.node.preset).hex() for tx in posted],
        }

    async def submitsidechainoutbox(self, params: list[Any]) -> dict[str, Any]:
        """Hand the watcher the outbox entries a sidechain block at a height was said to have
        (``[sidechain_id, height, [hex, ...]]``: each entry's VM-5 encoding, in outbox order): a
        checkpoint at that height whose ``outbox_root`` they fold to and that withdraws above the
        escrow is posted as an overdraw proof (kind 10) on the next tip if SC-DSP-9 accepts it
        (queued: the watcher decides in a thread, ``WatchService.offer_outbox``)."""
        watch = self.node.watch
        if watch is None or not watch.challenge:
            raise RpcError(INVALID_PARAMS, "the node does not watch sidechains (--watch-sidechains)")
        sidechain_id, height = _int_param(params, 0), _int_param(params, 1)
        listed = params[2] if len(params) > 2 else None
        if not isinstance(listed, list) or not listed:
            raise RpcError(INVALID_PARAMS, "parameter 2 must be a non-empty array of hex entries")
        raw = [_hex_param(listed, index, None, "entry") for index in range(len(listed))]
        entries = [decode(OUTBOX_ENTRY_CODEC, data) for data in raw]  # DECODE_* -> REJECTED
        watch.offer_outbox(sidechain_id, height, entries)  # the watcher's next run takes it
        return {"outbox_root": compute_outbox_root(entries).hex(), "entries": len(entries)}

    def _account_param(self, params: list[Any], position: int) -> bytes:
        if len(params) > position and params[position] is not None:
            return _hex_param(params, position, 32, "account")
        return account_of(self.node.wallet.seed)

    async def getsidechainbalance(self, params: list[Any]) -> dict[str, Any]:
        if self._vm_kind(_int_param(params, 0)) is not VmKind.FERRIS:
            return await self.getsidechainaccount(params)
        account = self._account_param(params, 1)
        try:
            found = balance_of(self.node.sidechains, _int_param(params, 0), account)
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        return {"account": account.hex(), **found}

    async def sidechaindeposit(self, params: list[Any]) -> str:
        sidechain_id, amount = _int_param(params, 0), _int_param(params, 1)
        account = self._vm_address_param(sidechain_id, params, 2)
        return await self._send_wallet_tx(lambda: self.node.deposit(sidechain_id, account, amount))

    async def _submit_sidechain(self, sidechain_id: int, raw: bytes) -> str:
        try:
            relay = self.node.sidechains.submit(sidechain_id, raw)
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        if self.relay is not None and relay:
            await self.relay(list(relay))
        return raw.hex()

    async def sendsidechaintx(self, params: list[Any]) -> str:
        return await self._submit_sidechain(_int_param(params, 0), _hex_param(params, 1, None, "hex"))

    async def _wallet_sidechain_tx(
        self, sidechain_id: int, kind: FerrisTxKind, amount: int, recipient: bytes, fee: int | None
    ) -> str:
        try:
            raw = ferris_wallet_transaction(
                self.node.sidechains, sidechain_id, self.node.wallet.seed, kind, amount, recipient, 0, fee
            )
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        return await self._submit_sidechain(sidechain_id, raw)

    async def sidechaintransfer(self, params: list[Any]) -> str:
        sidechain_id = _int_param(params, 0)
        recipient = _hex_param(params, 1, 32, "account")
        amount = _int_param(params, 2)
        fee = _int_param(params, 3) if len(params) > 3 else None
        return await self._wallet_sidechain_tx(sidechain_id, FerrisTxKind.TRANSFER, amount, recipient, fee)

    async def sidechainwithdraw(self, params: list[Any]) -> str:
        sidechain_id, amount = _int_param(params, 0), _int_param(params, 1)
        script = (
            _hex_param(params, 2, None, "script")
            if len(params) > 2 and params[2] is not None
            else self.node.wallet.script_pubkey
        )
        fee = _int_param(params, 3) if len(params) > 3 else None
        return await self._wallet_sidechain_tx(sidechain_id, FerrisTxKind.WITHDRAW, amount, script, fee)

    async def listsidechainwithdrawals(self, params: list[Any]) -> list[dict[str, object]]:
        try:
            return self.node.sidechains.withdrawals(_int_param(params, 0))
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None

    async def getwithdrawalproof(self, params: list[Any]) -> dict[str, Any]:
        try:
            proof = self.node.sidechains.withdrawal_proof(
                _int_param(params, 0), _int_param(params, 1), _int_param(params, 2)
            )
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        return {
            "sidechain_id": proof.sidechain_id,
            "checkpoint_height": proof.checkpoint_height,
            "leaf_index": proof.leaf_index,
            "leaf_count": proof.leaf_count,
            "entry": {
                "kind": int(proof.entry.kind),
                "target_chain": proof.entry.target_chain,
                "recipient": proof.entry.recipient.hex(),
                "amount": proof.entry.amount,
                "payload": proof.entry.payload.hex(),
            },
            "proof": [h.hex() for h in proof.proof],
        }

    async def sidechainclaim(self, params: list[Any]) -> str:
        try:
            tx = self.node.sidechains.claim(
                _int_param(params, 0), _int_param(params, 1), _int_param(params, 2)
            )
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        if self.announce is not None:
            await self.announce(tx)
        return txid(tx, self.node.preset).hex()

    async def proposesidechain(self, params: list[Any]) -> dict[str, Any]:
        """GOV-1 / SC-REG-1: ``id [vm_kind federation peg_in_depth challenge_period message_timeout
        max_escrow max_withdrawal]`` (defaults: FerrisScript, the finality quorum, the devnet's short
        windows 2 / 3 / 4, 10^12 / 10^10 atoms)."""
        defaults = [int(VmKind.FERRIS), int(QuorumType.FINALITY), 2, 3, 4, 10**12, 10**10]
        values = [_int_param(params, i) if len(params) > i else defaults[i - 1] for i in range(1, 8)]
        spec = SidechainSpec(_int_param(params, 0), *values)
        try:
            tx, proposal = self.node.propose_sidechain(spec, f"sidechain {spec.sidechain_id}".encode())
        except InsufficientFunds as exc:
            raise RpcError(WALLET_ERROR, str(exc)) from None
        if self.announce is not None:
            await self.announce(tx)
        return {"txid": txid(tx, self.node.preset).hex(), "proposal_id": proposal.hex()}

    async def voteproposal(self, params: list[Any]) -> str:
        """GOV-4: ``proposal_id choice [revision]`` (choice 0 yes, 1 no, 2 abstain) by this node's
        masternode."""
        proposal = _hex_param(params, 0, 32, "proposal_id")
        choice = _int_param(params, 1)
        if choice not in (0, 1, 2):
            raise RpcError(INVALID_PARAMS, "choice must be 0 (yes), 1 (no) or 2 (abstain)")
        revision = _int_param(params, 2) if len(params) > 2 else 0
        return await self._send_wallet_tx(
            lambda: self.node.vote_proposal(proposal, VoteChoice(choice), revision)
        )

    # ------------------------------------------------------------------------- sidechains of every VM kind

    def _vm_kind(self, sidechain_id: int) -> VmKind:
        record = self.node.store.state.sidechains.chains.get(sidechain_id)
        if record is None:
            raise RpcError(INVALID_PARAMS, f"no sidechain {sidechain_id}")
        return VmKind(record.spec.vm_kind)

    def _vm_address_param(self, sidechain_id: int, params: list[Any], position: int) -> bytes:
        """An account of the sidechain's kind (hex), by default the wallet's (FerrisScript, EVM, WASM)."""
        kind = self._vm_kind(sidechain_id)
        if len(params) <= position or params[position] is None:
            return wallet_address(kind, self.node.wallet.seed)
        address = _hex_param(params, position, None, "address")
        try:
            return check_address(kind, address)
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None

    async def getsidechainaddress(self, params: list[Any]) -> dict[str, Any]:
        """``id``: the wallet's account on the sidechain (its VM kind's address)."""
        sidechain_id = _int_param(params, 0)
        kind = self._vm_kind(sidechain_id)
        return {"vm_kind": kind.name.lower(), "address": wallet_address(kind, self.node.wallet.seed).hex()}

    async def getsidechainaccount(self, params: list[Any]) -> dict[str, Any]:
        """``id [address]``: balance, nonce and code hash on the node's tip (default: the wallet's)."""
        sidechain_id = _int_param(params, 0)
        address = self._vm_address_param(sidechain_id, params, 1)
        try:
            return account_info(self.node.sidechains, sidechain_id, address)
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None

    async def _submit_wallet_vm_tx(self, sidechain_id: int, build: Callable[[], WalletTx]) -> dict[str, Any]:
        try:
            built = build()
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        raw = await self._submit_sidechain(sidechain_id, built.raw)
        answer: dict[str, Any] = {
            "tx": raw,
            "contract": None if built.contract is None else built.contract.hex(),
        }
        if self._vm_kind(sidechain_id) is VmKind.EVM:
            answer["hash"] = keccak256(built.raw).hex()
        return answer

    async def sidechaindeploy(self, params: list[Any]) -> dict[str, Any]:
        """``id code [value]``: deploy EVM initcode or a WASM module (hex) signed by the wallet."""
        sidechain_id, code = _int_param(params, 0), _hex_param(params, 1, None, "code")
        value = _int_param(params, 2) if len(params) > 2 else 0
        seed = self.node.wallet.seed
        return await self._submit_wallet_vm_tx(
            sidechain_id, lambda: deploy_contract(self.node.sidechains, sidechain_id, seed, code, value)
        )

    async def sidechaincall(self, params: list[Any]) -> dict[str, Any]:
        """``id contract data [value]``: call a contract (EVM calldata, WASM input; hex)."""
        sidechain_id = _int_param(params, 0)
        contract = _hex_param(params, 1, None, "contract")
        data = _hex_param(params, 2, None, "data") if len(params) > 2 else b""
        value = _int_param(params, 3) if len(params) > 3 else 0
        seed = self.node.wallet.seed
        return await self._submit_wallet_vm_tx(
            sidechain_id,
            lambda: call_contract(self.node.sidechains, sidechain_id, seed, contract, data, value),
        )

    async def sidechainsend(self, params: list[Any]) -> dict[str, Any]:
        """``id address amount``: a plain transfer on an EVM or WASM sidechain."""
        sidechain_id = _int_param(params, 0)
        to = _hex_param(params, 1, None, "address")
        amount = _int_param(params, 2)
        seed = self.node.wallet.seed
        return await self._submit_wallet_vm_tx(
            sidechain_id, lambda: transfer(self.node.sidechains, sidechain_id, seed, to, amount)
        )

    async def getsidechainstorage(self, params: list[Any]) -> str:
        """``id contract key``: an EVM storage slot (32 bytes) or a WASM storage value (hex; empty: none)."""
        sidechain_id = _int_param(params, 0)
        contract = _hex_param(params, 1, None, "contract")
        key = _hex_param(params, 2, None, "key")
        try:
            return read_storage(self.node.sidechains, sidechain_id, contract, key).hex()
        except SidechainRejected as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None

    async def eth_dispatch(self, sidechain_id: int, request: Any) -> dict[str, Any] | None:
        """One Ethereum JSON-RPC request to EVM sidechain ``sidechain_id`` (``None``: a notification)."""
        is_object = isinstance(request, dict)
        request_id = request.get("id") if is_object else None
        notification = is_object and "id" not in request
        try:
            if not is_object or not isinstance(request.get("method"), str) or not _valid_id(request_id):
                raise EthRpcError(INVALID_REQUEST, "a JSON-RPC request object is required")
            params = request.get("params", [])
            if not isinstance(params, list):
                raise EthRpcError(INVALID_PARAMS, "params must be an array")
            api = EthApi(self.node.sidechains, sidechain_id)
            if request["method"] not in api.methods:
                raise EthRpcError(METHOD_NOT_FOUND, f"the method {request['method']} does not exist")
            try:
                result = api.dispatch(request["method"], params)
            except SpecError as exc:
                raise EthRpcError(INVALID_PARAMS, str(exc), exc.code) from None
            if self.relay is not None and api.outbound:  # eth_sendRawTransaction: to the peers
                await self.relay(list(api.outbound))
        except EthRpcError as exc:
            if notification:
                return None
            return _error_response(request_id, exc.code, exc.message, exc.data)
        except Exception as exc:
            log.exception("eth rpc failed", extra={"fields": {"sidechain": sidechain_id}})
            return _error_response(request_id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}")
        if notification:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    async def handle_evm(self, request: web.Request) -> web.Response:
        """``POST /evm/<id>``: Ethereum JSON-RPC of EVM sidechain ``id`` (a batch is an array)."""
        if not self.authorized(request.headers.get("Authorization")):
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="rusty"'})
        try:
            sidechain_id = int(request.match_info["sidechain_id"])
            payload = jsonsafe.loads(await request.read())
        except ValueError as exc:
            return web.json_response(_error_response(None, PARSE_ERROR, f"not JSON: {str(exc)[:200]}"))
        if isinstance(payload, list):
            if not payload or len(payload) > MAX_BATCH:
                return web.json_response(_error_response(None, INVALID_REQUEST, "an empty or too long batch"))
            answers = [await self.eth_dispatch(sidechain_id, item) for item in payload]
            kept = [a for a in answers if a is not None]
            return web.json_response(kept) if kept else web.Response(status=204)
        answer = await self.eth_dispatch(sidechain_id, payload)
        return web.Response(status=204) if answer is None else web.json_response(answer)

    async def getfinality(self, params: list[Any]) -> dict[str, Any]:
        served = [m.manifest.height for m in self.node.snapshots.servable(2**64 - 1)]
        return {
            **self.node.quorum.status(),
            "served_snapshots": served,
            "fast_sync": self.node.snapshots.fast_sync_status(),
        }

    async def getpeerinfo(self, params: list[Any]) -> dict[str, Any]:
        return self.peers() if self.peers is not None else {"peers": []}

    async def generate(self, params: list[Any]) -> list[str]:
        if self.mine is None or self.node.preset.name != "devnet":
            raise RpcError(METHOD_NOT_FOUND, "generate is available on devnet nodes only")
        return await self.mine(_int_param(params, 0))

    async def dispatch(self, request: Any) -> dict[str, Any] | None:
        """One JSON-RPC request object to one response object (``None`` for a notification).

        A notification is a request object with a string ``method`` and no ``id`` member: it is
        executed and never answered, whatever its outcome (JSON-RPC 2.0 section 4.1).
        """
        is_object = isinstance(request, dict)
        notification = is_object and "id" not in request and isinstance(request.get("method"), str)
        request_id = request.get("id") if is_object else None
        try:
            if not _valid_id(request_id):
                request_id = None
                raise RpcError(INVALID_REQUEST, "id must be a string, a number or null")
            if not is_object or not isinstance(request.get("method"), str):
                raise RpcError(INVALID_REQUEST, "a JSON-RPC request object is required")
            params = request.get("params", [])
            if not isinstance(params, list):
                raise RpcError(INVALID_PARAMS, "params must be an array")
            method = self.methods.get(request["method"])
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, f"unknown method {request['method']!r}")
            try:
                result = await method(params)
            except SpecError as exc:
                raise RpcError(REJECTED, str(exc), {"code": exc.code}) from None
            except RpcError:
                raise
            except Exception as exc:
                log.exception("rpc method failed", extra={"fields": {"method": request["method"]}})
                raise RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}") from None
        except RpcError as exc:
            if notification:
                return None
            return _error_response(request_id, exc.code, exc.message, exc.data)
        if notification:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    async def answer(self, body: bytes) -> dict[str, Any] | list[dict[str, Any]] | None:
        """The response to one HTTP body: an object, a batch array, or ``None`` (nothing to answer).

        The nesting depth is checked before parsing (:mod:`reference.jsonsafe`). A batch (a JSON
        array) is answered with an array holding one response per request that is not a
        notification, in request order; an empty batch or one longer than ``MAX_BATCH`` is a
        single ``Invalid Request`` error; a batch of notifications only gets no answer.
        """
        try:
            payload = jsonsafe.loads(body)
        except ValueError as exc:
            return _error_response(None, PARSE_ERROR, f"not JSON: {str(exc)[:200]}")
        if not isinstance(payload, list):
            return await self.dispatch(payload)
        if not payload:
            return _error_response(None, INVALID_REQUEST, "an empty batch")
        if len(payload) > MAX_BATCH:
            return _error_response(None, INVALID_REQUEST, f"a batch of more than {MAX_BATCH} requests")
        responses = [await self.dispatch(request) for request in payload]
        answered = [response for response in responses if response is not None]
        return answered or None

    async def handle(self, request: web.Request) -> web.Response:
        """The HTTP endpoint (``204 No Content`` when only notifications were sent)."""
        if not self.authorized(request.headers.get("Authorization")):
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="rusty"'})
        answer = await self.answer(await request.read())
        if answer is None:
            return web.Response(status=204)
        return web.json_response(answer)


def _valid_id(value: Any) -> bool:
    """JSON-RPC ids are strings, numbers or null (not booleans, arrays or objects)."""
    return value is None or (isinstance(value, int | float | str) and not isinstance(value, bool))


def _error_response(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def basic_auth_header(user: str, password: str) -> str:
    """The HTTP Basic ``Authorization`` header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _int_param(params: list[Any], position: int) -> int:
    value = params[position] if len(params) > position else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RpcError(INVALID_PARAMS, f"parameter {position} must be an integer")
    return value


async def start_rpc(server: RpcServer, port: int) -> web.AppRunner:
    """Serve ``server`` on 127.0.0.1:``port`` (0 picks a free port; see ``bound_port``)."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app.router.add_post("/", server.handle)
    app.router.add_post("/evm/{sidechain_id:[0-9]{1,9}}", server.handle_evm)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port an RPC runner listens on."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the RPC server is not listening")


async def call(port: int, datadir: Path, method: str, *params: Any) -> Any:
    """A client call (used by the CLI and tests): the result, or ``RpcError``."""
    user, password = read_cookie(datadir)
    headers = {"Authorization": basic_auth_header(user, password)}
    async with aiohttp.ClientSession() as session:
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        async with session.post(f"http://127.0.0.1:{port}/", json=payload, headers=headers) as response:
            response.raise_for_status()
            answer = jsonsafe.loads(await response.read())
    if "error" in answer:
        error = answer["error"]
        raise RpcError(int(error["code"]), str(error["message"]), error.get("data"))
    return answer["result"]
