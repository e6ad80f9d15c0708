"""Tests of linkdesk.tickets: its rules, operations and lists."""
