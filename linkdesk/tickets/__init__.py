"""Link-change tickets (工单): filing, review and the audit trail.

- ``filing``: what makes a request acceptable (fields, address policy, lead time);
- ``workflow``: routing, the state machine (``TRANSITIONS``, ``move``: the only writer of a ticket's
  status and stage), the audit trail, ticket numbers; ``errors``: its refusals;
- ``events``: what happened (``TicketMoved``), announced with blinker signals; notify listens;
- ``figures``, ``wait_weeks``: the overview's day counts and review waits, kept by the operations;
- ``operations``: file, edit, resubmit, withdraw, cancel and decide — one commit each;
  ``attachments``: a ticket's documents; ``flags``: a holiday-schedule import flagging tickets;
- ``listing``: filtered, paginated ticket lists; ``diff``: the old and new address compared;
- ``views``: the clerk's pages; ``review_views``: the reviewers' queue and decisions; ``forms``.
"""
