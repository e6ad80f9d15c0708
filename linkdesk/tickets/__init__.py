"""Link-change tickets (工单): filing, review and the audit trail.

- ``filing``: what makes a request acceptable (fields, address policy, lead time);
- ``workflow``: routing, the state machine, the audit trail, ticket numbers;
- ``operations``: file, edit, resubmit, withdraw, cancel and decide — one commit each;
- ``listing``: filtered, paginated ticket lists; ``diff``: the old and new address compared;
- ``views``: the clerk's pages; ``review_views``: the reviewers' queue and decisions; ``forms``.
"""
