"""``alphastock live``: the engine wired for the embedded simulator, paper or a real account."""
