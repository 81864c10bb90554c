"""``python -m agentkit.sim --port 8765``."""

from __future__ import annotations

import sys

from .serve import main

sys.exit(main())
