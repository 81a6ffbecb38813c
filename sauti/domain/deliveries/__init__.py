"""Web hook deliveries: a body to POST to a URL, tried with backoff until the receiver takes it. Generic: a
subscription type decides the body and headers when its event happens; the worker only posts and records."""
