"""Imports blocks into a PruningStore and prunes one block per step after each; killed by the crash test.

``python -m tests.prune_worker DB BLOCKS`` prints ``ready``, then for each block of BLOCKS (hex,
one per line) after the stored tip: imports it, prints ``import HEIGHT``, then prunes one block per
transaction (``prune_step(batch=1)``) under a finalized block 12 below the tip, printing ``prune
HEIGHT`` after each step, until nothing is left to prune.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reference.storage import PruningStore
from spec.chain.block import block_hash, decode_block
from spec.chain.state import BlockContext
from spec.presets import DEVNET

KEEP = DEVNET.network.pruned_serve_blocks
FINALITY_LAG = 12
"""The worker's stand-in for finality: the block this far below the tip is taken as finalized."""


def finalized_for(blocks: list[bytes], tip_height: int) -> bytes | None:
    """The hash the worker treats as finalized at ``tip_height`` (``None`` near genesis)."""
    return blocks[tip_height - FINALITY_LAG] if tip_height >= FINALITY_LAG else None


def main() -> None:
    store = PruningStore(Path(sys.argv[1]), DEVNET, KEEP)
    blocks = [decode_block(bytes.fromhex(line), DEVNET) for line in Path(sys.argv[2]).read_text().split()]
    hashes = [block_hash(b.header, DEVNET) for b in blocks]
    print("ready", flush=True)
    start = store.state.height + 1
    for block in [None, *blocks[start:]]:
        if block is not None:
            store.import_block(block, BlockContext(now=block.header.timestamp))
            print("import", block.header.height, flush=True)
        while store.prune_step(finalized_for(hashes, store.state.height), batch=1):
            print("prune", store.pruned_height(), flush=True)
    store.close()


if __name__ == "__main__":
    main()
