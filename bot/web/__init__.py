"""The live web page: a presentation layer over the live thread, for the room's projector and remote antennas."""
