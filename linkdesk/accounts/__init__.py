"""People and what they may do: users, passwords, roles and scope, sessions, API tokens.

- ``users``: logging in with throttling, creating and editing users (no Flask requests here);
- ``passwords``: argon2id hashes and token digests; ``credentials``: password changes and
  one-time set-password links; ``audit``: who changed what for whom;
- ``access``: role decorators and the one query helper that scopes every query by the user;
- ``sessions``: ending idle sessions on the server's side; ``tokens``: API tokens;
- ``wecom``: the 企业微信 (WeCom) web-login client;
- ``views`` (login, logout, 账号设置, user list), ``admin_views`` (one user's page),
  ``password_views``, ``wecom_views``: the pages, on one blueprint; ``forms``; ``cli``.
"""
