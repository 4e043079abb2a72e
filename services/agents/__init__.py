"""Agents: the AI gateway, the audit log, AI team members and orchestration (schema ``agents``)."""
