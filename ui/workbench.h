// The main window arrives with the panels.
