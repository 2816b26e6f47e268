"""Live KPIs: definitions in `registry`, their figures from the other modules' selectors in one
module per source (`listening`, `care`, `publishing`, `ads`, `customers`, `trust`)."""
