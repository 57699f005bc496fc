"""Header sync: block locators, the fork point, GetHeaders answers and headers-first acceptance
(protocol steps "P2P-LOC", "P2P-SYNC-1".."P2P-SYNC-3").

A chain is given as the sequence of its block hashes indexed by height (``chain[0]`` is genesis,
``chain[-1]`` the tip) or as its headers in height order.

* **P2P-LOC** the locator of a chain with tip height ``t`` lists the hashes at heights
  ``t, t-1, ..., t-10`` (ten steps of 1), then steps of 2, 4, 8, ... (step ``i > 10`` is
  ``2**(i-10)``), and always ends with genesis (height 0). Its length is at most
  ``12 + log2(t)``, so a peer finds the fork point of a chain of any length in one round trip.
* **P2P-SYNC-1** the fork point of a locator on the best chain is the height of the *first*
  locator hash that is on the best chain (the highest common block when the locator is well
  formed); none is ``P2P_NO_COMMON_BLOCK``.
* **P2P-SYNC-2** a GetHeaders is answered with the best chain's headers from the fork point + 1,
  at most ``max_count`` (the preset's ``max_headers_per_message``) of them, ending early at the
  stop hash if it is on the best chain above the fork point.
* **P2P-SYNC-3** headers-first acceptance: the rules checkable on a header alone, in the order of
  ``apply_block``: HDR-1 (version), then ``check_header`` (HDR-2 parent and height, HDR-3 median
  time past, HDR-4 clock, POW-4 bits, POW-1/2 proof of work) against the header-only state of its
  parent. Headers connect to their parent wherever it is on the known header chain (a fork
  replaces the part above it); headers that are all known leave the chain as it is. The header
  chain carries no UTXO set: the body rules run when the block arrives.
* **P2P-SYNC-4** starting from a snapshot (fast sync): the chain state after block ``h`` of a
  validated header chain (P2P-SYNC-3) is rebuilt from the committed items of a snapshot
  (SNAP-5..8, already checked against the ``state_root`` of header ``h``): the committed part by
  STATE-5 (``state_from_items``), the rest (tip hash, height, bits, timestamps, cumulative work)
  from the header chain up to ``h``, which already commits to it. Only a header committing to the
  full state (fork ``state_trie``, ST-1) gives a complete state: items of the UTXO-only layout
  (STATE-1) fail STATE-5 (``STATE_ITEM_*``), and a full item set whose deployment records do not
  put ``state_trie`` in force at ``h`` is ``SNAPSHOT_STATE_ROOT_MISMATCH`` (header ``h`` committed
  to something else). The node then validates only the blocks above ``h``.
* **P2P-PRUNE-1** which peers serve which bodies: a peer whose Version has ``SERVICE_FULL_NODE``
  serves the body of every block of its best chain; one with ``SERVICE_PRUNED`` (and not
  ``SERVICE_FULL_NODE``) serves only the bodies at heights above ``peer_height -
  pruned_serve_blocks``, where ``peer_height`` is the highest height the peer is known to have (its
  Version's ``best_height`` or any later header it sent); any other peer serves no body. A syncing
  node asks for a body only a peer that serves it; a pruned node answers a request for a body it
  no longer has with ``NotFound`` (never with a partial block).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spec.chain.block import BlockHeader, block_hash, check_header_version
from spec.chain.layout import StateLayout
from spec.chain.pow import decode_compact, work_of_target
from spec.chain.state import (
    BlockContext,
    ChainState,
    chain_state_from_items,
    check_header,
    initial_state,
    tip_state_layout,
)
from spec.errors import NoCommonBlock, SnapshotStateRootMismatch
from spec.p2p.messages import NO_STOP_HASH, SERVICE_FULL_NODE, SERVICE_PRUNED
from spec.presets import Preset

LINEAR_STEPS = 10
"""P2P-LOC: the number of single-block steps back from the tip before the step starts doubling."""


def locator_step(index: int) -> int:
    """P2P-LOC: the size of step ``index`` (1-based): 1 for the first ten, then 2, 4, 8, ..."""
    return 1 if index <= LINEAR_STEPS else 1 << (index - LINEAR_STEPS)


def locator_heights(tip_height: int) -> tuple[int, ...]:
    """P2P-LOC: the heights listed by the locator of a chain with tip ``tip_height`` (>= 0),
    tip first, genesis last."""
    heights = [tip_height]
    index = 0
    while heights[-1] > 0:
        index += 1
        heights.append(max(heights[-1] - locator_step(index), 0))
    return tuple(heights)


def block_locator(chain: Sequence[bytes]) -> tuple[bytes, ...]:
    """P2P-LOC: the locator of ``chain`` (hashes indexed by height); empty for an empty chain."""
    if not chain:
        return ()
    return tuple(chain[height] for height in locator_heights(len(chain) - 1))


def locate_fork(locator: Sequence[bytes], best_chain: Sequence[bytes]) -> int:
    """P2P-SYNC-1: the height on ``best_chain`` of the first locator hash it contains."""
    heights = {block: height for height, block in enumerate(best_chain)}
    for block in locator:
        height = heights.get(block)
        if height is not None:
            return height
    raise NoCommonBlock(f"none of {len(locator)} locator hashes is on the best chain")


def chain_hashes(headers: Sequence[BlockHeader], preset: Preset) -> tuple[bytes, ...]:
    """The block hashes of a linked chain of headers (each header's parent is the one before it).

    Every hash but the tip's is read from the next header's ``previous_block_hash``, so only the
    tip is hashed.
    """
    if not headers:
        return ()
    return (*(header.previous_block_hash for header in headers[1:]), block_hash(headers[-1], preset))


def headers_after(
    best_chain: Sequence[BlockHeader],
    locator: Sequence[bytes],
    stop_hash: bytes,
    max_count: int,
    preset: Preset,
) -> tuple[BlockHeader, ...]:
    """P2P-SYNC-2: the answer to ``GetHeaders(locator, stop_hash)`` from the headers of the best chain."""
    hashes = chain_hashes(best_chain, preset)
    fork = locate_fork(locator, hashes)
    end = min(len(best_chain), fork + 1 + max_count)
    if stop_hash != NO_STOP_HASH:
        for height in range(fork + 1, end):
            if hashes[height] == stop_hash:
                end = height + 1
                break
    return tuple(best_chain[fork + 1 : end])


# --------------------------------------------------------------------------------------------
# Headers-first acceptance (P2P-SYNC-3)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderChain:
    """P2P-SYNC-3: a chain of validated headers, per height: hash, bits, timestamp, cumulative work."""

    hashes: tuple[bytes, ...]
    bits: tuple[int, ...]
    timestamps: tuple[int, ...]
    work: tuple[int, ...]

    @property
    def height(self) -> int:
        """The tip height (-1 for the empty chain)."""
        return len(self.hashes) - 1

    @property
    def cumulative_work(self) -> int:
        """POW-3: the summed work of every header (0 for the empty chain)."""
        return self.work[-1] if self.work else 0


EMPTY_HEADER_CHAIN = HeaderChain((), (), (), ())
"""The header chain before genesis."""


def header_state(chain: HeaderChain, height: int, preset: Preset) -> ChainState:
    """The header-only :class:`ChainState` after block ``height`` of ``chain`` (-1: before genesis).

    Its UTXO set and ticket pool are empty: only what ``check_header`` reads is meaningful.
    """
    end = max(height, -1) + 1
    return _state(chain.hashes[:end], chain.bits[:end], chain.timestamps[:end], chain.work[:end], preset)


def _state(
    hashes: Sequence[bytes],
    bits: Sequence[int],
    timestamps: Sequence[int],
    work: Sequence[int],
    preset: Preset,
) -> ChainState:
    if not hashes:
        return initial_state(preset)
    return ChainState(
        tip_hash=hashes[-1],
        height=len(hashes) - 1,
        bits=bits[-1],
        timestamps=tuple(timestamps),
        utxos={},
        tickets={},
        ticket_price=0,
        treasury=0,
        cumulative_work=work[-1],
    )


def parent_known(chain: HeaderChain, header: BlockHeader) -> bool:
    """Whether ``header``'s parent is on ``chain`` at the height below it (genesis: always)."""
    parent = header.height - 1
    if parent < 0:
        return True
    return parent <= chain.height and chain.hashes[parent] == header.previous_block_hash


def connect_headers(
    chain: HeaderChain, headers: Sequence[BlockHeader], now: int, preset: Preset
) -> HeaderChain:
    """P2P-SYNC-3: ``chain`` up to the first header's parent, extended by ``headers`` (each one checked
    on the one before it); the first failing header raises its ``HDR_*`` / ``POW_*`` code. When the
    last header is already on ``chain`` (the headers were known), the result is ``chain`` itself.

    The result may be a fork of ``chain`` with less work; the caller compares ``cumulative_work``
    (FORK-1) and applies finality (FORK-2). ``now`` is the node's clock (HDR-4).
    """
    if not headers:
        return chain
    base = max(-1, min(headers[0].height - 1, chain.height))
    hashes = list(chain.hashes[: base + 1])
    bits = list(chain.bits[: base + 1])
    timestamps = list(chain.timestamps[: base + 1])
    work = list(chain.work[: base + 1])
    context = BlockContext(now)
    for header in headers:
        check_header_version(header)
        check_header(_state(hashes, bits, timestamps, work, preset), header, context, preset)
        hashes.append(block_hash(header, preset))
        bits.append(header.bits)
        timestamps.append(header.timestamp)
        work.append((work[-1] if work else 0) + work_of_target(decode_compact(header.bits)))
    tip = len(hashes) - 1
    if tip <= chain.height and chain.hashes[tip] == hashes[-1]:
        return chain
    return HeaderChain(tuple(hashes), tuple(bits), tuple(timestamps), tuple(work))


def snapshot_state(
    items: Mapping[bytes, bytes], chain: HeaderChain, height: int, preset: Preset
) -> ChainState:
    """P2P-SYNC-4: the chain state after block ``height`` of ``chain`` whose committed items are
    ``items`` (verified against that header's ``state_root`` by SNAP-8 before this is called).

    Raises ``STATE_ITEM_*`` / ``DECODE_*`` (STATE-5) for items that are not a full state, and
    ``SNAPSHOT_STATE_ROOT_MISMATCH`` when ``chain`` has no header at ``height`` or the rebuilt
    state's deployment records do not put fork ``state_trie`` in force at ``height`` (ST-1). The
    state carries no trie: the caller builds it (``build_commitment``) and checks its root.
    """
    if not 0 <= height <= chain.height:
        raise SnapshotStateRootMismatch(f"no header at height {height} (header tip {chain.height})")
    state = chain_state_from_items(
        items,
        chain.hashes[height],
        height,
        chain.bits[height],
        chain.timestamps[: height + 1],
        chain.work[height],
        preset,
    )
    if tip_state_layout(state, preset) is not StateLayout.FULL:
        raise SnapshotStateRootMismatch(f"the header at height {height} does not commit to the full state")
    return state


def is_body_served(services: int, peer_height: int, height: int, preset: Preset) -> bool:
    """P2P-PRUNE-1: whether a peer announcing ``services``, whose best chain is known to reach
    ``peer_height``, serves the body of its best-chain block at ``height``."""
    if height < 0 or height > peer_height:
        return False
    if services & SERVICE_FULL_NODE:
        return True
    if services & SERVICE_PRUNED:
        return height > peer_height - preset.network.pruned_serve_blocks
    return False
