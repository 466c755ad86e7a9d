"""Development helpers: the local mail sink and the demo data seeder. Not used by the services."""
