"""CloudTrail log file integrity and completeness, checked as the digests arrive.

- :mod:`.digest`: parse a digest file, its data signing string, its SHA256withRSA signature;
- :mod:`.public_keys`: ``cloudtrail:ListPublicKeys``, cached per region;
- :mod:`.chain`: each digest linked to the previous one of its trail, account and region;
- :mod:`.completeness`: each listed log file read by this add-on, with the same SHA-256;
- :mod:`.validator`: one ``aws:cloudtrail:digest`` event per digest;
- :mod:`.state`: where all of it is kept (the input's checkpoint).
"""

from __future__ import annotations

from .completeness import ContentHash, record_log_hash
from .digest import DigestError, parse_key
from .public_keys import PERMISSION, PublicKeys
from .state import CheckpointState, MemoryState
from .validator import SOURCETYPE, DigestValidator

__all__ = ["ContentHash", "record_log_hash", "DigestError", "parse_key", "PERMISSION", "PublicKeys",
           "CheckpointState", "MemoryState", "SOURCETYPE", "DigestValidator"]
