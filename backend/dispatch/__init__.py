"""One-key dispatch over fused communications: directory, groups, calls, notices, radio and SIP bridges."""
