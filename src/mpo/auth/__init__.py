"""Identity plumbing: token minting and hashing, and where credentials are kept."""
