"""Fixtures: a started double, and a bare discord.py client connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import discord
import pytest
from discord.ext import commands

from bot.sandbox import DiscordDouble


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    d = DiscordDouble()
    await d.start()
    undo = d.patch_discord()
    try:
        yield d
    finally:
        undo()
        await d.stop()


class Running:
    """A client running in a background task, closed at teardown no matter what."""

    def __init__(self, client: discord.Client, task: asyncio.Task) -> None:
        self.client = client
        self.task = task


@pytest.fixture
async def run_client(double: DiscordDouble) -> AsyncIterator[Callable]:
    running: list[Running] = []

    async def start(client: discord.Client, *, ready_within: float = 10) -> discord.Client:
        task = asyncio.create_task(client.start(double.token))
        running.append(Running(client, task))
        waiter = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {task, waiter}, timeout=ready_within, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            if task in done:
                task.result()  # surface the login/connect error
            raise TimeoutError("client did not become ready")
        return client

    yield start
    for r in running:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(r.client.close(), 5)
        r.task.cancel()
        with contextlib.suppress(BaseException):
            await r.task


def _make_bot(**kwargs) -> commands.Bot:
    intents = kwargs.pop("intents", None) or discord.Intents.all()
    # guild_ready_timeout: the double sends every GUILD_CREATE at once, no need to wait Discord's 2 s.
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **kwargs)


@pytest.fixture
def make_bot() -> Callable[..., commands.Bot]:
    return _make_bot
