"""``python -m dlbook`` is the ``dlbook`` command."""

import sys

from dlbook.cli import main

sys.exit(main())
