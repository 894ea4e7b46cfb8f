"""`python -m engine run SPEC.json` in a source checkout."""

import sys

from engine.cli import main

sys.exit(main())
