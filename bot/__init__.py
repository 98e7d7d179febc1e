"""Relais: a Discord bot for a French-speaking community of peer-support workers."""

__version__ = "0.1.0"
