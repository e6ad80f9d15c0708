"""The links themselves: address rules, the registry of live addresses and their health.

- ``address_policy``: which URLs are acceptable and what reviewers are warned about;
- ``probe``: fetching an address safely (DNS, TLS, redirects, never a private address);
- ``health``: what to probe, with which settings, and what to remember (链接健康);
- ``filing_probe``: a ticket's new address probed after filing, off the request (提交时检测);
  ``probe_state``: where that probe stands, read from the ticket alone;
- ``registry``: the link registry (链接台账), its history, export and first load from CSV;
  ``set_live_address`` is its one writer;
- ``events``: a link that starts failing, announced (notify listens);
- ``views``: the registry and health pages; ``cli``: the ``links`` command group.
"""
