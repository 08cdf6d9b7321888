"""Message model foundations: parse once, keep raw bytes, offer decoded views."""

from mailwarden.message.addresses import Address, parse_address_list, parse_single_address
from mailwarden.message.model import Header, Message, parse_message
from mailwarden.message.received import ReceivedHop, parse_received

__all__ = [
    "Address",
    "Header",
    "Message",
    "ReceivedHop",
    "parse_address_list",
    "parse_message",
    "parse_received",
    "parse_single_address",
]
