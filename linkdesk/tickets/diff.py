"""Old and new address side by side: which parts changed."""

from dataclasses import dataclass
from urllib.parse import urlsplit

PARTS = (("scheme", "协议"), ("netloc", "域名"), ("path", "路径"), ("query", "参数"), ("fragment", "锚点"))


@dataclass(frozen=True)
class PartChange:
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def url_diff(old: str | None, new: str) -> list[PartChange]:
    """The parts of two addresses, each marked changed or not (an empty old address: all new)."""
    before = urlsplit(old or "")
    after = urlsplit(new)
    return [PartChange(label, getattr(before, name) or "", getattr(after, name) or "") for name, label in PARTS]
