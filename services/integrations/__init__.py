"""Integrations: webhooks, Telegram, chat sessions, notifications and knowledge deltas (schema ``integrations``)."""
