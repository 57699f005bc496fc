"""The P2P wire protocol (docs/p2p.md): framing and messages, header sync and block locators,
compact block relay, the Kademlia routing table and misbehaviour scoring, and (libp2p.py) the same
messages as libp2p protocols: peer ids, gossipsub topics and message ids, gossip validation and
operator peer records.

Everything here is transport-independent and pure: a node carries the frames over any byte stream
(the reference node uses asyncio TCP), owns the clock, the sockets and the random nonces, and asks
these functions what the bytes mean and what the rules say.
"""
