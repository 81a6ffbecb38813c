"""The two API dialects. Each only translates: parse the wire format, call the domain, render the result."""
