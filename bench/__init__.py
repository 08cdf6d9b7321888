"""Side-by-side benchmarks of mailwarden against dkimpy, pyspf, authheaders and mailauth.

Entry point: ``python bench/run.py [--quick] [--json OUT]`` (set-up: ``bash bench/setup.sh``).
Modules here import only the standard library at top level, so a worker can run
under bench/.venv (reference tools) or the product's interpreter (mailwarden).
"""
