"""The care pages: the inbox, a case's conversation, customers, reports, settings, and the
public satisfaction survey. Each module is thin: parse the request, check the permission, call a
selector or a service, render; htmx requests get the partial they target."""
