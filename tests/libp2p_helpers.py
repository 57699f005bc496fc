"""Waiting helpers shared by the libp2p tests (trio side): every wait is on a condition with a
bound, never a bare sleep, so a loaded machine makes a test slower, not flaky; and
:func:`running_pubsub`, a bare host's gossipsub started the one way every test starts it."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import trio
from libp2p.abc import IHost
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.tools.anyio_service import background_trio_service

BOUND = 30.0
"""Seconds any one wait may take before the test fails (a loaded CI machine is slow)."""
POLL = 0.05
"""Seconds between two looks at a condition."""
T = TypeVar("T")


def leaf_exceptions(error: BaseException) -> list[BaseException]:
    """The exceptions at the leaves of ``error``: trio's nurseries (strict exception groups) and
    py-libp2p's services wrap an error in one ``ExceptionGroup`` per nursery it crossed."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaf_exceptions(inner)]
    return [error]


def run_trio(main: Callable[[], Awaitable[T]]) -> T:
    """``trio.run(main)``, an error inside it shown by its leaves: an ``ExceptionGroup`` escaping
    is re-raised as an ``AssertionError`` whose message is every leaf exception with its own
    traceback (a summary line such as ``ExceptionGroup: Exceptions from Trio nursery (1
    sub-exception)`` hid the cause of a failure under load)."""
    try:
        return trio.run(main)
    except BaseExceptionGroup as group:
        leaves = leaf_exceptions(group)
        shown = "\n".join("".join(traceback.format_exception(leaf)).rstrip() for leaf in leaves)
        raise AssertionError(f"{len(leaves)} error(s) inside trio.run:\n{shown}") from group


async def wait_for(condition: Callable[[], bool], what: str = "a condition", bound: float = BOUND) -> None:
    """Return once ``condition()`` holds; fail (``trio.TooSlowError``, naming ``what``) after ``bound``."""
    try:
        with trio.fail_after(bound):
            while not condition():
                await trio.sleep(POLL)
    except trio.TooSlowError:
        raise AssertionError(f"timed out after {bound} s waiting for {what}") from None


def in_mesh(router: GossipSub, peer: ID, topic: str) -> bool:
    """Whether ``router`` has ``peer`` in its mesh of ``topic`` (a publication of it reaches ``peer``)."""
    return peer in router.mesh.get(topic, set())


async def wait_for_mesh(router: GossipSub, peer: ID, topic: str, bound: float = BOUND) -> None:
    """Return once ``router`` has grafted ``peer`` in ``topic``'s mesh (the heartbeat grafts new
    subscribers, or the peer's GRAFT was accepted); fail after ``bound``."""
    await wait_for(lambda: in_mesh(router, peer, topic), f"{peer} in the mesh of {topic}", bound)


@asynccontextmanager
async def running_pubsub(
    host: IHost, router: GossipSub, max_inbound_rpc_size: int | None = None
) -> AsyncIterator[Pubsub]:
    """``Pubsub(host, router)`` (with ``max_inbound_rpc_size`` if given) with its service and the
    router's running, yielded once it is ready; both stopped on exit. The host itself is run by
    the caller (``host.run(...)``)."""
    if max_inbound_rpc_size is None:
        pubsub = Pubsub(host, router)
    else:
        pubsub = Pubsub(host, router, max_inbound_rpc_size=max_inbound_rpc_size)
    async with background_trio_service(pubsub), background_trio_service(router):
        await pubsub.wait_until_ready()
        yield pubsub
