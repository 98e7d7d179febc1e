"""Shared foundations: database and migrations, durable timers, settings, YAML, i18n, errors, logs.
Imports no capability and never discord.py."""
