"""The tables (SQLModel) and their index definitions: what the store persists and the use
cases read and write."""
