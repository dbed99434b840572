"""Stage 4: routing and resolution over the IR; every decision is recorded with how it was made."""
