"""A faithful local double of Discord API v10 (REST + gateway) for tests, benchmarks and demos."""

from .core import DiscordDouble
from .driver import Driver, DriverError, InteractionResult
from .ops import ApiError
from .seed import SeedSpec, seed_guild

__all__ = [
    "ApiError",
    "DiscordDouble",
    "Driver",
    "DriverError",
    "InteractionResult",
    "SeedSpec",
    "seed_guild",
]
