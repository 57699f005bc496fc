"""Chain consensus: headers, proof of work, proof-of-stake tickets, blocks, rewards, fork choice."""
