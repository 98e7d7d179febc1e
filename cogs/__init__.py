"""discord.py extensions: thin adapters from interactions to the domain modules in ``bot/``."""
