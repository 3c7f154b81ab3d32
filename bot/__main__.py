"""`python -m bot` does what `phosphore` does."""

import sys

from bot.cli import main

sys.exit(main())
