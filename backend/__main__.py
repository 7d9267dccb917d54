"""``python -m backend``: the same as the ``cc-backend`` console script."""
import sys

from backend.cli import main

sys.exit(main())
