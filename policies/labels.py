"""The classifier's vocabulary (see shared corpus README)."""

from enum import StrEnum


class Label(StrEnum):
    URGENT = "urgent"
    ACK = "ack"
    ROLLCALL = "rollcall"
    DEMAND_REPLY = "demand_reply"
    DATA_REQUEST = "data_request"
    NOTICE = "notice"
    PROOF_DEMAND = "proof_demand"  # screenshots, photos or videos as proof; forward-and-show
    CHAT = "chat"


STANDALONE_LABELS = frozenset({Label.ACK, Label.CHAT})
