"""Rebalance: guarded workload rebalancing from proposal to approved, applied plan (schema ``rebalance``)."""
