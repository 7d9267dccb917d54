"""The incident closed loop: stages, tasks and supervision, plans, review and evaluation."""
