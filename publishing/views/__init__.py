"""The publishing pages: calendar, compose and edit, a post and its review, the review queue,
pauses and held posts, what works, and approval rules.

Every time is shown and entered in the viewer's time zone (`common.publishing_view` activates
it); the services store UTC.
"""
