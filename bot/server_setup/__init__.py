"""Putting Relais in service on a Discord server: what a healthy server looks like (``layout``),
what is wrong with this one (``diagnostic``) and how to fix what the bot can fix (``assistant``).

Discord-free except ``ui.py``: the cog turns the guild into a snapshot and renders findings.
"""
