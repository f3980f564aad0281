"""`python -m app` starts the window, like the `landscape-colorizer` command."""
import sys

from app.main import main

sys.exit(main())
