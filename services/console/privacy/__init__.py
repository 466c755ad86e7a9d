"""Privacy requests, coordinated by the console: staff ask here; each service answers for its
own data through messages; the console assembles the export or confirms the erasure."""
