"""``python -m sauti.cli``: the same command as ``sauti``."""

from sauti.cli import main

main()
