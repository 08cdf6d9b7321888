"""DKIM (RFC 6376, RFC 8301, RFC 8463): parse, verify every signature, sign, generate keys."""

from mailwarden.dkim.keys import DKIMKey, KeyCache, parse_key_record
from mailwarden.dkim.results import DKIMSignatureResult
from mailwarden.dkim.sign import KeyPair, generate_key, sign_message
from mailwarden.dkim.signature import DKIMSignature, parse_dkim_signature
from mailwarden.dkim.verify import MessageContext, verify_message

__all__ = [
    "DKIMKey",
    "DKIMSignature",
    "DKIMSignatureResult",
    "KeyCache",
    "KeyPair",
    "MessageContext",
    "generate_key",
    "parse_dkim_signature",
    "parse_key_record",
    "sign_message",
    "verify_message",
]
