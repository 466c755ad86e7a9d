"""What every service shares: message contract, messaging, logging, settings, database, auth."""
