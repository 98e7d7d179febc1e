"""Sandbox tooling: run the real bot against a local Discord double."""

from .double import ApiError, DiscordDouble, Driver, DriverError, InteractionResult, SeedSpec, seed_guild

__all__ = [
    "ApiError",
    "DiscordDouble",
    "Driver",
    "DriverError",
    "InteractionResult",
    "SeedSpec",
    "seed_guild",
]
