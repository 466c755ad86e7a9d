"""Bookings' part of privacy requests: export, erasure and retention of bookings."""
