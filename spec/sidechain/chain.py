"""The sidechain block transition (rules SCB-1..SCB-6, docs/sidechain-blocks.md).

A sidechain block is a header (spec/sidechain/header.py, SC-HDR-1) plus its transactions, each the
encoding its VM kind decodes. :func:`apply_sidechain_block` is the one transition every sidechain
node (and the fraud-proof verifier's re-execution) runs:

* **SCB-1** the header continues its parent: same ``sidechain_id`` (``SCB_WRONG_SIDECHAIN``),
  ``height = parent.height + 1`` (``SCB_BAD_HEIGHT``), ``parent = header_hash(parent)`` (SC-HDR-2,
  ``SCB_BAD_PARENT``), ``timestamp >= parent.timestamp`` (``SCB_TIMESTAMP``).
* **SCB-2** mainchain inputs (SC-HDR-5): ``parent.deposit_cursor <= deposit_cursor``
  (``SCB_CURSOR_BACKWARDS``) and ``deposit_cursor <= mainchain_tip - peg_in_depth``
  (``SCB_CURSOR_AHEAD``). The block takes every :class:`~spec.sidechain.header.Deposit` and
  :class:`~spec.sidechain.header.InboundMessage` of its sidechain with
  ``parent.deposit_cursor < mainchain_height <= deposit_cursor``, ordered by
  ``(mainchain_height, position, kind)`` (deposits before messages at an equal pair); two inputs of
  one kind with one ``(mainchain_height, position)`` are ``SCB_DUPLICATE_INPUT``. Each is credited
  (VMF-8 for FerrisScript) before any transaction runs. Cursor ranges of consecutive blocks are
  disjoint and together cover every mainchain height once, so every input is taken exactly once.
  An inbound message whose slot the mainchain voided (SC-HDR-6: refunded to its source at a height
  at or below ``deposit_cursor``, SC-MSG-5) is left out: neither credited nor refunded, and not in
  ``credits_root`` (:func:`~spec.sidechain.header.is_voided`).
  An input the recipient cannot accept is refunded by an outbox entry: a deposit by
  ``OutboxEntry(WITHDRAWAL, 0, deposit.recipient, amount, txid || output_index as 4 bytes)``, a
  message by ``OutboxEntry(MESSAGE, source_chain, sender, amount, b"")``; a refund entry's own
  ``sender`` (VM-5) is ``b""``, since no account emitted it.
* **SCB-3** the transactions run in order through the VM interface (VM-1..6) of the sidechain's
  VM kind, looked up in a table keyed by :class:`~spec.vm.interface.VmKind` (FerrisScript, EVM and
  WASM; a kind without a module would be ``SCB_UNKNOWN_VM``). Each gets
  ``ExecutionContext(sidechain_id, height, timestamp, fee_sink, max_tx_gas)`` with the kind's fee
  sink (:data:`FEE_SINKS`: empty for FerrisScript, the zero address for EVM and WASM) and the
  preset's per-transaction limit; an invalid transaction makes the block invalid with the VM's
  code; the gas of all of them is at most ``block_gas_limit`` (``SCB_GAS_LIMIT``).
* **SCB-4** the header's commitments (SC-HDR-1), each checked in this order:
  ``tx_root = merkle_root(transactions)`` (``SCB_TX_ROOT_MISMATCH``), ``tx_count`` the number of
  transactions (``SCB_TX_COUNT_MISMATCH``), ``state_root`` the root after
  the last transaction (``SCB_STATE_ROOT_MISMATCH``), ``trace_root = merkle_root(post_root of each
  transaction)`` (``SCB_TRACE_ROOT_MISMATCH``), ``credits_root`` the Merkle root of the encoded
  ``BlockCredit(recipient, amount)`` of every SCB-2 input, credited or refunded, in crediting order
  (:func:`compute_block_credits_root`, ``SCB_CREDITS_ROOT_MISMATCH``),
  ``outbox_root = merkle_root(encode(entry))`` over the
  refund entries of SCB-2 then every transaction's entries in order (``SCB_OUTBOX_ROOT_MISMATCH``).
* **SCB-5** supply on the sidechain: the state's balances always sum to
  ``credited - sent - burnt`` (deposits and inbound messages credited, minus outbox amounts of the
  transactions, minus fees, which are burnt: the FerrisScript VM has no fee recipient; EVM and WASM
  pay them to their fee sink, which no key spends, and whose balance the sum leaves out). Refunded
  inputs count in neither. :class:`SidechainState` carries the three running totals.
* **SCB-6** :func:`build_sidechain_block` is the producer's side: it runs SCB-2..3 on the
  transactions it is given, leaves out those that are invalid or would pass the gas limit, and
  fills in the header; :func:`apply_sidechain_block` accepts the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from spec.encoding import ListOf, Struct, VarBytes, decode, encode
from spec.errors import (
    ScbBadHeight,
    ScbBadParent,
    ScbCreditsRootMismatch,
    ScbCursorAhead,
    ScbCursorBackwards,
    ScbDuplicateInput,
    ScbGasLimit,
    ScbOutboxRootMismatch,
    ScbStateRootMismatch,
    ScbTimestamp,
    ScbTraceRootMismatch,
    ScbTxCountMismatch,
    ScbTxRootMismatch,
    ScbUnknownVm,
    ScbWrongSidechain,
    VmError,
)
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import Preset
from spec.sidechain.header import (
    SIDECHAIN_HEADER_CODEC,
    BlockCredit,
    Deposit,
    InboundMessage,
    SidechainHeader,
    VoidedInput,
    compute_credits_root,
    compute_header_hash,
    is_voided,
)
from spec.vm import evm, ferris, wasm
from spec.vm.interface import (
    OUTBOX_ENTRY_CODEC,
    ApplyTransaction,
    ExecutionContext,
    OutboxEntry,
    OutboxKind,
    TxOutcome,
    VmKind,
    state_hasher,
)
from spec.vm.nodes import CachedNodes

MAX_BLOCK_TRANSACTIONS = 1 << 16
"""The static bound of the block codec's transaction list (gas bounds a block far below it)."""

