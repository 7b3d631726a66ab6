"""Notifications: the transactional outbox, email (SMTP or .eml files), in-app, webhooks.

Imports nothing of ours but ``db``. The domain (``workflows.notifications``) decides who
hears of what and calls :func:`notifier.outbox.queue` in its own transaction; the scheduler
runs :func:`notifier.jobs.flush_outbox` and :func:`notifier.jobs.send_digests`; the web app
reads :mod:`notifier.inapp` and :mod:`notifier.admin`.

- ``kinds``: the notification kinds and their default delivery;
- ``outbox``: queuing (notification rows, email and webhook rows, deduplicated);
- ``facts``: what a notification shows, read from the rows when it is queued;
- ``render``, ``templates/``: the emails in Vietnamese and English, text and HTML;
- ``delivery``, ``mail``, ``webhooks``: claiming, sending and recording each delivery;
- ``digest``: the daily digest; ``translate``: domain messages in a reader's language.
"""
