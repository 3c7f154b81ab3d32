"""The live thread's web page for the room's projector and remote antennas: links, routes, Server-Sent Events, the page."""