NewNodes = tuple[tuple[bytes, bytes], ...]
"""VM-3: preimages created by an execution, sorted by hash."""

Credit = Callable[[Mapping[bytes, bytes], bytes, bytes, int], tuple[bytes, NewNodes] | None]
"""SCB-2: credit ``amount`` to ``recipient`` on the state under ``root``: the new root and nodes, or
``None`` when the recipient cannot accept it (VMF-8 for FerrisScript)."""


@dataclass(frozen=True)
class SidechainVm:
    """SCB-3: what the block transition needs of a VM kind."""

    apply_transaction: ApplyTransaction
    credit: Credit
    max_tx_gas: int
    block_gas_limit: int
    fee_recipient: bytes = b""


EVM_FEE_SINK = bytes(20)
"""SCB-3/SCB-5: the EVM sidechain's COINBASE, the zero address (no key recovers to it): the
priority part of each fee accrues there, the base fee is burnt by EIP-1559; both count as burnt."""
WASM_FEE_SINK = bytes(32)
"""SCB-3/SCB-5: the WASM sidechain's fee recipient, the all-zero Ed25519 point (a small-order
point strict verification rejects, so no signature moves it): every fee accrues there (burnt)."""
FEE_SINKS: Mapping[VmKind, bytes] = MappingProxyType(
    {VmKind.FERRIS: b"", VmKind.EVM: EVM_FEE_SINK, VmKind.WASM: WASM_FEE_SINK}
)
"""SCB-3: ``ExecutionContext.fee_recipient`` of each VM kind (FerrisScript ignores it: VMF-4 burns)."""


