"""``python -m splunkd_standin`` (scripts/ on sys.path) or ``python scripts/splunkd_standin``: serve until SIGTERM."""

import os
import sys

if not __package__:
    # Run as a directory: Python put this folder, not scripts/, first on sys.path.
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    sys.path.insert(0, os.path.dirname(_HERE))

from splunkd_standin.server import main

sys.exit(main())
