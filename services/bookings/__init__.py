"""The bookings service: decides capacity alone, from its replica of the catalogue, inside the
booking request; runs waiting lists, cancellations and changes; serves the public widget API."""