def vm_table(preset: Preset) -> Mapping[VmKind, SidechainVm]:
    """SCB-3: the execution module of each VM kind, keyed by kind: FerrisScript (VMF-*), the EVM
    (EVM-*, a deposit to a recipient that is not a 20-byte address refunded) and WASM (VMW-*, VMW-10
    credits), each with its preset's gas limits and its fee sink (:data:`FEE_SINKS`)."""

    def credit_ferris(
        nodes: Mapping[bytes, bytes], root: bytes, recipient: bytes, amount: int
    ) -> tuple[bytes, NewNodes] | None:
        return ferris.credit_account(nodes, root, recipient, amount, preset.ledger.max_money)

    def credit_evm(
        nodes: Mapping[bytes, bytes], root: bytes, recipient: bytes, amount: int
    ) -> tuple[bytes, NewNodes] | None:
        if len(recipient) != len(EVM_FEE_SINK):
            return None
        return evm.credit_deposit(nodes, root, recipient, amount)

    def credit_wasm(
        nodes: Mapping[bytes, bytes], root: bytes, recipient: bytes, amount: int
    ) -> tuple[bytes, NewNodes] | None:
        return wasm.credit_deposit(nodes, root, recipient, amount, preset.ledger.max_money)

    return MappingProxyType(
        {
            VmKind.FERRIS: SidechainVm(
                ferris.apply_transaction,
                credit_ferris,
                preset.vm_ferris.max_tx_gas,
                preset.vm_ferris.block_gas_limit,
            ),
            VmKind.EVM: SidechainVm(
                evm.apply_transaction,
                credit_evm,
                preset.evm.max_tx_gas,
                preset.evm.block_gas_limit,
                FEE_SINKS[VmKind.EVM],
            ),
            VmKind.WASM: SidechainVm(
                wasm.apply_transaction,
                credit_wasm,
                preset.vm_wasm.max_tx_fuel,
                preset.vm_wasm.block_fuel_limit,
                FEE_SINKS[VmKind.WASM],
            ),
        }
    )


@dataclass(frozen=True)
class SidechainBlock:
    """SC-HDR-1: a header and its transactions (each in its VM kind's encoding)."""

    header: SidechainHeader
    transactions: tuple[bytes, ...]


BLOCK_CODEC: Struct[SidechainBlock] = Struct(
    SidechainBlock,
    (("header", SIDECHAIN_HEADER_CODEC), ("transactions", ListOf(VarBytes(1 << 20), MAX_BLOCK_TRANSACTIONS))),
)


def encode_sidechain_block(block: SidechainBlock) -> bytes:
    """SC-HDR-4: the canonical encoding of ``block``."""
    return encode(BLOCK_CODEC, block)


def decode_sidechain_block(data: bytes) -> SidechainBlock:
    """SC-HDR-4: the block encoded by ``data`` (a ``DECODE_*`` code otherwise)."""
    return decode(BLOCK_CODEC, data)


@dataclass(frozen=True)
class SidechainState:
    """A sidechain after its ``tip`` block: the VM state's nodes and the SCB-5 running totals."""

    vm_kind: VmKind
    tip: SidechainHeader
    nodes: Mapping[bytes, bytes]
    credited: int
    sent: int
    burnt: int


@dataclass(frozen=True)
class MainchainInputs:
    """SCB-2: what the mainchain offers a sidechain block: its tip height, the sidechain's peg-in
    depth, the deposits and inbound messages it knows (any range; the block takes its own) and the
    voided slots of the sidechain's inbound messages (SC-HDR-6, refunded to their source)."""

    mainchain_tip: int
    peg_in_depth: int
    deposits: tuple[Deposit, ...]
    messages: tuple[InboundMessage, ...]
    voids: tuple[VoidedInput, ...] = ()


@dataclass(frozen=True)
class BlockResult:
    """What :func:`apply_sidechain_block` computes: the new state, the state root after the credits
    (the pre-state of the first transaction: a dispute's first agreed root), each transaction's
    outcome, the block's outbox (SCB-4 order) and the inputs it took, in crediting order, with
    whether each was credited (``True``) or refunded."""

    state: SidechainState
    credited_root: bytes
    outcomes: tuple[TxOutcome, ...]
    outbox: tuple[OutboxEntry, ...]
    inputs: tuple[tuple[Deposit | InboundMessage, bool], ...]


