"""Team: members, the operations and dynamics ledgers, affinity and fairness policies (schema ``team``)."""
