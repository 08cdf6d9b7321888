"""``python -m mailwarden``: same as the ``mailwarden`` command."""

from mailwarden.cli.main import main

if __name__ == "__main__":
    main()