def genesis_state(vm_kind: VmKind, sidechain_id: int, timestamp: int, deposit_cursor: int) -> SidechainState:
    """The state before a sidechain's first block: the empty VM state under a height-0 header
    whose parent is 32 zero bytes, whose roots are the empty roots and whose cursor is the
    mainchain height the sidechain starts crediting after (its activation height)."""
    empty = merkle_root(())
    header = SidechainHeader(
        sidechain_id=sidechain_id,
        height=0,
        parent=bytes(32),
        timestamp=timestamp,
        tx_root=empty,
        tx_count=0,
        state_root=state_hasher(vm_kind).empty_root,
        trace_root=empty,
        deposit_cursor=deposit_cursor,
        credits_root=empty,
        outbox_root=empty,
    )
    return SidechainState(vm_kind, header, MappingProxyType({}), 0, 0, 0)


def check_header_continuity(parent: SidechainHeader, header: SidechainHeader) -> None:
    """SCB-1: ``header`` continues ``parent``."""
    if header.sidechain_id != parent.sidechain_id:
        raise ScbWrongSidechain(f"sidechain {header.sidechain_id}, parent's {parent.sidechain_id}")
    if header.height != parent.height + 1:
        raise ScbBadHeight(f"height {header.height} after {parent.height}")
    if header.parent != compute_header_hash(parent):
        raise ScbBadParent("parent is not the parent header's hash")
    if header.timestamp < parent.timestamp:
        raise ScbTimestamp(f"timestamp {header.timestamp} before the parent's {parent.timestamp}")


def check_cursor(parent_cursor: int, cursor: int, mainchain_tip: int, peg_in_depth: int) -> None:
    """SCB-2: the cursor never moves back and stays ``peg_in_depth`` below the mainchain tip."""
    if cursor < parent_cursor:
        raise ScbCursorBackwards(f"cursor {cursor} below the parent's {parent_cursor}")
    if cursor > mainchain_tip - peg_in_depth:
        raise ScbCursorAhead(f"cursor {cursor} above tip {mainchain_tip} minus depth {peg_in_depth}")


def is_in_cursor_range(mainchain_height: int, parent_cursor: int, cursor: int) -> bool:
    """SCB-2 (SC-HDR-5): whether a mainchain input at ``mainchain_height`` belongs to the block that
    moves the cursor from ``parent_cursor`` to ``cursor``."""
    return parent_cursor < mainchain_height <= cursor


def select_inputs(
    sidechain_id: int, parent_cursor: int, cursor: int, inputs: MainchainInputs
) -> tuple[Deposit | InboundMessage, ...]:
    """SCB-2: the block's inputs in crediting order (``SCB_DUPLICATE_INPUT`` for a repeated slot),
    without the inbound messages of voided slots (SC-HDR-6)."""
    voided = {(void.relay_height, void.position, 1) for void in inputs.voids if is_voided(void, cursor)}
    keyed: dict[tuple[int, int, int], Deposit | InboundMessage] = {}
    for kind, items in ((0, inputs.deposits), (1, inputs.messages)):
        for item in items:
            if item.sidechain_id != sidechain_id or not is_in_cursor_range(
                item.mainchain_height, parent_cursor, cursor
            ):
                continue
            key = (item.mainchain_height, item.position, kind)
            if key in keyed:
                raise ScbDuplicateInput(f"two inputs at height {key[0]}, position {key[1]}")
            keyed[key] = item
    return tuple(keyed[key] for key in sorted(keyed) if key not in voided)


def refund_entry(item: Deposit | InboundMessage) -> OutboxEntry:
    """SCB-2: the outbox entry that returns an input its recipient cannot accept."""
    if isinstance(item, Deposit):
        marker = item.txid + item.output_index.to_bytes(4, "big")
        return OutboxEntry(OutboxKind.WITHDRAWAL, 0, item.recipient, item.amount, marker)
    return OutboxEntry(OutboxKind.MESSAGE, item.source_chain, item.sender, item.amount, b"")


