"""`python -m gui` starts the app (same as the `strides-gates` command)."""
import sys

from gui.app import main

sys.exit(main())
