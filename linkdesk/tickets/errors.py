"""The refusals of the ticket workflow, low enough that any layer may raise or catch them.

Imports nothing of the features: ``errors.py`` turns them into answers, the API and the pages
catch them, and the workflow raises them.
"""


class WorkflowError(Exception):
    """A refusal, with Chinese messages by field (422 in the API)."""

    status = 422

    def __init__(self, errors: dict[str, list[str]] | str, field: str = "ticket"):
        self.errors = {field: [errors]} if isinstance(errors, str) else errors
        super().__init__("; ".join(m for ms in self.errors.values() for m in ms))

    @property
    def message(self) -> str:
        return "；".join(m.rstrip("。") for ms in self.errors.values() for m in ms) + "。"


class Conflict(WorkflowError):
    """Someone else changed the ticket first (409)."""

    status = 409

    MESSAGE = "该工单已被他人处理或修改，您的操作没有保存。请查看最新状态后再操作。"

    def __init__(self, message: str = MESSAGE):
        super().__init__(message, "version")
