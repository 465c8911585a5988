"""Market-data feeds. :mod:`alphastock.feeds.kite` decodes Kite Connect's binary tick frames."""
