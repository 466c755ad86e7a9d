from services.bookings.persistence.schema import database_metadata
from shared.migrations import run_env

run_env(database_metadata)
