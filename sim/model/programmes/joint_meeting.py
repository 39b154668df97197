"""Joint meeting (联席会议制度): periodic supervision that raises programme execution.

Without supervision only a share ``execution_without`` of the actions that schools, firms and
the bureau decide on is carried out within the year; with the joint meeting in force the share
is ``execution_with``. Programmes multiply their action probabilities by this share.
"""

from __future__ import annotations

from sim.model.programmes.base import Programme


class JointMeeting(Programme):
    name = "joint_meeting"

    def execution(self) -> float:
        lv = self.levers
        return lv.execution_with if self.active else lv.execution_without
