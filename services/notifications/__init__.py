"""The notifications service: every email a booker expects, and invitation campaigns."""
