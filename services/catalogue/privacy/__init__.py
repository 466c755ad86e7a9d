"""The catalogue's part of privacy requests: the person's roster memberships."""
