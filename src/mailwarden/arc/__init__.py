"""ARC (RFC 8617): chain validation and sealing on the DKIM machinery."""

from mailwarden.arc.results import ArcInstanceResult, ARCResult, ArcSignatureCheck
from mailwarden.arc.seal import ArcSealFields, seal
from mailwarden.arc.verify import verify_chain

__all__ = ["ARCResult", "ArcInstanceResult", "ArcSealFields", "ArcSignatureCheck", "seal", "verify_chain"]
