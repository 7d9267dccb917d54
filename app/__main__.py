"""``python -m app``: the same as the ``cc-app`` command."""
import sys

from app.main import main

sys.exit(main())
