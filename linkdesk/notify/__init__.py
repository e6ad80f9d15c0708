"""Telling people what happened: events, the outbox and its channels.

- ``events``: which event reaches which channel (企业微信 group robots, e-mail), and the text;
- ``outbox``: the worker that delivers queued messages once, within each robot's limits;
- ``views``: the admin's channel and outbox pages; ``forms``; ``cli``: ``outbox`` and ``channels``.
"""
