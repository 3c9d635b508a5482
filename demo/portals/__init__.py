"""Portal emulators, one module per source type, each a callable app for :class:`demo.server.PortalServer`."""
