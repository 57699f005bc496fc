"""Imports blocks from a file into a ChainStore (resuming after the stored tip); killed by the crash test.

``python -m tests.storage_worker DB BLOCKS`` prints ``ready`` once its imports are done, then
imports one block per line of BLOCKS (hex), printing each stored height.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reference.storage import ChainStore
from spec.chain.block import decode_block
from spec.chain.state import BlockContext
from spec.presets import DEVNET


def main() -> None:
    store = ChainStore(Path(sys.argv[1]), DEVNET)
    blocks = [decode_block(bytes.fromhex(line), DEVNET) for line in Path(sys.argv[2]).read_text().split()]
    print("ready", flush=True)
    for block in blocks[store.state.height + 1 :]:
        store.import_block(block, BlockContext(now=block.header.timestamp))
        print(block.header.height, flush=True)
    store.close()


if __name__ == "__main__":
    main()
