"""``python -m matchkit``: the command line."""

from matchkit.cli import main

raise SystemExit(main())
