"""Developer tools: record generation, Pipelex's kit and answers."""
