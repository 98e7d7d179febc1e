"""Discord-facing building blocks shared by the cogs: replies, base views and modals, embeds."""