def compute_outbox_root(entries: Sequence[OutboxEntry]) -> bytes:
    """SCB-4: the Merkle root of the encoded outbox entries (SC-HDR-1 ``outbox_root``)."""
    return merkle_root([encode(OUTBOX_ENTRY_CODEC, entry) for entry in entries])


def compute_outbox_proof(entries: Sequence[OutboxEntry], index: int) -> tuple[bytes, ...]:
    """SCB-4: the Merkle proof (MERKLE-3) of ``entries[index]`` under :func:`compute_outbox_root`;
    the mainchain checks it with ``verify_inclusion_proof(encode(entry), index, len(entries), proof,
    outbox_root)`` (MERKLE-4)."""
    return inclusion_proof([encode(OUTBOX_ENTRY_CODEC, entry) for entry in entries], index)


def compute_block_credits_root(inputs: Sequence[tuple[Deposit | InboundMessage, bool]]) -> bytes:
    """SCB-4: SC-HDR-1's ``credits_root`` of a block's inputs (credited or refunded, in crediting
    order): the Merkle root of their encoded ``BlockCredit(recipient, amount)``."""
    return compute_credits_root([BlockCredit(item.recipient, item.amount) for item, _ in inputs])


def compute_trace_root(post_roots: Sequence[bytes]) -> bytes:
    """SCB-4: the Merkle root of the post-state roots of a block's transactions (SC-HDR-1 ``trace_root``)."""
    return merkle_root(post_roots)


@dataclass(frozen=True)
class _Executed:
    root: bytes
    credited_root: bytes
    nodes: Mapping[bytes, bytes]
    outcomes: tuple[TxOutcome, ...]
    transactions: tuple[bytes, ...]
    outbox: tuple[OutboxEntry, ...]
    inputs: tuple[tuple[Deposit | InboundMessage, bool], ...]
    credited: int


def _lookup_vm(table: Mapping[VmKind, SidechainVm], kind: VmKind) -> SidechainVm:
    vm = table.get(kind)
    if vm is None:
        raise ScbUnknownVm(f"no execution module for VM kind {int(kind)}")
    return vm


def _execute(
    state: SidechainState,
    header: SidechainHeader,
    transactions: Sequence[bytes],
    inputs: MainchainInputs,
    preset: Preset,
    skip_invalid: bool,
) -> _Executed:
    """SCB-2..3 on ``state`` for a block with ``header``'s height, timestamp and cursor."""
    vm = _lookup_vm(vm_table(preset), state.vm_kind)
    check_cursor(state.tip.deposit_cursor, header.deposit_cursor, inputs.mainchain_tip, inputs.peg_in_depth)
    selected = select_inputs(header.sidechain_id, state.tip.deposit_cursor, header.deposit_cursor, inputs)
    created: dict[bytes, bytes] = {}
    view = CachedNodes(_Layered(created, state.nodes))
    root = state.tip.state_root
    outbox: list[OutboxEntry] = []
    taken: list[tuple[Deposit | InboundMessage, bool]] = []
    credited = 0
    for item in selected:
        result = vm.credit(view, root, item.recipient, item.amount)
        if result is None:
            outbox.append(refund_entry(item))
            taken.append((item, False))
            continue
        root, new_nodes = result
        created.update(new_nodes)
        credited += item.amount
        taken.append((item, True))
    credited_root = root
    context = ExecutionContext(
        header.sidechain_id, header.height, header.timestamp, vm.fee_recipient, vm.max_tx_gas
    )
    outcomes: list[TxOutcome] = []
    included: list[bytes] = []
    gas = 0
    for tx in transactions:
        try:
            outcome, new_nodes = vm.apply_transaction(preset, view, root, tx, context)
            if gas + outcome.gas_used > vm.block_gas_limit:
                raise ScbGasLimit(f"{gas + outcome.gas_used} gas, the block allows {vm.block_gas_limit}")
        except (VmError, ScbGasLimit):
            if skip_invalid:
                continue
            raise
        gas += outcome.gas_used
        root = outcome.post_root
        created.update(new_nodes)
        outcomes.append(outcome)
        included.append(tx)
        outbox.extend(outcome.outbox)
    return _Executed(
        root, credited_root, created, tuple(outcomes), tuple(included), tuple(outbox), tuple(taken), credited
    )


