"""Members' data rights: export and erasure across every capability, and retention of old records.
Offers ``rights.export_member``, ``rights.erase_member`` and ``rights.apply_retention``; each capability's hook lives in its own ``privacy.py``."""
