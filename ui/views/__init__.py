"""One module per page; each exposes ``render(store)`` (the sign-in page ``render()``)."""
