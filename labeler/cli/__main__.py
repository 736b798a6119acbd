"""``python -m labeler.cli``: the same as the ``prefmark`` command."""

from labeler.cli import main

main()
