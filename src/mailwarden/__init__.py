"""mailwarden: "spam from my own address?" answered with evidence.

Layers (dependencies point down only): front ends (``cli``) -> services
(``diagnose``, ``audit``, ``bounces``, ``allowlist``) -> protocol engine
(``spf``, ``dkim``, ``dmarc``, ``arc``, ``authres``) -> foundations
(``dns``, ``message``, ``psl``).
"""

__version__ = "0.1.0"
