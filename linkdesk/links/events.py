"""What happens to registry links, announced to whoever listens (notify subscribes).

Link health announces a link that starts failing instead of calling notify itself: the links
feature stays below notify. Listeners run in the announcer's transaction, before its commit.
"""

from blinker import Namespace

signals = Namespace()
# sender: the LinkRecord; keyword arguments: note (the problem, in Chinese), dedupe (a key).
link_failed = signals.signal("link-failed")
