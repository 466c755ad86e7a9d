"""The catalogue service: programmes, cohorts, venues, people and events; the source of truth
for what can be booked, published to the other services as messages."""
