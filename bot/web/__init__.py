"""The live thread's web page: links, routes, Server-Sent Events, and the state the page shows."""
