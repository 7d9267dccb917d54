"""Early warning: sensor threshold rules, correlation of warnings, escalation of unacknowledged alerts."""
