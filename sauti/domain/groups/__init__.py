"""Contact groups: manual (members added and removed by hand) and smart (members are those matching a query)."""
