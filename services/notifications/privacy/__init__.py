"""Notifications' part of privacy requests: deliveries, opt-outs, campaign invitees, the
replicas of rosters and bookings, and the suppression list of erased addresses."""
