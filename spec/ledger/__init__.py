"""The ledger: transactions, the UTXO set, state snapshots and the mempool (protocol steps TX-*, UTXO-*)."""
