"""``python -m cspm`` runs the command line."""

from cspm.cli import main

main()
