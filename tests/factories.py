"""Factories that make real rows through the same functions the app uses."""
import itertools
from dataclasses import dataclass

from linkdesk import accounts
from linkdesk.models import Role, User

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


@dataclass
class Account:
    user: User
    password: str = PASSWORD

    @property
    def username(self) -> str:
        return self.user.username


class Factory:
    def user(self, role: Role | str = Role.CENTER_STAFF, *, center=None, province=None, username=None) -> Account:
        """A user; center staff default to 郑州, province reviewers to 河南."""
        role = Role(role)
        if role is Role.CENTER_STAFF and center is None:
            center = "郑州"
        if role is Role.PROVINCE_REVIEWER and province is None:
            province = "河南"
        username = username or f"{role.value}-{next(_numbers)}"
        user = accounts.create_user(username, PASSWORD, role, center=center, province=province)
        return Account(user)

    def token(self, account: Account) -> str:
        return accounts.create_token(account.user)


def ticket_request(service: str = "info_query", **overrides) -> dict:
    """A valid filing body; the cutover date must be given (it depends on the frozen 'now')."""
    body = {
        "service": service,
        "new_url": f"https://gjj.example.gov.cn/{service}/v2",
        "reason": "服务器迁移到政务云",
        "contact_name": "张经办",
        "contact_phone": "0371-12345678",
    }
    body.update(overrides)
    return body
