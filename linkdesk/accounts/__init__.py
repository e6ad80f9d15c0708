"""People and what they may do: users, passwords, roles and scope, sessions, API tokens.

- ``users``: logging in with throttling, creating users, API tokens (no Flask requests here);
- ``passwords``: argon2id hashes and token digests;
- ``access``: role decorators and the one query helper that scopes every query by the user;
- ``sessions``: ending idle sessions on the server's side;
- ``views``: login, logout and the admin's user pages; ``forms``.
"""
