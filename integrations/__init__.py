"""Events (one model, one publisher), webhooks and alert rules: telling other systems who arrived."""
