"""Messages: sending (routing to a channel and queueing), receiving, statuses, labels and listing."""