class _Layered(Mapping[bytes, bytes]):
    """A block's node source: the nodes it has created so far over the parent state's."""

    def __init__(self, top: Mapping[bytes, bytes], base: Mapping[bytes, bytes]) -> None:
        self._top = top
        self._base = base

    def __getitem__(self, key: bytes) -> bytes:
        found = self._top.get(key)
        return self._base[key] if found is None else found

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from self._top
        yield from (key for key in self._base if key not in self._top)

    def __len__(self) -> int:
        return len(self._top) + sum(1 for key in self._base if key not in self._top)


def _next_state(state: SidechainState, header: SidechainHeader, executed: _Executed) -> SidechainState:
    """SCB-5: the state after the block, with its running totals."""
    nodes = dict(state.nodes)
    nodes.update(executed.nodes)
    sent = sum(entry.amount for outcome in executed.outcomes for entry in outcome.outbox)
    burnt = sum(outcome.fee for outcome in executed.outcomes)
    return SidechainState(
        state.vm_kind,
        header,
        MappingProxyType(nodes),
        state.credited + executed.credited,
        state.sent + sent,
        state.burnt + burnt,
    )


def apply_sidechain_block(
    state: SidechainState, block: SidechainBlock, inputs: MainchainInputs, preset: Preset
) -> BlockResult:
    """SCB-1..5: the state after ``block``, or the first rule it breaks (SCB-* or a VM code)."""
    header = block.header
    check_header_continuity(state.tip, header)
    executed = _execute(state, header, block.transactions, inputs, preset, skip_invalid=False)
    if header.tx_root != merkle_root(block.transactions):
        raise ScbTxRootMismatch("tx_root is not the Merkle root of the transactions")
    if header.tx_count != len(block.transactions):
        raise ScbTxCountMismatch(f"tx_count {header.tx_count}, the block has {len(block.transactions)}")
    if header.state_root != executed.root:
        raise ScbStateRootMismatch(f"state_root {header.state_root.hex()}, executed {executed.root.hex()}")
    if header.trace_root != compute_trace_root([outcome.post_root for outcome in executed.outcomes]):
        raise ScbTraceRootMismatch("trace_root is not the Merkle root of the post-state roots")
    if header.credits_root != compute_block_credits_root(executed.inputs):
        raise ScbCreditsRootMismatch("credits_root is not the Merkle root of the block's credits")
    if header.outbox_root != compute_outbox_root(executed.outbox):
        raise ScbOutboxRootMismatch("outbox_root is not the Merkle root of the outbox entries")
    return BlockResult(
        _next_state(state, header, executed),
        executed.credited_root,
        executed.outcomes,
        executed.outbox,
        executed.inputs,
    )


def build_sidechain_block(
    state: SidechainState,
    transactions: Sequence[bytes],
    inputs: MainchainInputs,
    timestamp: int,
    deposit_cursor: int,
    preset: Preset,
) -> SidechainBlock:
    """SCB-6: the block a producer makes on ``state`` from candidate ``transactions`` (the invalid
    ones and those past the gas limit left out, in order), crediting up to ``deposit_cursor``."""
    parent = state.tip
    draft = replace(
        parent,
        height=parent.height + 1,
        parent=compute_header_hash(parent),
        timestamp=max(timestamp, parent.timestamp),
        deposit_cursor=deposit_cursor,
    )
    executed = _execute(state, draft, transactions, inputs, preset, skip_invalid=True)
    header = replace(
        draft,
        tx_root=merkle_root(executed.transactions),
        tx_count=len(executed.transactions),
        state_root=executed.root,
        trace_root=compute_trace_root([outcome.post_root for outcome in executed.outcomes]),
        credits_root=compute_block_credits_root(executed.inputs),
        outbox_root=compute_outbox_root(executed.outbox),
    )
    return SidechainBlock(header, executed.transactions)
