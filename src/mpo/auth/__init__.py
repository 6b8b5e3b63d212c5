"""Where credentials are kept: this machine's keyring (or an insecure file) for tokens,
webhook secrets beside them. Minting and hashing tokens is the core's (`mpo.core.domain.tokens`)."""
