"""Members' data rights: export and erasure across every capability, and retention of old records.
Offers ``rights.export_member``, ``erase_member`` and ``apply_retention``; hooks: each ``privacy.py``."""
