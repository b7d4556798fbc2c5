"""Business logic, once: typed keyword-only functions called by views, consumers, tasks
and commands alike."""
