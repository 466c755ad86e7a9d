"""`python -m services.catalogue.resync`: republish every event and roster (after a restore
of another service, or of this one)."""

from services.catalogue.handlers.resync import resync
from services.catalogue.settings import CatalogueSettings
from shared.resync import main

if __name__ == "__main__":
    raise SystemExit(main(CatalogueSettings(), resync))
