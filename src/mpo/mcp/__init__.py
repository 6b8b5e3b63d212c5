"""The Model Context Protocol door: `mpo mcp` (stdio) and `/mcp` on `mpo serve` (streamable
HTTP), over the official SDK (`mpo[mcp]`). Tools are generated from the core's declarations
(the lifecycle's `SPECS`, the permission table, the validation limits), each calling one use
case through `mpo.bootstrap`, as the CLI and HTTP do. Nothing outside this package and the
`mpo mcp` command imports the SDK. See docs/mcp.md.
"""
