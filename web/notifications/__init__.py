"""Notifications in the web app: the bell, the list, preferences, the outbox and webhooks."""
