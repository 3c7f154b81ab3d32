"""The platform-neutral domain: services that know no chat platform."""
