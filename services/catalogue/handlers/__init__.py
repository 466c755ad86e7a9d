"""Use cases: one small function per staff command, each one unit of work that writes the
change and the messages it implies together (the outbox), or nothing at all."""
