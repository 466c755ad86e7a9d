"""What every service needs for privacy requests: the keyed hash an erased address is kept as,
the placeholder that stands in for an erased person, and the signed download link."""
