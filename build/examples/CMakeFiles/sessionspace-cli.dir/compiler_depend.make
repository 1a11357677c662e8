# Empty compiler generated dependencies file for sessionspace-cli.
# This may be replaced when dependencies are built.
