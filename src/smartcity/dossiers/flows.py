"""The dossier lifecycle: the 10 national status codes (DVCQG ``DongBoHoSoMC``) and the
one table of allowed transitions (domain-vn §1.3).  Every status change goes through
:func:`check` — an action the table does not allow is a 409."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smartcity.core.i18n import N_


class Status(enum.IntEnum):
    submitted = 1  # Mới đăng ký
    accepted = 2  # Được tiếp nhận
    refused = 3  # Không được tiếp nhận
    processing = 4  # Đang xử lý
    supplement_requested = 5  # Yêu cầu bổ sung giấy tờ
    fee_requested = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    withdrawal_requested = 7  # Công dân yêu cầu rút hồ sơ
    stopped = 8  # Dừng xử lý
    done = 9  # Đã xử lý xong
    returned = 10  # Đã trả kết quả


STATUS_LABELS: dict[Status, str] = {
    Status.submitted: N_("Mới đăng ký"),
    Status.accepted: N_("Được tiếp nhận"),
    Status.refused: N_("Không được tiếp nhận"),
    Status.processing: N_("Đang xử lý"),
    Status.supplement_requested: N_("Yêu cầu bổ sung giấy tờ"),
    Status.fee_requested: N_("Yêu cầu thực hiện nghĩa vụ tài chính"),
    Status.withdrawal_requested: N_("Công dân yêu cầu rút hồ sơ"),
    Status.stopped: N_("Dừng xử lý"),
    Status.done: N_("Đã xử lý xong"),
    Status.returned: N_("Đã trả kết quả"),
}

FINAL = frozenset({Status.refused, Status.stopped, Status.returned})
#: Statuses that end the processing time for Decision 766 (the dossier leaves the queue's clock).
CLOSING = frozenset({Status.refused, Status.stopped, Status.done, Status.withdrawal_requested})
OPEN = frozenset(
    {
        Status.submitted,
        Status.accepted,
        Status.processing,
        Status.supplement_requested,
        Status.fee_requested,
    }
)


class Actor(enum.StrEnum):
    citizen = "citizen"
    officer = "officer"
    bank = "bank"


class Action(enum.StrEnum):
    accept = "accept"
    refuse = "refuse"
    start = "start"
    request_supplement = "request_supplement"
    supplement = "supplement"
    request_fee = "request_fee"
    fee_paid = "fee_paid"
    approve = "approve"
    stop = "stop"
    withdraw = "withdraw"
    return_result = "return"


@dataclass(frozen=True)
class Transition:
    action: Action
    source: frozenset[Status]
    target: Status
    by: Actor


_S = Status
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(Action.accept, frozenset({_S.submitted}), _S.accepted, Actor.officer),
        Transition(Action.refuse, frozenset({_S.submitted}), _S.refused, Actor.officer),
        Transition(Action.start, frozenset({_S.accepted}), _S.processing, Actor.officer),
        Transition(
            Action.request_supplement,
            frozenset({_S.processing}),
            _S.supplement_requested,
            Actor.officer,
        ),
        Transition(
            Action.supplement, frozenset({_S.supplement_requested}), _S.processing, Actor.citizen
        ),
        Transition(Action.request_fee, frozenset({_S.processing}), _S.fee_requested, Actor.officer),
        Transition(Action.fee_paid, frozenset({_S.fee_requested}), _S.processing, Actor.bank),
        Transition(
            Action.approve, frozenset({_S.processing, _S.fee_requested}), _S.done, Actor.officer
        ),
        Transition(
            Action.stop,
            frozenset({_S.processing, _S.supplement_requested, _S.withdrawal_requested}),
            _S.stopped,
            Actor.officer,
        ),
        Transition(Action.withdraw, frozenset(OPEN), _S.withdrawal_requested, Actor.citizen),
        Transition(Action.return_result, frozenset({_S.done}), _S.returned, Actor.officer),
    )
}


class TransitionNotAllowed(Exception):
    def __init__(self, action: Action, current: Status) -> None:
        super().__init__(f"{action} not allowed from {current}")
        self.action = action
        self.current = current


def check(action: Action, current: Status) -> Status:
    """The status ``action`` leads to from ``current``; raises if the law does not allow it."""
    transition = TRANSITIONS[action]
    if current not in transition.source:
        raise TransitionNotAllowed(action, current)
    return transition.target


def actions_from(current: Status, by: Actor) -> list[Action]:
    """What ``by`` may do next (drives the buttons on the pages)."""
    return [t.action for t in TRANSITIONS.values() if current in t.source and t.by is by]
