"""What the catalogue's HTTP API takes (`...Create`, `...Update`) and gives (`...Out`)."""
