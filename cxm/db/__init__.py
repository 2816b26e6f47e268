"""The database beneath the ORM: keys that lead with the workspace, and the plan that spreads the
tables over Citus nodes by workspace (docs/scale-out.md)."""
