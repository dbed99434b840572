"""Stage 5-6: the lockfile (typed, versioned, with its reader), the runtime package rendered from
it, the manifest, and the write step (the only file writes).
"""
