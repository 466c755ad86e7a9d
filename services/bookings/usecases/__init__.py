"""Use cases: one function per command, each one short transaction under the event's lock."""
