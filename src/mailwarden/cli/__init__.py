"""Command-line front end (thin: parses options, calls services, renders)."""
